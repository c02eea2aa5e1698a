// `ucctl lab isolate|heal`: a real network fault between a node and its peers (both directions);
// without --from the node is cut off from everything (UC-13: its other known servers too).
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, type Envelope, envelope} from './base-command.js'

export abstract class NetworkFaultCommand extends BaseCommand<typeof NetworkFaultCommand> {
  static override args = {node: Args.string({description: 'node whose network to change', required: true})}
  static override flags = {
    from: Flags.string({
      description: 'only this peer (repeatable); default: everything (every peer and every other known server)',
      multiple: true,
    }),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }

  protected abstract readonly verb: 'isolate' | 'heal'

  async run(): Promise<Envelope> {
    const {client, node, target} = await this.node(this.args.node)
    const {isolatedFrom, cutOff} = await client.call(`POST /v1/faults/network/${this.verb}`, {body: {peers: this.flags.from ?? []}})
    return this.output(envelope('NetworkFault', {context: target.context, node: node.name, isolatedFrom, cutOff}), {
      columns: ['NODE', 'ISOLATED FROM'],
      rows: [[node.name, cutOff ? 'everything' : isolatedFrom.join(',') || '-']],
    })
  }
}
