import * as Args from '@oclif/core/args'
import {BaseCommand, envelope, mutatingFlags} from '../../lib/cli/base-command.js'
import {confirmEffects, effectLine, effectsOf} from '../../lib/cli/effects.js'
import {submitAction} from '../../lib/cli/operation.js'
import type {ServiceStatus} from '../../lib/agent/node-manager.js'
import {planNodeRestart} from '../../lib/domain/services.js'

export default class NodeRestart extends BaseCommand<typeof NodeRestart> {
  static override summary =
    'Restart a node as NMM does on an unrecoverable fault: every service stopped, then the Automatic ones started in order (SVC-5)'
  static override args = {node: Args.string({description: 'node to restart', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> node restart ctios-a --yes']

  async run() {
    const {client, node} = await this.node(this.args.node)
    const effects = await effectsOf(client, {action: 'node-restart'})
    if (this.flags['dry-run']) {
      const {services} = await client.get<{services: ServiceStatus[]}>('/v1/services')
      const plan = planNodeRestart(services)
      const changes = [...plan.changes, ...effects.map(effectLine)]
      const rules = [...plan.rules, ...effects.map((e) => e.rule)]
      return this.output(envelope('OperationPlan', {node: node.name, action: 'restart', changes, rules, effects}), {
        columns: ['WOULD CHANGE'],
        rows: changes.map((c) => [c]),
      })
    }
    await confirmEffects(`Restart every service of ${node.name}?`, effects, this.flags.yes, (m) => this.notice(m), true)
    const r = await submitAction(client, '/v1/node/restart', undefined, this.flags, (m) => this.progress(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
