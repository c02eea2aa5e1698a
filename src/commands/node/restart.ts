import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {confirmEffects} from '../../lib/cli/effects.js'
import {submitAction} from '../../lib/cli/operation.js'
import {planOutcome} from '../../lib/cli/plan.js'

export default class NodeRestart extends BaseCommand<typeof NodeRestart> {
  static override summary =
    'Restart a node as NMM does on an unrecoverable fault: every service stopped, then the Automatic ones started in order (SVC-5)'
  static override args = {node: Args.string({description: 'node to restart', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> node restart ctios-a --yes']

  async run() {
    const {client, node} = await this.node(this.args.node)
    const plan = await client.preview('POST /v1/node/restart')
    if (this.flags['dry-run']) {
      const r = planOutcome(plan)
      return this.output(r.doc, r.view)
    }
    await confirmEffects(`Restart every service of ${node.name}?`, plan.effects ?? [], this.flags.yes, (m) => this.notice(m), true)
    const r = await submitAction(client, 'POST /v1/node/restart', undefined, this.flags, (m) => this.progress(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
