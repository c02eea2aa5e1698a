// What a cisco context changes: services through Control Center, throttle parameters through
// AXL (THR-7), Unity Connection statuses and IM and Presence HA through the platform CLI. Every
// rule is checked before anything is sent; every action waits for its final state (--timeout,
// exit 124) and reports it as an Operation, like an agent's.
import {setTimeout as sleep} from 'node:timers/promises'
import {planManualAction, type ManualAction} from '../../domain/connection-cluster.js'
import type {ServerStatus} from '../../domain/connection-statuses.js'
import {describeAction, describePair, isTransient, type OperatorAction, planAction} from '../../domain/presence-redundancy.js'
import {NotFoundError, RefusedError, UsageError} from '../../errors.js'
import {type Envelope, envelope} from '../../cli/base-command.js'
import type {View} from '../../cli/render.js'
import {planOutcome} from '../../cli/plan.js'
import {CONTROL_TYPES} from './mapping.js'
import {haRequestAccepted} from './platform-cli.js'
import {connectionServers, groupFromHa, haStatus, serviceStatuses} from './reads.js'
import type {CiscoNode, CiscoSession} from './session.js'

export interface ActionFlags {
  wait: boolean
  timeout: number
  'dry-run': boolean
  yes: boolean
}

export interface ActionIO {
  progress(m: string): void
  confirm(question: string): Promise<boolean>
}

type Outcome = {doc: Envelope; view: View; exitCode: number}

/** How often a wait asks the node again. */
const POLL_MS = 500

/** An Operation document (schemas/Operation.json) for an action the driver ran itself. */
class LocalOperation {
  readonly id = `cisco-${Date.now().toString(36)}`
  readonly createdAt = new Date().toISOString()
  readonly transitions: Array<{time: string; message: string}> = []
  constructor(
    private readonly subject: {node: string} | {group: string},
    private readonly action: string,
    private readonly progress: (m: string) => void,
  ) {}

  step(message: string): void {
    if (this.transitions.at(-1)?.message === message) return
    this.transitions.push({time: new Date().toISOString(), message})
    this.progress(`${'node' in this.subject ? this.subject.node : this.subject.group}: ${message}`)
  }

  /** The Operation document; exit 124 only when a wait timed out (--no-wait is a success). */
  outcome(state: 'running' | 'succeeded' | 'failed', extra: Record<string, unknown> = {}, timedOut = false): Outcome {
    const doc = envelope('Operation', {
      id: this.id,
      ...this.subject,
      action: this.action,
      state,
      createdAt: this.createdAt,
      updatedAt: new Date().toISOString(),
      transitions: this.transitions,
      ...extra,
    })
    const last = this.transitions.at(-1)?.message ?? ''
    const who = 'node' in this.subject ? this.subject.node : this.subject.group
    return {
      doc,
      view: {
        columns: ['OPERATION', 'NODE', 'ACTION', 'STATE', 'LAST'],
        rows: [[this.id, who, this.action, timedOut ? 'running (timed out waiting)' : state, last]],
        stateColumn: 3,
      },
      exitCode: timedOut ? 124 : state === 'failed' ? 1 : 0,
    }
  }

  /**
   * Polls `read` until `done` says so or the deadline passes (then: running, exit 124). The
   * action was sent: a read that fails now is shown and retried, never reported as "refused".
   */
  async waitFor<T>(
    deadline: number,
    read: () => Promise<T>,
    show: (v: T) => string,
    done: (v: T) => boolean,
  ): Promise<{value: T | undefined; timedOut: boolean}> {
    let value: T | undefined
    for (;;) {
      try {
        value = await read()
        this.step(show(value))
        if (done(value)) return {value, timedOut: false}
      } catch (error) {
        this.step(`could not read the state: ${(error as Error).message}`)
      }
      if (Date.now() >= deadline) return {value, timedOut: true}
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())))
    }
  }
}

/** A cisco context's dry run: the driver plans it (no agent runs there), shown as every preview is. */
const plan = (doc: {action: string} & Record<string, unknown>, changes: string[], rules: string[]): Outcome =>
  planOutcome({...doc, changes, rules})

/** `service start|stop|cycle NAME --node N` through Control Center `soapDoControlServices`. */
export async function serviceAction(
  s: CiscoSession,
  node: CiscoNode,
  action: 'start' | 'stop' | 'cycle',
  name: string,
  flags: ActionFlags,
  io: ActionIO,
): Promise<Outcome> {
  const [before] = await serviceStatuses(s, node, name)
  if (!before || before.name.toLowerCase() !== name.toLowerCase())
    throw new NotFoundError(`no service "${name}" on ${node.name}`, {hint: `ucctl service list --node ${node.name}`})
  if (!before.activated) {
    throw new RefusedError(
      `${before.name} on ${node.name} is not activated (${before.reason}): Control Center cannot ${action} it; nothing was changed`,
      {
        hint: 'activate it in Cisco Unified Serviceability > Tools > Service Activation',
      },
    )
  }
  const {controlType, final} = CONTROL_TYPES[action]
  if (flags['dry-run']) {
    return plan(
      {node: node.name, action, service: before.name, currentState: before.state},
      [`${before.name}: ${before.status} → ${action === 'cycle' ? 'Stopping → Starting → ' : ''}${final}`],
      [`Control Center Services soapDoControlServices ControlType ${controlType}`],
    )
  }
  const op = new LocalOperation({node: node.name}, action, io.progress)
  await s.controlCenter(node, 'soapDoControlServices', {
    ControlServiceRequest: {NodeName: node.name, ControlType: controlType, ServiceList: {item: [before.name]}},
  })
  op.step(`${controlType} requested for ${before.name}`)
  const current = async () => {
    const [x] = await serviceStatuses(s, node, before.name)
    return x
  }
  // A restart is done when the service runs again with a new start time, not when it merely still runs.
  const reached = (x: typeof before) => x.status === final && (action !== 'cycle' || x.startTime !== before.startTime)
  if (!flags.wait) return op.outcome('running', {service: {...(await current()), name: before.name}})
  const {value, timedOut} = await op.waitFor(Date.now() + flags.timeout * 1000, current, (x) => `${x.name} ${x.state}`, reached)
  return op.outcome(timedOut ? 'running' : 'succeeded', {service: value}, timedOut)
}

/** `cluster make-primary|activate|deactivate SERVER`: UC-7/UC-8/UC-14 checked on CUPI's statuses, then `utils cuc cluster …`. */
export async function connectionAction(
  s: CiscoSession,
  node: CiscoNode,
  action: ManualAction,
  flags: ActionFlags,
  io: ActionIO & {notice(m: string): void},
): Promise<Outcome> {
  if (action === 'stop-taking-calls' || action === 'take-calls' || (flags as {drain?: boolean}).drain) {
    throw new RefusedError(
      `cluster ${(flags as {drain?: boolean}).drain ? 'deactivate --drain' : action} is not available for context ${s.context} of kind cisco: Unity Connection publishes no interface for it (neither CUPI nor the platform CLI); nothing was changed`,
      {hint: 'use Cisco Unity Connection Serviceability > Cluster Management'},
    )
  }
  const {servers} = await connectionServers(s)
  const self = servers.find((x) => x.name === node.name)
  if (!self) throw new UsageError(`CUPI does not list ${node.name} among the cluster's servers (${servers.map((x) => x.name).join(', ')})`)
  const peer = servers.find((x) => x !== self)
  // CUPI publishes no calls in progress: planned as none, and said so (UC-8).
  const p = planManualAction(
    action,
    {name: self.name, role: self.role, status: self.status, takingCalls: true, callsInProgress: 0},
    peer && peer.status !== 'Not Functioning' ? peer : undefined,
  )
  if (flags['dry-run'] || p.noop) return plan({node: node.name, action, currentState: self.status, noop: p.noop}, p.changes, p.rules)
  if (action === 'deactivate') {
    io.notice(`warning UC-8: deactivating ${self.name} drops its calls in progress; CUPI does not publish how many there are`)
    if (!(await io.confirm(`Deactivate ${self.name}? Its calls in progress are dropped (UC-8).`)))
      throw new UsageError('not confirmed; nothing was changed')
  }
  const command = action === 'make-primary' ? `utils cuc cluster makeprimary ${self.name}` : `utils cuc cluster ${action}`
  const op = new LocalOperation({node: node.name}, action, io.progress)
  const printed = await (await s.shell(node)).run(command, {confirmed: true, timeoutMs: 300_000})
  op.step(`${command}: ${printed.trim().split('\n').at(-1) ?? ''}`)
  const want: Record<string, (st: ServerStatus) => boolean> = {
    'make-primary': (st) => st === 'Primary',
    activate: (st) => st === 'Primary' || st === 'Secondary',
    deactivate: (st) => st === 'Deactivated',
  }
  if (!flags.wait) return op.outcome('running')
  const {value, timedOut} = await op.waitFor(
    Date.now() + flags.timeout * 1000,
    async () => (await connectionServers(s)).servers.find((x) => x.name === self.name)!,
    (x) => `${x.name} ${x.status}`,
    (x) => want[action](x.status),
  )
  return op.outcome(timedOut ? 'running' : 'succeeded', {server: value}, timedOut)
}

const HA_COMMAND: Record<'failover' | 'fallback' | 'recover', (a: {node?: string; group?: string}) => string> = {
  failover: (a) => `utils ha failover ${a.node}`,
  fallback: (a) => `utils ha fallback ${a.node}`,
  recover: (a) => `utils ha recover ${a.group}`,
}

/** `pcluster failover|fallback NODE`, `pcluster recover GROUP`: PRG-8 checked on `utils ha status`, then `utils ha …`. */
export async function haAction(
  s: CiscoSession,
  action: 'failover' | 'fallback' | 'recover',
  target: {node?: string; group?: string},
  flags: ActionFlags,
  io: ActionIO,
): Promise<Outcome> {
  const {ha, seenBy} = await haStatus(s)
  const sub = target.node
    ? ha.subclusters.find((x) => x.nodes.some((n) => n.name.toLowerCase() === target.node!.toLowerCase()))
    : ha.subclusters.find((x) => x.name.toLowerCase() === target.group!.toLowerCase())
  if (!sub)
    throw new UsageError(`utils ha status on ${seenBy} shows no ${target.node ? `node ${target.node}` : `group ${target.group}`}`, {
      hint: `groups: ${ha.subclusters.map((x) => `${x.name} (${x.nodes.map((n) => n.name).join(', ')})`).join('; ')}`,
    })
  const node = target.node ? sub.nodes.find((n) => n.name.toLowerCase() === target.node!.toLowerCase())!.name : undefined
  const g = groupFromHa(sub)
  const event: OperatorAction = action === 'recover' ? {type: 'recover'} : {type: action, node: node!}
  // PRG-8: refused (exit 5) before anything is sent.
  const p = planAction(g, event, Date.now())
  if (flags['dry-run']) return plan({group: sub.name, action, ...(node ? {node} : {}), currentState: describePair(g)}, p.changes, p.rules)
  if (
    !(await io.confirm(
      `${describeAction(event)} in ${sub.name} (${describePair(g)})? Users on the node that fails over sign in again on its peer (PRG-8).`,
    ))
  )
    throw new UsageError('not confirmed; nothing was changed')
  const command = HA_COMMAND[action]({node, group: sub.name})
  const shell = await s.shell(s.node(seenBy))
  const printed = await shell.run(command, {confirmed: true, timeoutMs: 300_000})
  if (!haRequestAccepted(printed)) {
    throw new RefusedError(
      `${command} on ${seenBy} was not accepted: ${printed.trim().split('\n').filter(Boolean).join(' / ') || 'no answer'}`,
      {rule: 'PRG-8'},
    )
  }
  const op = new LocalOperation({group: sub.name}, action, io.progress)
  op.step(`${command}: Request SUCCESSFUL`)
  if (!flags.wait) return op.outcome('running')
  const before = describePair(g)
  const {value, timedOut} = await op.waitFor(
    Date.now() + flags.timeout * 1000,
    async () => {
      const now = (await haStatus(s)).ha.subclusters.find((x) => x.name === sub.name)
      if (!now) throw new UsageError(`utils ha status no longer shows group ${sub.name}`)
      return groupFromHa(now)
    },
    (x) => describePair(x),
    (x) => describePair(x) !== before && x.nodes.every((n) => n.state !== null && !isTransient(n.state)),
  )
  return op.outcome(timedOut ? 'running' : 'succeeded', value ? {pair: describePair(value)} : {}, timedOut)
}
