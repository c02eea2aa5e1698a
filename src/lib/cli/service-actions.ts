// start / stop / cycle of a service on one node, with --dry-run, --no-wait and --timeout.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import type {AgentClient, NodeRef} from '../client/agent-client.js'
import type {ServiceAction} from '../domain/services.js'
import {BaseCommand, type Envelope, mutatingFlags} from './base-command.js'
import {confirmEffects} from './effects.js'
import {submitAction} from './operation.js'
import {type Outcome, planOutcome} from './plan.js'

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
): Promise<Outcome> {
  const route = 'POST /v1/services/:name/:action'
  const request = {params: {name: service, action}}
  // The agent's preview: what it would do, and its effects beyond the service (a failover, a
  // status change, softphones Offline), confirmed before it happens.
  const plan = await client.preview(route, request)
  if (flags['dry-run']) return planOutcome(plan)
  const verb = action === 'cycle' ? 'Cycle' : action === 'stop' ? 'Stop' : 'Start'
  await confirmEffects(`${verb} ${service} on ${node.name}?`, plan.effects ?? [], flags.yes, io.notice)
  return submitAction(client, route, request, flags, io.progress)
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
