// Unity Connection server statuses (SPEC §4 UC-2; seed 002 table 3-1), the critical services a
// status wants running, and what stopping one of them does (UC-10, seed table 3-4). Tables and
// pure functions only.

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

/** What a server replicates to its peer (UC-2): voice messages and administrative changes. */
export const RECORD_KINDS = ['message', 'admin'] as const
export type RecordKind = (typeof RECORD_KINDS)[number]

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

/** The steps of Split Brain Recovery a server reports to its peer (UC-11). */
export const SBR_PHASES = ['stopped', 'publisher-started', 'subscriber-started'] as const
export type SbrPhase = (typeof SBR_PHASES)[number]
const SBR_ORDER: readonly (SbrPhase | null)[] = [null, 'stopped', 'publisher-started', 'subscriber-started']
export const sbrAtLeast = (p: SbrPhase | null, min: SbrPhase) => SBR_ORDER.indexOf(p) >= SBR_ORDER.indexOf(min)

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
