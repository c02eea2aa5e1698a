// `ucctl ctios status|clients|fault` and the client simulator of `ctios clients open`
// (SPEC §2, CTI-1..7). The rules are ../domain/cti-failover.ts and the agent's ctios module;
// this is the I/O and the views around them.
import type {AgentClient} from '../client/agent-client.js'
import {UsageError} from '../errors.js'
import type {Component, CtiRule, FaultAction, SoftphoneEvent} from '../domain/cti-failover.js'
import {type Envelope, envelope} from './base-command.js'
import {SoftphoneFleet, type SoftphoneEndpoint} from './ctios-softphones.js'
import {submitAction} from './operation.js'
import type {View} from './render.js'

type Outcome = {doc: Envelope; view: View; exitCode: number}

/** GET /v1/ctios of a CTI OS agent. */
export interface CtiosStatus {
  node: string
  components: Array<{
    component: string
    id: string
    state: string
    activeSide?: string
    sides?: Record<string, string>
    capacity?: number
    softphones?: number
    agents?: number
    process?: {state: string; pid: number | null}
  }>
  ipPhones: {total: number; outOfService: number}
  clients: {softphones: number; connected: number; Offline: number; disconnected: number; onPeer: number}
  agents: Record<string, number>
  lastSnapshot: {time: string; rule?: string; agents: number; devices: number; calls: number; softphones: number} | null
  lastFailover: Record<string, unknown> | null
}

export interface SoftphoneRow {
  id: string
  agentState: string
  phone: string
  switch: string
  connection: 'connected' | 'Offline' | 'disconnected'
  server: string | null
  offline: Array<{rule: string; reason: string}>
}

export async function ctiosStatus(client: AgentClient): Promise<Outcome> {
  const s = await client.get<CtiosStatus>('/v1/ctios')
  const detail = (c: CtiosStatus['components'][number]) =>
    c.sides
      ? `active side ${c.activeSide}; A ${c.sides.A}, B ${c.sides.B}`
      : c.process
        ? `${c.process.state}${c.process.pid ? ` (pid ${c.process.pid})` : ''}`
        : c.capacity !== undefined
          ? `${c.softphones} softphone(s), capacity ${c.capacity}`
          : c.agents !== undefined
            ? `${c.agents} agent(s)`
            : ''
  const snap = s.lastSnapshot
  return {
    doc: envelope('CtiosStatus', {...s}),
    view: {
      columns: ['COMPONENT', 'ID', 'STATE', 'DETAIL'],
      rows: s.components.map((c) => [c.component, c.id, c.state, detail(c)]),
      stateColumn: 2,
      notes: [
        `softphones: ${s.clients.connected} connected, ${s.clients.Offline} Offline, ${s.clients.disconnected} disconnected (of ${s.clients.softphones}; ${s.clients.onPeer} on the peer)`,
        `IP phones: ${s.ipPhones.total - s.ipPhones.outOfService} in service, ${s.ipPhones.outOfService} out of service`,
        `agents: ${Object.entries(s.agents)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        snap
          ? `last snapshot: ${snap.time} (${snap.rule ?? 'start'}): ${snap.agents} agents, ${snap.devices} devices, ${snap.calls} calls, to ${snap.softphones} softphone(s)`
          : 'last snapshot: none',
      ],
    },
    exitCode: 0,
  }
}

export async function ctiosClients(client: AgentClient, filter: {phone?: string; switch?: string; connection?: string}): Promise<Outcome> {
  const {node, softphones} = await client.get<{node: string; softphones: SoftphoneRow[]}>('/v1/ctios/softphones', filter)
  const by = (c: SoftphoneRow['connection']) => softphones.filter((s) => s.connection === c).length
  const perSwitch = new Map<string, {connected: number; offline: number}>()
  for (const s of softphones) {
    const e = perSwitch.get(s.switch) ?? {connected: 0, offline: 0}
    if (s.connection === 'connected') e.connected++
    if (s.connection === 'Offline') e.offline++
    perSwitch.set(s.switch, e)
  }
  return {
    doc: envelope('SoftphoneList', {node, softphones}),
    view: {
      columns: ['SOFTPHONE', 'IP PHONE', 'SWITCH', 'CONNECTION', 'SERVER', 'AGENT STATE', 'OFFLINE BECAUSE'],
      rows: softphones.map((s) => [
        s.id,
        s.phone,
        s.switch,
        s.connection,
        s.server,
        s.agentState,
        s.offline.map((o) => `${o.reason} (${o.rule})`).join('; '),
      ]),
      stateColumn: 3,
      notes: [
        `${by('connected')} connected, ${by('Offline')} Offline, ${by('disconnected')} disconnected`,
        ...[...perSwitch].map(([sw, e]) => `${sw}: ${e.connected} connected, ${e.offline} Offline`),
      ],
    },
    exitCode: 0,
  }
}

export interface FaultFlags {
  wait: boolean
  timeout: number
  'dry-run': boolean
  yes: boolean
}

interface Plan {
  node: string
  action: string
  changes: string[]
  rules: CtiRule[]
  failover: boolean
  effects: Array<{send: string; rule?: string; reason?: string; softphones: number}>
}

/** CTI-6, said before anything that makes softphones fail over. */
export const CTI6_WARNING =
  'warning: agents must not click their desktops during a failover: the desktop buffers the actions and applies them when the failover completes (CTI-6)'

/**
 * `ctios fault <component> <down|up|switch-side> [id]`: asks the agent what the fault would do
 * (its dry run), shows that for --dry-run, otherwise warns (CTI-6) and confirms when softphones
 * would fail over, then injects it and waits (a CTI OS server failure lasts until NodeManager
 * has restarted the process and the snapshot is taken).
 */
export async function injectFault(
  client: AgentClient,
  fault: {component: Component; action: FaultAction; id?: string},
  flags: FaultFlags,
  io: {progress: (m: string) => void; notice: (m: string) => void; confirm: (question: string) => Promise<boolean>},
): Promise<Outcome> {
  const body = {component: fault.component, action: fault.action, ...(fault.id !== undefined ? {id: fault.id} : {})}
  const {body: plan} = await client.post<Plan>('/v1/ctios/faults', {...body, dryRun: true})
  if (flags['dry-run']) {
    return {
      doc: envelope('OperationPlan', {...plan}),
      view: {columns: ['WOULD CHANGE', 'RULES'], rows: plan.changes.map((c, i) => [c, i === 0 ? plan.rules.join(', ') : ''])},
      exitCode: 0,
    }
  }
  if (plan.failover) {
    io.notice(CTI6_WARNING)
    const affected = plan.effects
      .filter((e) => e.send === 'Offline' || e.send === 'Disconnect')
      .map((e) => `${e.send} → ${e.softphones}`)
      .join(', ')
    if (!(await io.confirm(`${plan.action} on ${client.node.name}: ${affected} softphone(s). Go ahead?`))) {
      throw new UsageError('not confirmed; nothing was changed')
    }
  }
  return submitAction(client, '/v1/ctios/faults', body, flags, io.progress)
}

/** The events of a client simulator, gathered by kind, rule and reason (kind SoftphoneEvents). */
export interface SoftphoneEventsDoc {
  time: string
  event: SoftphoneEvent['type'] | 'Disconnected'
  rule?: string
  reason?: string
  count: number
  softphones: string[]
}

/**
 * `ctios clients open`: opens `count` softphones (the node's first free ones), logs them in, and
 * reports what they receive, gathered every `everyMs`, until `signal` aborts.
 */
export async function runClientSimulator(
  endpoint: SoftphoneEndpoint,
  client: AgentClient,
  opts: {count: number; login: 'Available' | 'Not Ready' | 'none'; everyMs: number; signal: AbortSignal},
  io: {report: (d: SoftphoneEventsDoc) => void; notice: (m: string) => void},
): Promise<{opened: number; received: number; drops: number}> {
  // Softphones another desktop (or simulator) holds are left alone.
  const {softphones} = await client.get<{softphones: SoftphoneRow[]}>('/v1/ctios/softphones', {connection: 'disconnected'})
  if (opts.count > softphones.length) {
    throw new UsageError(
      `${client.node.name} has ${softphones.length} softphones free (one per agent, not already connected); --count ${opts.count} is too many`,
      {
        hint: 'settings.ctios.agents of the node sets how many agents it has',
      },
    )
  }
  const pending = new Map<string, SoftphoneEventsDoc>()
  const gather = (event: SoftphoneEventsDoc['event'], softphone: string, rule?: string, reason?: string) => {
    const key = `${event}|${rule ?? ''}|${reason ?? ''}`
    const d = pending.get(key) ?? {
      time: new Date().toISOString(),
      event,
      ...(rule ? {rule} : {}),
      ...(reason ? {reason} : {}),
      count: 0,
      softphones: [],
    }
    d.count++
    d.softphones.push(softphone)
    pending.set(key, d)
  }
  let received = 0
  const fleet = new SoftphoneFleet(
    endpoint,
    softphones.slice(0, opts.count).map((s) => s.id),
    {
      onEvent: (r) => {
        received++
        const e = r.event
        gather(
          e.type,
          r.softphone,
          'rule' in e ? e.rule : undefined,
          e.type === 'Offline' ? e.reason : e.type === 'Connected' ? `on ${e.server}` : undefined,
        )
      },
    },
  )
  const flush = () => {
    for (const d of pending.values()) io.report(d)
    pending.clear()
  }
  const drops = new Map(fleet.phones.map((p) => [p.id, 0]))
  const tick = setInterval(() => {
    for (const p of fleet.phones) {
      if (p.drops !== drops.get(p.id)) gather('Disconnected', p.id, undefined, 'connection lost; reconnecting')
      drops.set(p.id, p.drops)
    }
    flush()
  }, opts.everyMs)
  try {
    await fleet.open()
    if (opts.login !== 'none') {
      const state = opts.login
      await fleet.login(state).catch((error: Error) => io.notice(`warning: not every agent could log in: ${error.message}`))
    }
    io.notice(`${opts.count} softphone(s) open on ${client.node.name}; Ctrl-C to close them`)
    if (!opts.signal.aborted) await new Promise((resolve) => opts.signal.addEventListener('abort', resolve, {once: true}))
  } finally {
    clearInterval(tick)
    flush()
    fleet.close()
  }
  return {opened: opts.count, received, drops: fleet.phones.reduce((n, p) => n + p.drops, 0)}
}
