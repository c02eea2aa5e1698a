// Unity Connection cluster (SPEC §4, UC-1..16; seed 002 "Cisco Unity Connection クラスタについて"):
// the server status table, the rules of manual status changes, a pure role-manager state
// machine (keepalives, automatic status changes, split brain and its recovery), the voice-
// messaging port table and the license check. No I/O, no clock: time comes in as `nowMs`,
// what the agent must do comes out as effects.

import {RefusedError, UsageError} from '../errors.js'
import type {Role} from './services.js'

// ---------------------------------------------------------------------------------------
// UC-2: server statuses (seed table 3-1)

export interface StatusDefinition {
  readonly status: string
  readonly replicates: string
  readonly adminChanges: string
  readonly answersCalls: string
  readonly clientConnections: string
  readonly notes: string
  /** Answers calls and accepts voice messages. */
  readonly takesCalls: boolean
  /** Shows and accepts administrative changes. */
  readonly acceptsAdminChanges: boolean
  /** Ends by itself after a configured time. */
  readonly transient: boolean
}

export const SERVER_STATUSES = [
  {
    status: 'Primary',
    replicates: "publishes DB + message store; receives the peer's data",
    adminChanges: 'shows and accepts',
    answersCalls: 'yes',
    clientConnections: 'yes',
    notes:
      'sends MWI and notifications (Connection Notifier), SMTP and VPIM (Message Transfer Agent), single-inbox sync; cannot be deactivated',
    takesCalls: true,
    acceptsAdminChanges: true,
    transient: false,
  },
  {
    status: 'Secondary',
    replicates: 'receives from Primary, sends its own to Primary',
    adminChanges: 'shows and accepts',
    answersCalls: 'yes',
    clientConnections: 'yes',
    notes: 'the only status that can be deactivated',
    takesCalls: true,
    acceptsAdminChanges: true,
    transient: false,
  },
  // Seed: a Deactivated server also accepts admin changes and replicates them to the Primary.
  {
    status: 'Deactivated',
    replicates: 'receives from Primary',
    adminChanges: 'shows and accepts',
    answersCalls: 'no',
    clientConnections: 'no',
    notes: '',
    takesCalls: false,
    acceptsAdminChanges: true,
    transient: false,
  },
  {
    status: 'Not Functioning',
    replicates: 'no',
    adminChanges: 'no admin UI',
    answersCalls: 'no',
    clientConnections: 'no',
    notes: 'usually shut down',
    takesCalls: false,
    acceptsAdminChanges: false,
    transient: false,
  },
  {
    status: 'Starting',
    replicates: 'receives and sends',
    adminChanges: '',
    answersCalls: 'no',
    clientConnections: '',
    notes: 'lasts a few minutes, then the fitting status; no single-inbox sync',
    takesCalls: false,
    acceptsAdminChanges: false,
    transient: true,
  },
  {
    status: 'Replicating Data',
    replicates: 'sends and receives',
    adminChanges: '',
    answersCalls: 'temporarily no',
    clientConnections: 'temporarily no',
    notes: 'a few minutes, then back to the previous status',
    takesCalls: false,
    acceptsAdminChanges: false,
    transient: true,
  },
  {
    status: 'Split Brain Recovery',
    replicates: 'updates DB and message store on the server chosen Primary, replicates to the other',
    adminChanges: '',
    answersCalls: 'temporarily no',
    clientConnections: 'temporarily no',
    notes: 'a few minutes, then back',
    takesCalls: false,
    acceptsAdminChanges: false,
    transient: true,
  },
] as const satisfies readonly StatusDefinition[]

export type ServerStatus = (typeof SERVER_STATUSES)[number]['status']
export const STATUS_NAMES = SERVER_STATUSES.map((s) => s.status) as readonly ServerStatus[]

export function statusDefinition(status: ServerStatus): StatusDefinition {
  return SERVER_STATUSES.find((s) => s.status === status)!
}

/** UC-2 (and Stop Taking Calls, UC-8): whether a server answers calls now. */
export function answersCalls(status: ServerStatus, takingCalls: boolean): boolean {
  return statusDefinition(status).takesCalls && takingCalls
}

/**
 * UC-2, UC-11: whether data (messages, admin changes) a server holds may be sent from a server
 * in status `from` to its peer in status `to`.
 */
export function replicationAllowed(from: ServerStatus, to: ServerStatus): {allowed: boolean; rule: string; why: string} {
  if (from === 'Not Functioning' || to === 'Not Functioning')
    return {allowed: false, rule: 'UC-2', why: 'a Not Functioning server neither sends nor receives'}
  if (from === 'Primary' && to === 'Primary')
    return {allowed: false, rule: 'UC-11', why: 'split brain: both servers are Primary and do not replicate'}
  if (from === 'Split Brain Recovery' || to === 'Split Brain Recovery') {
    return {
      allowed: true,
      rule: 'UC-11',
      why: 'Split Brain Recovery: the data of both servers is merged on the one chosen Primary and replicated to the other',
    }
  }
  if (from === 'Primary')
    return {allowed: true, rule: 'UC-2', why: `the Primary publishes its database and message store to the ${to} server`}
  if (to === 'Primary') return {allowed: true, rule: 'UC-2', why: `a ${from} server sends its own data to the Primary`}
  return {allowed: false, rule: 'UC-2', why: `neither server is Primary (${from}, ${to}): nothing is replicated`}
}

// ---------------------------------------------------------------------------------------
// Services the role manager handles (seed: the Primary activates Notifier, MTA and, for single
// inbox, Mailbox Sync and the Exchange Notification Web Service).

export const DB_SERVICE = 'Connection DB'
export const DELIVERY_SERVICES = ['Connection Message Transfer Agent', 'Connection Notifier'] as const
export const SINGLE_INBOX_SERVICES = ['Connection Mailbox Sync', 'Connection Exchange Notification Web Service'] as const
export const CRITICAL_SERVICES = [DB_SERVICE, ...DELIVERY_SERVICES, ...SINGLE_INBOX_SERVICES] as const

export type SbrPhase = 'stopped' | 'publisher-started' | 'subscriber-started'
const SBR_ORDER: readonly (SbrPhase | null)[] = [null, 'stopped', 'publisher-started', 'subscriber-started']
const sbrAtLeast = (p: SbrPhase | null, min: SbrPhase) => SBR_ORDER.indexOf(p) >= SBR_ORDER.indexOf(min)

/**
 * The critical services that should run on a server in `status` (single inbox only on the
 * Primary; nothing delivered during Split Brain Recovery until its phase starts them again).
 */
export function servicesWanted(status: ServerStatus, sbrPhase: SbrPhase | null = null, role: Role = 'publisher'): string[] {
  switch (status) {
    case 'Primary':
      return [...CRITICAL_SERVICES]
    case 'Not Functioning':
      return []
    case 'Split Brain Recovery': {
      const started = role === 'publisher' ? sbrAtLeast(sbrPhase, 'publisher-started') : sbrAtLeast(sbrPhase, 'subscriber-started')
      return started ? [DB_SERVICE, ...DELIVERY_SERVICES] : [DB_SERVICE]
    }
    default:
      return [DB_SERVICE, ...DELIVERY_SERVICES]
  }
}

// ---------------------------------------------------------------------------------------
// UC-1, UC-3, UC-7, UC-8, UC-14: manual actions

export const MANUAL_ACTIONS = ['make-primary', 'activate', 'deactivate', 'stop-taking-calls', 'take-calls'] as const
export type ManualAction = (typeof MANUAL_ACTIONS)[number]

export interface ServerView {
  name: string
  role: Role
  status: ServerStatus
  takingCalls: boolean
  callsInProgress: number
}

export interface ActionPlan {
  action: ManualAction
  server: string
  /** The status transitions (and other changes) that would happen, in order. */
  changes: string[]
  rules: string[]
  /** Things the operator should know first (calls that would be dropped). */
  warnings: string[]
  /** Nothing to do: the server is already where the action would put it. */
  noop: boolean
  /** Calls in progress that the action drops (UC-8). */
  dropsCalls: number
}

const TRANSIENT_WAIT = 'wait until the transient status ends (ucctl cluster status)'

/**
 * What a manual action on `self` does given its peer's status, or a RefusedError naming the rule.
 * `peer` is undefined when the peer is Not Functioning or unreachable.
 */
export function planManualAction(
  action: ManualAction,
  self: ServerView,
  peer: Pick<ServerView, 'name' | 'status'> | undefined,
): ActionPlan {
  const plan = (changes: string[], rules: string[], extra: Partial<ActionPlan> = {}): ActionPlan => ({
    action,
    server: self.name,
    changes,
    rules,
    warnings: [],
    noop: changes.length === 0,
    dropsCalls: 0,
    ...extra,
  })
  const s = self.status
  if (statusDefinition(s).transient) {
    throw new RefusedError(`${self.name} is ${s}: no manual status change until it ends`, {
      rule: 'UC-2',
      hint: TRANSIENT_WAIT,
      details: {status: s},
    })
  }
  if (s === 'Not Functioning') throw new RefusedError(`${self.name} is Not Functioning`, {rule: 'UC-2'})
  switch (action) {
    case 'make-primary': {
      if (s === 'Primary') return plan([], ['UC-14: already Primary; nothing to do'])
      if (s !== 'Secondary') {
        throw new RefusedError(`${self.name} is ${s}: only a Secondary server can be made Primary`, {
          rule: 'UC-14',
          hint: s === 'Deactivated' ? `activate it first: ucctl cluster activate ${self.name}` : undefined,
          details: {status: s},
        })
      }
      if (peer?.status !== 'Primary') {
        throw new RefusedError(
          `${self.name} cannot be made Primary: its peer is ${peer?.status ?? 'not reachable'}, and the Primary's role manager must be told (step 2)`,
          {
            rule: 'UC-14',
            details: {peerStatus: peer?.status ?? null},
          },
        )
      }
      return plan(
        [`${peer.name}: Primary → Secondary`, `${self.name}: Secondary → Primary`, `${self.name}: starts its critical services`],
        [
          'UC-14: manual status change (Make Primary)',
          `UC-3: the other server becomes Secondary automatically`,
          'UC-8: made manually, calls in progress are not affected',
        ],
      )
    }
    case 'deactivate': {
      if (s === 'Deactivated') return plan([], ['UC-7: already Deactivated; nothing to do'])
      if (s !== 'Secondary') {
        throw new RefusedError(`${self.name} is ${s}: only a Secondary server can be deactivated; a Primary cannot`, {
          rule: 'UC-7',
          hint:
            s === 'Primary' && peer?.status === 'Secondary'
              ? `make the other server Primary first: ucctl cluster make-primary ${peer.name}`
              : undefined,
          details: {status: s},
        })
      }
      const n = self.callsInProgress
      return plan(
        [`${self.name}: Secondary → Deactivated (answers no calls, accepts no messages)`],
        ['UC-7: only a Secondary can be deactivated', 'UC-8: Secondary → Deactivated drops calls in progress'],
        {
          warnings:
            n > 0
              ? [
                  `${n} call${n === 1 ? '' : 's'} in progress on ${self.name} will be dropped (UC-8); to avoid it: --drain (Stop Taking Calls, wait for the calls to end, then deactivate)`,
                ]
              : [],
          dropsCalls: n,
        },
      )
    }
    case 'activate': {
      if (s !== 'Deactivated') {
        if (s === 'Primary' || s === 'Secondary') return plan([], [`UC-4: ${self.name} is ${s}, already active; nothing to do`])
      }
      return plan(
        [`${self.name}: Deactivated → Starting → ${peer?.status === 'Primary' ? 'Secondary' : 'the fitting status'}`],
        ['UC-4: once activated again it resumes its share of calls', 'UC-2: Starting lasts a few minutes, then the fitting status'],
      )
    }
    case 'stop-taking-calls': {
      if (!self.takingCalls) return plan([], ['UC-8: already not taking calls; nothing to do'])
      if (!statusDefinition(s).takesCalls) return plan([], [`UC-2: ${s} answers no calls anyway; nothing to do`])
      return plan(
        [`${self.name}: stops taking new calls (status stays ${s}); ${self.callsInProgress} call(s) in progress continue`],
        ['UC-8: Stop Taking Calls, then wait until the calls have ended before deactivating'],
      )
    }
    case 'take-calls': {
      if (self.takingCalls) return plan([], ['Take Calls: already taking calls; nothing to do'])
      return plan(
        [`${self.name}: takes calls again${statusDefinition(s).takesCalls ? '' : ` (once its status answers calls; now ${s})`}`],
        ["Take Calls resumes a server's ports after Stop Taking Calls (SPEC §4)"],
      )
    }
  }
}

/** UC-1: the publisher cannot be removed from the cluster. */
export function planRemoveServer(server: {name: string; role: Role}): never {
  if (server.role === 'publisher') {
    throw new RefusedError(`${server.name} is the publisher: the publisher cannot be removed from the cluster`, {rule: 'UC-1'})
  }
  // Removing the subscriber is done on the real servers (reinstall), not by ucctl.
  throw new RefusedError(`removing ${server.name} from the cluster is not done by ucctl`, {rule: 'UC-1'})
}

/** UC-1: a cluster has exactly two servers, a publisher and a subscriber. */
export function checkClusterMembers(servers: ReadonlyArray<{name: string; role: Role}>): void {
  const pubs = servers.filter((s) => s.role === 'publisher')
  const subs = servers.filter((s) => s.role === 'subscriber')
  if (servers.length !== 2 || pubs.length !== 1 || subs.length !== 1) {
    throw new UsageError(
      `a Unity Connection cluster has exactly two servers, one publisher and one subscriber; got ${servers.map((s) => `${s.name} (${s.role})`).join(', ') || 'none'}`,
      {rule: 'UC-1'},
    )
  }
}

// ---------------------------------------------------------------------------------------
// UC-10: the effect of a critical service stop (seed table 3-4)

export interface CriticalStopEffect {
  /**
   * 'status-change': UC-12 starts (the peer becomes Primary); 'degraded': status unchanged;
   * 'no-primary': UC-10 literally (table 3-4): the publisher becomes Secondary, degraded, and
   * with the subscriber Deactivated or Not Functioning no server is Primary until one is.
   */
  effect: 'status-change' | 'degraded' | 'no-primary'
  rule: 'UC-10'
  why: string
}

export const CRITICAL_STOP_TABLE: ReadonlyArray<{role: Role; status: ServerStatus; effect: string}> = [
  {
    role: 'publisher',
    status: 'Primary',
    effect:
      'publisher becomes Secondary and the subscriber Primary, unless the subscriber is Deactivated or Not Functioning: then no server is Primary until one is',
  },
  {role: 'publisher', status: 'Secondary', effect: 'degraded, status unchanged'},
  {role: 'subscriber', status: 'Primary', effect: 'degraded, status unchanged'},
]

export function criticalStopEffect(role: Role, status: ServerStatus, peerStatus: ServerStatus | undefined): CriticalStopEffect {
  if (role === 'publisher' && status === 'Primary') {
    if (peerStatus === undefined || peerStatus === 'Not Functioning' || peerStatus === 'Deactivated') {
      return {
        effect: 'no-primary',
        rule: 'UC-10',
        why: `on the publisher while Primary: the publisher becomes Secondary (degraded); the subscriber is ${peerStatus ?? 'Not Functioning'}, so no server is Primary until one is`,
      }
    }
    return {
      effect: 'status-change',
      rule: 'UC-10',
      why: 'on the publisher while Primary: the publisher becomes Secondary and the subscriber Primary',
    }
  }
  return {effect: 'degraded', rule: 'UC-10', why: `on the ${role} while ${status}: degraded, status unchanged`}
}

/**
 * UC-10 (literal): what to do while no server is Primary, for `cluster status`; null when a
 * server is Primary (or the cluster is in a transient status).
 */
export function noPrimaryAdvice(
  servers: ReadonlyArray<{name: string; role?: Role; status: ServerStatus; degraded?: readonly string[]}>,
): string | null {
  if (
    servers.some(
      (s) => s.status === 'Primary' || s.status === 'Starting' || s.status === 'Replicating Data' || s.status === 'Split Brain Recovery',
    )
  )
    return null
  const pub = servers.find((s) => s.role === 'publisher')
  const sub = servers.find((s) => s.role === 'subscriber')
  const fixes: string[] = []
  if (pub?.degraded?.length)
    fixes.push(`start ${pub.degraded.join(', ')} on ${pub.name} (ucctl service start NAME --node ${pub.name}): it becomes Primary again`)
  if (sub?.status === 'Deactivated') fixes.push(`or activate ${sub.name} (ucctl cluster activate ${sub.name})`)
  else if (sub?.status === 'Not Functioning') fixes.push(`or bring ${sub.name} back`)
  return `UC-10: no server is Primary: ${pub ? `${pub.name} is ${pub.status}${pub.degraded?.length ? ` (degraded: ${pub.degraded.join(', ')} stopped)` : ''}` : 'the publisher is unknown'}${sub ? `, ${sub.name} is ${sub.status}` : ''}; no server answers as Primary (MWI, notifications, message transfer) until one is. To do: ${fixes.join('; ') || 'start the stopped critical services on the publisher'}`
}

/**
 * UC-13 step 3 (run time): the network is fine when localhost and at least one other known
 * server answer. With no known server configured only localhost can be checked (ucctl's
 * choice; the lab's topology gives every server its known servers).
 */
export function networkFine(
  localhost: boolean,
  known: ReadonlyArray<{name: string; answered: boolean}>,
): {ok: boolean; unreachable: string[]} {
  const unreachable = [...(localhost ? [] : ['localhost']), ...known.filter((k) => !k.answered).map((k) => k.name)]
  return {ok: localhost && (known.length === 0 || known.some((k) => k.answered)), unreachable}
}

// ---------------------------------------------------------------------------------------
// The role manager (UC-5, UC-11, UC-12, UC-13, UC-14) as a pure state machine.

export interface RoleTiming {
  keepaliveIntervalMs: number
  keepaliveTimeoutMs: number
  startingMs: number
  replicatingDataMs: number
  splitBrainRecoveryMs: number
}

export interface PeerInfo {
  status: ServerStatus
  /**
   * When the peer entered that status (its own clock). A message older than what we know
   * (a keepalive sent just before a handover) must not bring an old status back.
   */
  since: number
  sbrPhase: SbrPhase | null
  /** Records this peer still has to send us. */
  pendingToPeer: number
}

export interface StatusChange {
  time: string
  from: ServerStatus
  to: ServerStatus
  reason: string
  rule: string
}

export interface RoleState {
  self: string
  role: Role
  peer: string
  status: ServerStatus
  /** Replicating Data returns here. */
  resumeStatus: ServerStatus | null
  statusSinceMs: number
  takingCalls: boolean
  lastChange: StatusChange | null
  bootMs: number
  peerLastHeardMs: number | null
  peerInfo: PeerInfo | null
  peerLost: boolean
  /** UC-13 step 2 in flight, and the last answer while the peer stays lost. */
  networkCheck: {inFlight: boolean; lastMs: number | null; ok: boolean | null}
  /** UC-12/UC-14 handover this server started and waits on. */
  handover: {rule: 'UC-12' | 'UC-14'; reason: string} | null
  sbr: {phase: SbrPhase | null; sinceMs: number; inFlight: boolean} | null
  /** Critical services down (UC-10 degraded). */
  down: string[]
  /** Records we still have to send the peer. */
  pendingToPeer: number
}

export type RoleEvent =
  | {type: 'tick'}
  | {type: 'keepalive'; peer: PeerInfo}
  | {type: 'networkChecked'; ok: boolean; unreachable: string[]}
  | {type: 'servicesDown'; down: string[]}
  | {type: 'pending'; pendingToPeer: number}
  /** The peer answered our handover request (UC-12 step 2, UC-14 step 2). */
  | {type: 'handoverAnswered'; ok: boolean; error?: string; peer?: PeerInfo}
  /** The peer's role manager tells us (UC-12: it gives up Primary; UC-14: we must give it up). */
  | {type: 'peerHandover'; phase: 'notify' | 'commit' | 'demote'; peer?: PeerInfo}
  | {type: 'sbrStepDone'; phase: SbrPhase}
  | {type: 'manual'; action: ManualAction}

export type RoleEffect =
  | {
      type: 'event'
      eventType: 'ClusterStatus' | 'Alarm' | 'RoleManager'
      message: string
      rule: string
      step?: number
      data?: Record<string, unknown>
    }
  | {type: 'startServices'; services: string[]; why: string}
  | {type: 'checkNetwork'}
  | {type: 'handover'; phase: 'notify' | 'commit' | 'demote'}
  | {type: 'sbrStep'; phase: SbrPhase; start: string[]; stop: string[]}
  | {type: 'dropCalls'; rule: 'UC-8'}
  | {type: 'kickKeepalive'}
  | {type: 'persist'}

export interface RoleStep {
  state: RoleState
  effects: RoleEffect[]
}

export function initialRoleState(opts: {
  self: string
  role: Role
  peer: string
  nowMs: number
  saved?: {status?: ServerStatus; takingCalls?: boolean; lastChange?: StatusChange | null}
}): RoleState {
  // A server that (re)starts goes through Starting, unless an administrator had deactivated it.
  const status: ServerStatus = opts.saved?.status === 'Deactivated' ? 'Deactivated' : 'Starting'
  return {
    self: opts.self,
    role: opts.role,
    peer: opts.peer,
    status,
    resumeStatus: null,
    statusSinceMs: opts.nowMs,
    takingCalls: opts.saved?.takingCalls ?? true,
    lastChange: opts.saved?.lastChange ?? null,
    bootMs: opts.nowMs,
    peerLastHeardMs: null,
    peerInfo: null,
    peerLost: false,
    networkCheck: {inFlight: false, lastMs: null, ok: null},
    handover: null,
    sbr: null,
    down: [],
    pendingToPeer: 0,
  }
}

/** The peer's status as this server sees it (lost: Not Functioning). */
export function peerStatusOf(s: RoleState): ServerStatus | undefined {
  if (s.peerLost) return 'Not Functioning'
  return s.peerInfo?.status
}

const iso = (ms: number) => new Date(ms).toISOString()

class Stepper {
  readonly effects: RoleEffect[] = []
  constructor(
    public s: RoleState,
    readonly now: number,
  ) {}

  event(message: string, rule: string, step?: number, data?: Record<string, unknown>): void {
    this.effects.push({
      type: 'event',
      eventType: 'RoleManager',
      message: step ? `step ${step}: ${message}` : message,
      rule,
      ...(step ? {step} : {}),
      ...(data ? {data} : {}),
    })
  }

  alarm(message: string, rule: string, step?: number): void {
    this.effects.push({type: 'event', eventType: 'Alarm', message, rule, ...(step ? {step} : {})})
  }

  setStatus(to: ServerStatus, reason: string, rule: string, step?: number): void {
    const from = this.s.status
    if (from === to) return
    this.s = {...this.s, status: to, statusSinceMs: this.now, lastChange: {time: iso(this.now), from, to, reason, rule}}
    const text = `${this.s.self} ${from} → ${to}: ${reason}`
    this.effects.push({
      type: 'event',
      eventType: 'ClusterStatus',
      message: step ? `step ${step}: ${text}` : text,
      rule,
      ...(step ? {step} : {}),
      data: {from, to, reason},
    })
    this.effects.push({type: 'persist'}, {type: 'kickKeepalive'})
  }

  /** UC-12 steps 5-9, UC-13 steps 4-8, UC-14 steps 5-9: this server becomes Primary. */
  becomePrimary(reason: string, rule: string, first: number): void {
    this.setStatus('Primary', reason, rule, first)
    this.event('the new Primary starts its critical services', rule, first + 1)
    this.effects.push({
      type: 'startServices',
      services: [...CRITICAL_SERVICES],
      why: `the new Primary starts its critical services (${rule})`,
    })
    this.event('the data connector switches to the database of the new Primary', rule, first + 2)
    this.event('replication of the database and message store continues where possible', rule, first + 3)
    this.alarm(`status change complete: ${this.s.self} is Primary`, rule, first + 4)
  }

  // The processes stay as the host started them: only the Primary needs single-inbox sync
  // (servicesWanted), and processes are stopped only where the document says so (UC-11).
  becomeSecondary(reason: string, rule: string, step?: number): void {
    this.setStatus('Secondary', reason, rule, step)
  }
}

/** One step of the role manager: the new state and what the agent must do. */
export function stepRole(state: RoleState, event: RoleEvent, nowMs: number, t: RoleTiming): RoleStep {
  const st = new Stepper(state, nowMs)
  switch (event.type) {
    case 'tick':
      onTick(st, t)
      break
    case 'keepalive':
      onKeepalive(st, event.peer, t)
      break
    case 'networkChecked':
      onNetworkChecked(st, event)
      break
    case 'servicesDown':
      onServicesDown(st, event.down)
      break
    case 'pending':
      st.s = {...st.s, pendingToPeer: event.pendingToPeer}
      advanceSbr(st, t)
      break
    case 'handoverAnswered':
      if (event.peer) notePeer(st, event.peer)
      onHandoverAnswered(st, event)
      break
    case 'peerHandover':
      if (event.peer) notePeer(st, event.peer)
      onPeerHandover(st, event.phase)
      break
    case 'sbrStepDone':
      onSbrStepDone(st, event.phase, t)
      break
    case 'manual':
      onManual(st, event.action)
      break
  }
  return {state: st.s, effects: st.effects}
}

function onTick(st: Stepper, t: RoleTiming): void {
  const s = st.s
  const heard = s.peerLastHeardMs ?? s.bootMs
  // UC-5: the peer is declared lost when no keepalive came within the timeout.
  if (!s.peerLost && st.now - heard > t.keepaliveTimeoutMs) {
    st.s = {...st.s, peerLost: true, networkCheck: {inFlight: false, lastMs: null, ok: null}}
    st.event(
      `no keepalive from ${s.peer} for ${Math.round((st.now - heard) / 1000)} s: ${s.peer} is Not Functioning or unreachable`,
      'UC-5',
    )
    if (st.s.status === 'Primary') st.event(`this server handles all calls and keeps the database and message store (UC-4)`, 'UC-4')
  }
  const cur = st.s
  // Transient statuses end by themselves.
  if (cur.status === 'Starting' && st.now - cur.statusSinceMs >= t.startingMs) {
    // Without news of the peer yet, wait until it is either heard or declared lost.
    if (cur.peerInfo || cur.peerLost) endStarting(st)
  } else if (cur.status === 'Replicating Data' && st.now - cur.statusSinceMs >= t.replicatingDataMs) {
    const back = cur.resumeStatus ?? 'Secondary'
    st.setStatus(back, 'replication done: back to the previous status', 'UC-2')
    st.s = {...st.s, resumeStatus: null}
  }
  if (st.s.status === 'Split Brain Recovery') {
    if (st.s.peerLost) abandonSbr(st)
    else advanceSbr(st, t)
  }
  // UC-13: a Secondary that hears nothing from the Primary.
  maybeTakeOver(st, t)
}

function endStarting(st: Stepper): void {
  const s = st.s
  const peer = peerStatusOf(s)
  if (peer === 'Primary' || peer === 'Split Brain Recovery') {
    st.becomeSecondary(`started; ${s.peer} is ${peer}`, 'UC-2')
  } else if (peer === 'Starting' && s.role === 'subscriber') {
    st.becomeSecondary(`started; the publisher ${s.peer} becomes Primary`, 'UC-3')
  } else {
    // UC-3: a healthy cluster has the publisher Primary; UC-4: with no Primary peer, this one handles everything.
    const healthy = s.role === 'publisher' && (peer === 'Starting' || peer === 'Secondary')
    const why = healthy
      ? 'started; the publisher is Primary when the cluster is healthy'
      : `started; ${s.peer} is ${peer ?? 'Not Functioning'}`
    st.setStatus('Primary', why, healthy ? 'UC-3' : 'UC-4')
    st.effects.push({type: 'startServices', services: [...CRITICAL_SERVICES], why: 'the Primary runs every critical service'})
  }
}

function maybeTakeOver(st: Stepper, t: RoleTiming): void {
  const s = st.s
  // UC-10: a Secondary whose own critical services are down does not take Primary.
  if (s.status !== 'Secondary' || !s.peerLost || s.networkCheck.inFlight || s.handover || s.down.length > 0) return
  if (s.networkCheck.lastMs !== null && st.now - s.networkCheck.lastMs < t.keepaliveTimeoutMs) return
  if (s.networkCheck.lastMs === null) st.event(`heard nothing from the Primary ${s.peer}`, 'UC-13', 1)
  if (s.networkCheck.lastMs === null) st.event('pinging localhost and the other known servers to verify the network', 'UC-13', 2)
  st.s = {...s, networkCheck: {...s.networkCheck, inFlight: true}}
  st.effects.push({type: 'checkNetwork'})
}

function onNetworkChecked(st: Stepper, e: {ok: boolean; unreachable: string[]}): void {
  const s = st.s
  const before = s.networkCheck.ok
  st.s = {...s, networkCheck: {inFlight: false, lastMs: st.now, ok: e.ok}}
  if (s.status !== 'Secondary' || !s.peerLost) return
  if (!e.ok) {
    if (before !== false)
      st.event(
        `network not fine (no answer from ${e.unreachable.join(', ')}): no status change; the remaining steps do not happen`,
        'UC-13',
        3,
      )
    return
  }
  st.alarm(`status change starting: ${s.self} takes over from ${s.peer} (heard nothing from the Primary)`, 'UC-13', 3)
  st.becomePrimary(`heard nothing from the Primary ${s.peer}; the network is fine`, 'UC-13', 4)
}

/** Takes the peer's news unless it is older than what we know; false when stale. */
function notePeer(st: Stepper, peer: PeerInfo): boolean {
  const known = st.s.peerInfo
  if (known && peer.since < known.since) return false
  st.s = {...st.s, peerInfo: peer}
  return true
}

function onKeepalive(st: Stepper, peer: PeerInfo, t: RoleTiming): void {
  const wasLost = st.s.peerLost
  const before = st.s.peerInfo
  st.s = {...st.s, peerLastHeardMs: st.now, peerLost: false, networkCheck: {inFlight: st.s.networkCheck.inFlight, lastMs: null, ok: null}}
  const fresh = notePeer(st, peer)
  if (wasLost) st.event(`keepalives from ${st.s.peer} again (${st.s.peerInfo?.status})`, 'UC-5')
  if (!fresh) return
  const s = st.s
  // UC-11: contact returns with both Primary (or the peer already recovering): Split Brain Recovery.
  if (
    s.status === 'Primary' &&
    !s.handover &&
    (peer.status === 'Primary' || (peer.status === 'Split Brain Recovery' && peer.sbrPhase !== 'subscriber-started'))
  ) {
    st.alarm(`split brain: ${s.self} and ${s.peer} are both Primary; Split Brain Recovery starts`, 'UC-11')
    st.setStatus('Split Brain Recovery', `contact with ${s.peer} returned while both were Primary`, 'UC-11')
    st.s = {...st.s, sbr: {phase: null, sinceMs: st.now, inFlight: false}}
    advanceSbr(st, t)
    return
  }
  // UC-4: a Secondary cut off from its Primary catches up when contact returns.
  if (wasLost && (s.status === 'Secondary' || s.status === 'Deactivated') && peer.status === 'Primary') {
    st.setStatus('Replicating Data', `contact with the Primary ${s.peer} returned: catching up its data`, 'UC-4')
    st.s = {...st.s, resumeStatus: s.status}
    return
  }
  if (s.status === 'Split Brain Recovery') advanceSbr(st, t)
  else if (s.status === 'Starting' && !before && st.now - s.statusSinceMs >= t.startingMs) endStarting(st)
}

function onServicesDown(st: Stepper, down: string[]): void {
  const s = st.s
  const added = down.filter((d) => !s.down.includes(d))
  st.s = {...s, down: [...down]}
  if (down.length === 0 && s.down.length > 0) {
    st.event(`critical services running again (${s.down.join(', ')}): no longer degraded`, 'UC-10')
    // UC-10: no server was Primary because of this one: with the peer still unable, it takes Primary again.
    const peer = peerStatusOf(s)
    if (
      s.status === 'Secondary' &&
      s.lastChange?.rule === 'UC-10' &&
      (peer === undefined || peer === 'Not Functioning' || peer === 'Deactivated')
    ) {
      st.setStatus(
        'Primary',
        `critical services running again and ${s.peer} is ${peer ?? 'Not Functioning'}: no other server is Primary`,
        'UC-10',
      )
      st.effects.push({type: 'startServices', services: [...CRITICAL_SERVICES], why: 'the Primary runs every critical service'})
    }
    return
  }
  if (added.length === 0) return
  const effect = criticalStopEffect(s.role, s.status, peerStatusOf(s))
  if (effect.effect === 'no-primary' && !s.handover) {
    st.event(`critical service stopped (${added.join(', ')}): ${effect.why}`, 'UC-10')
    st.alarm(
      `no server is Primary: ${s.self} became Secondary (critical service stopped: ${added.join(', ')}) and ${s.peer} is ${peerStatusOf(s) ?? 'Not Functioning'}`,
      'UC-10',
    )
    st.becomeSecondary(`critical service stopped: ${added.join(', ')}; ${s.peer} is ${peerStatusOf(s) ?? 'Not Functioning'}`, 'UC-10')
    return
  }
  if (effect.effect === 'degraded' || s.handover) {
    st.event(`critical service stopped (${added.join(', ')}): ${effect.why}`, 'UC-10')
    return
  }
  // UC-12 steps 1-2; the rest when the peer answers.
  const reason = `critical service stopped: ${added.join(', ')}`
  st.event(`the role manager detects an unrecoverable failure (${reason})`, 'UC-12', 1)
  st.event(`tells the role manager of ${s.peer} to change status`, 'UC-12', 2)
  st.s = {...st.s, handover: {rule: 'UC-12', reason}}
  st.effects.push({type: 'handover', phase: 'notify'})
}

function onHandoverAnswered(st: Stepper, e: {ok: boolean; error?: string}): void {
  const h = st.s.handover
  if (!h) return
  st.s = {...st.s, handover: null}
  if (!e.ok) {
    st.event(`${st.s.peer} did not take the status change (${e.error ?? 'no answer'}): status unchanged`, h.rule)
    return
  }
  if (h.rule === 'UC-12') {
    // The peer raised its alarm (step 3); now this Primary steps down, then the peer steps up.
    st.alarm(`status change starting: ${st.s.self} gives Primary to ${st.s.peer} (${h.reason})`, 'UC-12', 3)
    st.becomeSecondary(h.reason, 'UC-12', 4)
    st.effects.push({type: 'handover', phase: 'commit'})
  } else {
    st.alarm(`status change starting: ${st.s.self} becomes Primary (Make Primary)`, 'UC-14', 3)
    st.becomePrimary('Make Primary by an administrator', 'UC-14', 5)
  }
}

function onPeerHandover(st: Stepper, phase: 'notify' | 'commit' | 'demote'): void {
  const s = st.s
  if (phase === 'notify') {
    st.event(`the role manager of ${s.peer} says it is changing status`, 'UC-12', 2)
    st.alarm(`status change starting: ${s.peer} gives Primary to ${s.self}`, 'UC-12', 3)
  } else if (phase === 'commit') {
    st.becomePrimary(`${s.peer} had an unrecoverable failure and stepped down`, 'UC-12', 5)
  } else {
    st.event(`the role manager of ${s.peer} starts a manual status change (Make Primary ${s.peer})`, 'UC-14', 2)
    st.alarm(`status change starting: ${s.self} gives Primary to ${s.peer} (Make Primary)`, 'UC-14', 3)
    st.becomeSecondary(`Make Primary ${s.peer} by an administrator`, 'UC-14', 4)
  }
}

/** Whether the peer's role manager may accept a handover message now (checked by the receiver). */
export function acceptPeerHandover(s: RoleState, phase: 'notify' | 'commit' | 'demote'): void {
  if (phase === 'demote') {
    if (s.status !== 'Primary') throw new RefusedError(`${s.self} is ${s.status}, not Primary: nothing to hand over`, {rule: 'UC-14'})
    return
  }
  if (s.status === 'Deactivated' || s.status === 'Not Functioning') {
    throw new RefusedError(`${s.self} is ${s.status}: it does not become Primary`, {rule: 'UC-10'})
  }
  if (s.status !== 'Secondary' && s.status !== 'Primary')
    throw new RefusedError(`${s.self} is ${s.status}: no status change now`, {rule: 'UC-12'})
}

function onManual(st: Stepper, action: ManualAction): void {
  const s = st.s
  switch (action) {
    case 'make-primary':
      st.event('an administrator starts a manual status change (Make Primary)', 'UC-14', 1)
      st.event(`tells the role manager of the Primary ${s.peer}`, 'UC-14', 2)
      st.s = {...st.s, handover: {rule: 'UC-14', reason: 'Make Primary by an administrator'}}
      st.effects.push({type: 'handover', phase: 'demote'})
      break
    case 'deactivate':
      st.effects.push({type: 'dropCalls', rule: 'UC-8'})
      st.setStatus('Deactivated', 'deactivated by an administrator', 'UC-7')
      break
    case 'activate':
      // UC-4: once activated again it resumes its share of calls.
      st.s = {...st.s, takingCalls: true}
      st.setStatus('Starting', 'activated by an administrator', 'UC-4')
      break
    case 'stop-taking-calls':
      st.s = {...st.s, takingCalls: false}
      st.event(`${s.self} stops taking calls (status stays ${s.status})`, 'UC-8')
      st.effects.push({type: 'persist'})
      break
    case 'take-calls':
      st.s = {...st.s, takingCalls: true}
      st.event(`${s.self} takes calls again`, 'UC-8')
      st.effects.push({type: 'persist'})
      break
  }
}

// UC-11: Split Brain Recovery, in the documented order. The publisher is chosen Primary.
//   both:       stop MTA and Notifier, stop mailbox sync, unmount the message store  → 'stopped'
//   publisher:  (both stopped, data merged, minimum time passed) mount, start MTA and Notifier → 'publisher-started'
//   subscriber: (publisher started) mount, start MTA and Notifier, becomes Secondary → 'subscriber-started'
//   publisher:  (subscriber started) becomes Primary, starts mailbox sync            (done)

export interface SbrAction {
  phase: SbrPhase | 'done'
  start: string[]
  stop: string[]
  why: string
}

/** The next step of Split Brain Recovery on a server, or null to wait. */
export function nextSbrStep(
  role: Role,
  mine: SbrPhase | null,
  peers: SbrPhase | null,
  opts: {merged: boolean; elapsedMs: number; minimumMs: number},
): SbrAction | null {
  if (mine === null) {
    return {
      phase: 'stopped',
      start: [],
      stop: [...DELIVERY_SERVICES, ...SINGLE_INBOX_SERVICES],
      why: 'Message Transfer Agent and Notifier stop (no delivery, no notifications), Mailbox Sync and Exchange Notification Web Service stop (no single-inbox sync), the message store is unmounted ("mailbox temporarily unavailable")',
    }
  }
  if (role === 'publisher') {
    if (mine === 'stopped' && sbrAtLeast(peers, 'stopped') && opts.merged && opts.elapsedMs >= opts.minimumMs) {
      return {
        phase: 'publisher-started',
        start: [...DELIVERY_SERVICES],
        stop: [],
        why: 'the message store is mounted again; Message Transfer Agent and Notifier start on the publisher',
      }
    }
    if (mine === 'publisher-started' && sbrAtLeast(peers, 'subscriber-started')) {
      return {
        phase: 'done',
        start: [...SINGLE_INBOX_SERVICES],
        stop: [],
        why: 'the publisher ends Primary; Mailbox Sync and Exchange Notification Web Service start on the Primary',
      }
    }
    return null
  }
  if (mine === 'stopped' && sbrAtLeast(peers, 'publisher-started')) {
    return {
      phase: 'subscriber-started',
      start: [...DELIVERY_SERVICES],
      stop: [],
      why: 'the message store is mounted again; Message Transfer Agent and Notifier start on the subscriber, which ends Secondary',
    }
  }
  return null
}

function advanceSbr(st: Stepper, t: RoleTiming): void {
  const s = st.s
  if (s.status !== 'Split Brain Recovery' || !s.sbr || s.sbr.inFlight) return
  const merged = s.pendingToPeer === 0 && (s.peerInfo?.pendingToPeer ?? 1) === 0
  // A subscriber that finished its part is Secondary again and no longer says its phase.
  const peerPhase =
    s.peerInfo?.status === 'Split Brain Recovery'
      ? s.peerInfo.sbrPhase
      : s.peerInfo?.status === 'Secondary' && s.role === 'publisher'
        ? 'subscriber-started'
        : null
  const next = nextSbrStep(s.role, s.sbr.phase, peerPhase, {merged, elapsedMs: st.now - s.sbr.sinceMs, minimumMs: t.splitBrainRecoveryMs})
  if (!next) return
  if (next.phase === 'done') {
    st.s = {...st.s, sbr: null}
    st.setStatus('Primary', 'Split Brain Recovery complete: the publisher is chosen Primary', 'UC-11')
    st.event(`Split Brain Recovery: ${next.why}`, 'UC-11')
    st.effects.push({type: 'startServices', services: next.start, why: 'UC-11: mailbox sync starts on the Primary'})
    return
  }
  st.s = {...st.s, sbr: {...s.sbr, inFlight: true}}
  st.event(`Split Brain Recovery: ${next.why}`, 'UC-11')
  st.effects.push({type: 'sbrStep', phase: next.phase, start: next.start, stop: next.stop})
}

function onSbrStepDone(st: Stepper, phase: SbrPhase, t: RoleTiming): void {
  const s = st.s
  if (s.status !== 'Split Brain Recovery' || !s.sbr) return
  st.s = {...s, sbr: {...s.sbr, phase, inFlight: false}}
  st.effects.push({type: 'kickKeepalive'})
  if (phase === 'subscriber-started') {
    st.s = {...st.s, sbr: null}
    st.setStatus('Secondary', 'Split Brain Recovery complete: the publisher is Primary', 'UC-11')
    return
  }
  advanceSbr(st, t)
}

function abandonSbr(st: Stepper): void {
  // Contact lost again mid-recovery: this server carries on alone and delivers again.
  st.s = {...st.s, sbr: null}
  st.setStatus('Primary', `contact with ${st.s.peer} lost during Split Brain Recovery`, 'UC-11')
  st.effects.push({
    type: 'startServices',
    services: [...CRITICAL_SERVICES],
    why: 'alone again: the message store is mounted and every critical service runs',
  })
}

// ---------------------------------------------------------------------------------------
// UC-15: voice-messaging ports by integration type (seed table 3-2)

export const INTEGRATIONS = ['sccp', 'sip-trunk', 'pimg-timg', 'sip'] as const
export type Integration = (typeof INTEGRATIONS)[number]

export interface PortRule {
  integration: Integration
  label: string
  phoneSystem: string
  perServer: string
  distribution: string
  phoneSystemPorts(n: number): number
  perServerPorts(n: number): number
  /** PIMG/TIMG: both servers share the same ports. */
  samePortsOnBoth: boolean
}

export const PORT_RULES: readonly PortRule[] = [
  {
    integration: 'sccp',
    label: 'SCCP with CUCM / CUCM Express',
    phoneSystem: '2N',
    perServer: "N (half of the phone system's)",
    distribution: 'subscriber answers most calls',
    phoneSystemPorts: (n) => 2 * n,
    perServerPorts: (n) => n,
    samePortsOnBoth: false,
  },
  {
    integration: 'sip-trunk',
    label: 'SIP trunk with CUCM / CUCM Express',
    phoneSystem: 'N',
    perServer: 'N/2',
    distribution: 'even',
    phoneSystemPorts: (n) => n,
    perServerPorts: (n) => Math.ceil(n / 2),
    samePortsOnBoth: false,
  },
  {
    integration: 'pimg-timg',
    label: 'PIMG/TIMG units',
    phoneSystem: 'N',
    perServer: 'N (the same ports on both)',
    distribution: 'even',
    phoneSystemPorts: (n) => n,
    perServerPorts: (n) => n,
    samePortsOnBoth: true,
  },
  {
    integration: 'sip',
    label: 'other SIP integrations',
    phoneSystem: 'N',
    perServer: 'N/2',
    distribution: 'even',
    phoneSystemPorts: (n) => n,
    perServerPorts: (n) => Math.ceil(n / 2),
    samePortsOnBoth: false,
  },
]

export interface PortFinding {
  rule: string
  severity: 'error' | 'warning'
  message: string
  fix: string
  node?: string
}

export function portRule(integration: Integration): PortRule {
  const r = PORT_RULES.find((p) => p.integration === integration)
  if (!r) throw new UsageError(`unknown integration "${integration}"`, {hint: `one of: ${INTEGRATIONS.join(', ')}`})
  return r
}

/**
 * UC-15: checks a port plan. `perServer` is [publisher, subscriber] ports with their names.
 * In every case one server alone must carry all calls when the other stops.
 */
export function checkPorts(input: {
  integration: Integration
  needed: number
  phoneSystem?: number
  perServer?: ReadonlyArray<{name: string; ports: number}>
}): {ok: boolean; findings: PortFinding[]; expected: {phoneSystem: number; perServer: number; distribution: string}} {
  const r = portRule(input.integration)
  const n = input.needed
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--needed must be a whole number of ports of at least 1, not ${n}`, {rule: 'UC-15'})
  const expected = {phoneSystem: r.phoneSystemPorts(n), perServer: r.perServerPorts(n), distribution: r.distribution}
  const findings: PortFinding[] = []
  const err = (message: string, fix: string, node?: string) =>
    findings.push({rule: 'UC-15', severity: 'error', message, fix, ...(node ? {node} : {})})
  if (input.phoneSystem !== undefined && input.phoneSystem !== expected.phoneSystem) {
    err(
      `${r.label}: the phone system has ${input.phoneSystem} voice-messaging ports; ${r.phoneSystem} = ${expected.phoneSystem} are needed for N = ${n}`,
      `configure ${expected.phoneSystem} ports on the phone system${input.integration === 'sccp' ? ' (twice the ports needed: each server has half of them)' : ''}`,
    )
  }
  const servers = input.perServer ?? []
  for (const s of servers) {
    if (s.ports < expected.perServer) {
      err(
        `${r.label}: ${s.name} has ${s.ports} voice-messaging ports; ${r.perServer} = ${expected.perServer} per server are needed`,
        `assign ${expected.perServer} ports to ${s.name} in Connection Administration`,
        s.name,
      )
    } else if (s.ports > expected.perServer) {
      findings.push({
        rule: 'UC-15',
        severity: 'warning',
        node: s.name,
        message: `${r.label}: ${s.name} has ${s.ports} voice-messaging ports, more than the ${expected.perServer} per server of the table`,
        fix:
          input.integration === 'sccp'
            ? `each server has half of the phone system's ${expected.phoneSystem} ports: ${expected.perServer}`
            : `${expected.perServer} ports per server are enough`,
      })
    }
  }
  if (r.samePortsOnBoth && servers.length === 2 && servers[0].ports !== servers[1].ports) {
    err(
      `${r.label}: the servers must share the same ports (${servers[0].name}: ${servers[0].ports}, ${servers[1].name}: ${servers[1].ports})`,
      `give both servers the phone system's ${expected.phoneSystem} ports`,
    )
  }
  for (const s of servers) {
    const other = servers.find((o) => o !== s)
    if (other && s.ports === 0) {
      err(
        `${s.name} has no voice-messaging ports: when ${other.name} stops, ${s.name} cannot carry the calls (one server alone must carry all calls)`,
        `assign ${expected.perServer} ports to ${s.name}`,
        s.name,
      )
    }
  }
  return {ok: !findings.some((f) => f.severity === 'error'), findings, expected}
}

/** Parses "a,b" of --per-server. */
export function parsePerServer(text: string): [number, number] {
  const parts = text.split(',').map((p) => p.trim())
  const nums = parts.map(Number)
  if (parts.length !== 2 || nums.some((x, i) => parts[i] === '' || !Number.isInteger(x) || x < 0)) {
    throw new UsageError(`--per-server takes two whole numbers "publisher,subscriber" (e.g. 16,16), not "${text}"`, {rule: 'UC-15'})
  }
  return [nums[0], nums[1]]
}

// ---------------------------------------------------------------------------------------
// UC-16: each server needs its own license holding its own MAC address.

export function normalizeMac(mac: string): string | undefined {
  const hex = mac.replaceAll(/[^0-9a-f]/gi, '').toLowerCase()
  if (hex.length !== 12) return undefined
  return hex.match(/../g)!.join(':')
}

export function checkLicenses(servers: ReadonlyArray<{name: string; role: Role; mac?: string | null; licenseMac?: string | null}>): {
  ok: boolean
  findings: PortFinding[]
} {
  const findings: PortFinding[] = []
  for (const s of servers) {
    const own = s.mac ? normalizeMac(s.mac) : undefined
    const lic = s.licenseMac ? normalizeMac(s.licenseMac) : undefined
    const err = (message: string, fix: string) => findings.push({rule: 'UC-16', severity: 'error', node: s.name, message, fix})
    if (!own) {
      err(
        `${s.name}: its own MAC address is not known${s.mac ? ` ("${s.mac}" is not a MAC address)` : ''}`,
        "set the server's MAC address (settings.mac of its agent)",
      )
      continue
    }
    if (!s.licenseMac) {
      err(`${s.name} (${s.role}) has no license installed`, `install on ${s.name} a license holding its own MAC address ${own}`)
      continue
    }
    if (!lic) {
      err(
        `${s.name}: the license MAC "${s.licenseMac}" is not a MAC address`,
        `install on ${s.name} a license holding its own MAC address ${own}`,
      )
      continue
    }
    if (lic !== own) {
      const other = servers.find((o) => o !== s && o.mac && normalizeMac(o.mac) === lic)
      err(
        `${s.name} (${s.role}) holds a license for MAC ${lic}${other ? ` (the MAC of ${other.name})` : ''}, not its own MAC ${own}`,
        `install on ${s.name} the license holding ${own}${other ? `; the license for ${lic} belongs on ${other.name}` : ''}`,
      )
    }
  }
  return {ok: findings.length === 0, findings}
}
