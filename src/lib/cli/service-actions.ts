// start / stop / cycle of a service on one node, with --dry-run, --no-wait and --timeout.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import type {AgentClient, NodeRef} from '../client/agent-client.js'
import {planServiceAction, type ServiceAction, type ServiceState, type StartupType} from '../domain/services.js'
import {BaseCommand, type Envelope, envelope, mutatingFlags} from './base-command.js'
import {confirmEffects, effectLine, effectsOf} from './effects.js'
import {submitAction} from './operation.js'
import type {View} from './render.js'

export interface ActionFlags {
  wait: boolean
  timeout: number
  'dry-run': boolean
  yes: boolean
}

export async function serviceAction(
  client: AgentClient,
  node: NodeRef,
  action: ServiceAction,
  service: string,
  flags: ActionFlags,
  io: {progress: (m: string) => void; notice: (m: string) => void},
): Promise<{doc: Envelope; view: View; exitCode: number}> {
  const path = `/v1/services/${encodeURIComponent(service)}`
  // What it does beyond the service (a failover, a status change, softphones Offline), asked first.
  const effects = await effectsOf(client, {action, service})
  if (flags['dry-run']) {
    const {service: s} = await client.get<{service: {name: string; state: ServiceState; startup: StartupType}}>(path)
    const plan = planServiceAction(s, action)
    const changes = [...plan.changes, ...effects.map(effectLine)]
    const rules = [...plan.rules, ...effects.map((e) => e.rule)]
    return {
      doc: envelope('OperationPlan', {node: node.name, action, service, currentState: s.state, ...plan, changes, rules, effects}),
      view: {columns: ['WOULD CHANGE', 'RULES'], rows: [[changes.join('; ') || 'nothing', rules.join('; ')]]},
      exitCode: 0,
    }
  }
  await confirmEffects(
    `${action === 'cycle' ? 'Cycle' : action === 'stop' ? 'Stop' : 'Start'} ${service} on ${node.name}?`,
    effects,
    flags.yes,
    io.notice,
  )
  return submitAction(client, `${path}/${action}`, undefined, flags, io.progress)
}

export abstract class ServiceActionCommand extends BaseCommand<typeof ServiceActionCommand> {
  static override args = {service: Args.string({description: 'service (process) name, as in service list', required: true})}
  static override flags = {
    node: Flags.string({char: 'n', description: 'node to act on (required when the context has several)'}),
    ...mutatingFlags,
  }

  protected abstract readonly action: ServiceAction

  async run(): Promise<Envelope> {
    const {client, node} = await this.node(this.flags.node)
    const r = await serviceAction(client, node, this.action, this.args.service, this.flags, {
      progress: (m) => this.progress(m),
      notice: (m) => this.notice(m),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
