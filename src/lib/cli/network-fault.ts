// `ucctl lab isolate|heal`: a real network fault between a node and its peers (both directions).
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, type Envelope, envelope} from './base-command.js'

export abstract class NetworkFaultCommand extends BaseCommand<typeof NetworkFaultCommand> {
  static override args = {node: Args.string({description: 'node whose network to change', required: true})}
  static override flags = {
    from: Flags.string({description: 'only this peer (repeatable); default: every peer of the node', multiple: true}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }

  protected abstract readonly verb: 'isolate' | 'heal'

  async run(): Promise<Envelope> {
    const {client, node, target} = await this.node(this.args.node)
    const {body} = await client.post<{isolatedFrom: string[]}>(`/v1/faults/network/${this.verb}`, {peers: this.flags.from ?? []})
    return this.output(envelope('NetworkFault', {context: target.context, node: node.name, isolatedFrom: body.isolatedFrom}), {
      columns: ['NODE', 'ISOLATED FROM'],
      rows: [[node.name, body.isolatedFrom.join(',') || '-']],
    })
  }
}
