// `ucctl ctios status|clients|fault` and the client simulator of `ctios clients open`
// (SPEC §2, CTI-1..7). The rules are ../domain/cti-failover.ts and the agent's ctios module;
// this is the I/O and the views around them.
import type {Answer, Query} from '../api/index.js'
import type {AgentClient} from '../client/agent-client.js'
import type {Component, FaultAction} from '../domain/cti-failover.js'
import type {SoftphoneEvent} from '../domain/cti-softphones.js'
import {UsageError} from '../errors.js'
import {type SoftphoneEndpoint, SoftphoneFleet} from '../lab/softphones.js'
import {envelope} from './base-command.js'
import {submitAction} from './operation.js'
import {type Outcome, planOutcome} from './plan.js'

/** GET /v1/ctios of a CTI OS agent. */
export type CtiosStatus = Answer<'GET /v1/ctios'>
export type SoftphoneRow = Answer<'GET /v1/ctios/softphones'>['softphones'][number]

export async function ctiosStatus(client: AgentClient): Promise<Outcome> {
  const s = await client.call('GET /v1/ctios')
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

export async function ctiosClients(client: AgentClient, filter: Query<'GET /v1/ctios/softphones'>): Promise<Outcome> {
  const {node, softphones} = await client.call('GET /v1/ctios/softphones', {query: filter})
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
  const request = {body: {component: fault.component, action: fault.action, ...(fault.id !== undefined ? {id: fault.id} : {})}}
  const plan = await client.preview('POST /v1/ctios/faults', request)
  if (flags['dry-run']) return planOutcome(plan)
  if (plan.failover) {
    io.notice(CTI6_WARNING)
    const affected = plan.sends
      .filter((e) => e.send === 'Offline' || e.send === 'Disconnect')
      .map((e) => `${e.send} → ${e.softphones}`)
      .join(', ')
    if (!(await io.confirm(`${plan.action} on ${client.node.name}: ${affected} softphone(s). Go ahead?`))) {
      throw new UsageError('not confirmed; nothing was changed')
    }
  }
  return submitAction(client, 'POST /v1/ctios/faults', request, flags, io.progress)
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
  const {softphones} = await client.call('GET /v1/ctios/softphones', {query: {connection: 'disconnected'}})
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
