// IM and Presence high availability (SPEC §6, seed 003 "プレゼンス冗長性グループとハイ アベイラビリティ"):
// node states, reasons, the table of state pairs with their recommended actions, and a pure
// state machine of a two-node presence redundancy group that the node agents' Server Recovery
// Manager (SRM) drives. No I/O, no clock: time comes in as `nowMs`; what the agent must do
// comes out as effects.

import {NotFoundError, RefusedError} from '../errors.js'
import {TIMING_TABLE, type Timing} from './timing.js'

// ---------------------------------------------------------------------------------------
// PRG-5: node states (seed table 2 "プレゼンス冗長グループのノード状態の定義")

export interface NodeStateDefinition {
  readonly state: string
  /** Transient states end by themselves; stable ones stay until an event or an operator acts. */
  readonly transient: boolean
  readonly meaning: string
}

export const NODE_STATES = [
  {state: 'Initializing', transient: true, meaning: 'initial (transition) state while the Cisco Server Recovery Manager service starts'},
  {
    state: 'Idle',
    transient: false,
    meaning:
      'after a failover the services are stopped; the node provides no IM and presence service; a manual fallback to it can be started',
  },
  {state: 'Normal', transient: false, meaning: 'IM and Presence runs normally; a manual failover of this node can be started'},
  {state: 'Running in Backup Mode', transient: false, meaning: 'the node acts as backup of its peer; the users have moved to it'},
  {state: 'Taking Over', transient: true, meaning: 'the node is taking over its peer'},
  {state: 'Failing Over', transient: true, meaning: 'the node is being taken over by its peer'},
  {
    state: 'Failed Over',
    transient: false,
    meaning: 'the node has failed over but its critical services are not down; a manual fallback to it can be started',
  },
  {
    state: 'Failed Over with Critical Services Not Running',
    transient: false,
    meaning: 'some critical services of the node stopped or failed',
  },
  {state: 'Falling Back', transient: true, meaning: 'the system is falling back to this node from the node running in backup mode'},
  {state: 'Taking Back', transient: true, meaning: 'the failed node is being taken back from its peer'},
  // The seed gives no transient/stable flag: it stays until Recover, so stable for ucctl.
  {state: 'Running in Failed Mode', transient: false, meaning: 'an error occurred in a transition state or while running in backup mode'},
  // Only in the PRG-7 table (rows 22, 23): automatic recovery moving every user, so transient.
  {
    state: 'Backup Activated',
    transient: true,
    meaning: 'automatic recovery: the node in failover mode takes over all users of the group because the backup node failed',
  },
  {
    state: 'Failover Affected Services',
    transient: true,
    meaning: 'automatic recovery: the backup node lost its database or a critical service; its users move to the peer',
  },
  {
    state: 'Unknown',
    transient: false,
    meaning:
      'the node state is unknown, possibly because high availability was not enabled correctly: restart the Server Recovery Manager service on both nodes',
  },
] as const satisfies readonly NodeStateDefinition[]

export type NodeState = (typeof NODE_STATES)[number]['state']

// ---------------------------------------------------------------------------------------
// PRG-6: reasons (the "理由" columns of seed table 3)

export interface ReasonDefinition {
  readonly reason: string
  readonly meaning: string
  /** Other spellings met in the documents, accepted by normalizeReason(). */
  readonly aliases: readonly string[]
}

export const REASONS = [
  // Row 1 uses "Normal" as the reason too; PRG-6's list omits it.
  {reason: 'Normal', meaning: 'high availability runs normally', aliases: []},
  {reason: 'By Admin Request', meaning: 'an administrator started the manual failover or fallback', aliases: ['On Admin Request']},
  // Seed: the reason 初期化 (Initialization) differs from the state 初期化中 (Initializing).
  {reason: 'Initialization', meaning: 'the Server Recovery Manager (or the node) restarted and initialized', aliases: ['Initializing']},
  {reason: 'Automatic Fallback', meaning: 'automatic fallback after the failed node became healthy', aliases: []},
  {reason: 'Critical Service Down', meaning: 'a critical service of the node went down', aliases: ['Critical Services Down']},
  {reason: 'Database Failure', meaning: 'the database service of the node went down', aliases: []},
  {reason: 'Start of Critical Services Failed', meaning: 'critical services could not start during a takeback', aliases: []},
  {reason: 'Peer Down', meaning: 'the heartbeat of the peer was lost (network lost, or its SRM not running)', aliases: []},
  {reason: 'Peer Reboot', meaning: 'the peer went down (power off, hardware failure, shutdown, reboot)', aliases: []},
  {reason: 'Peer Down During Initialization', meaning: 'at start-up the node did not see its peer', aliases: []},
  {
    reason: 'Cisco Server Recovery Manager Take Over Users Failed',
    meaning: 'users could not be moved during the takeover',
    aliases: ['SRM Take Over Users Failed'],
  },
  {
    reason: 'Cisco Server Recovery Manager Take Back Users Failed',
    meaning: 'users could not be moved during the fallback',
    aliases: ['SRM Take Back Users Failed'],
  },
  {reason: 'Auto Recover Database Failure', meaning: 'automatic recovery after the database of the backup node went down', aliases: []},
  {
    reason: 'Auto Recover Critical Service Down',
    meaning: 'automatic recovery after a critical service of the backup node went down',
    aliases: [],
  },
  {
    reason: 'Unknown',
    meaning: 'SRM restarted while the peer was failed, an internal error, or high availability not enabled correctly',
    aliases: [],
  },
] as const satisfies readonly ReasonDefinition[]

export type Reason = (typeof REASONS)[number]['reason']

const fold = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase()

/** Maps a state as an SRM or a document spells it to the canonical name ("Backup Mode" too). */
export function normalizeState(text: string): NodeState | undefined {
  const t = fold(text)
  if (t === 'backup mode') return 'Running in Backup Mode' // seed table 3, row 18
  return NODE_STATES.find((s) => fold(s.state) === t)?.state
}

/** Maps a reason as an SRM or a document spells it ("On Admin Request", "Initializing") to the canonical one. */
export function normalizeReason(text: string): Reason | undefined {
  const t = fold(text)
  return REASONS.find((r) => fold(r.reason) === t || r.aliases.some((a) => fold(a) === t))?.reason
}

export function isTransient(state: NodeState): boolean {
  return NODE_STATES.find((s) => s.state === state)?.transient ?? false
}

// ---------------------------------------------------------------------------------------
// PRG-7: state pairs, causes and recommended actions (seed table 3). Node 1 is the node whose
// users moved (or are moving) away; in rows 22 and 23 it is the node that receives them back.

export interface Prg7Side {
  /** Accepted states; 'down' means the node is down and shows no state (rows 16, 17). */
  readonly states: readonly (NodeState | 'down')[]
  /** Accepted reasons; empty means the document gives none (a down node, row 24). */
  readonly reasons: readonly Reason[]
  /** The cell as the document words it. */
  readonly text: string
}

export interface Prg7Row {
  readonly row: number
  readonly node1: Prg7Side
  readonly node2: Prg7Side
  readonly cause: string
  readonly recommendedAction: string
}

const side = (states: readonly (NodeState | 'down')[], reasons: readonly Reason[], text?: string): Prg7Side => ({
  states,
  reasons,
  text: text ?? `${states.join(' or ')} / ${reasons.join(' or ')}`,
})

const FALL_BACK_WHEN_READY = 'None required; fall back to node 1 when its users should return.'
const FALL_BACK_WHEN_RUNNING = 'When node 1 is up and all critical services run, fall back by hand to bring the group back to Normal.'
const RECOVER_THEN_REBOOT = 'Possibly a database error: select Recover. If the problem persists, reboot the node.'

export const PRG7_ROWS: readonly Prg7Row[] = [
  {
    row: 1,
    node1: side(['Normal'], ['Normal']),
    node2: side(['Normal'], ['Normal']),
    cause: 'High availability is running on both nodes; the group is not in failover mode and critical services run on both nodes.',
    recommendedAction: 'None.',
  },
  {
    row: 2,
    node1: side(['Failing Over'], ['By Admin Request']),
    node2: side(['Taking Over'], ['By Admin Request']),
    cause: 'The administrator started a manual failover from node 1 to node 2; it is in progress.',
    recommendedAction: 'Wait for the failover to complete.',
  },
  {
    row: 3,
    node1: side(['Idle'], ['By Admin Request']),
    node2: side(['Running in Backup Mode'], ['By Admin Request']),
    cause: 'The manual failover from node 1 to node 2 started by the administrator is complete.',
    recommendedAction: FALL_BACK_WHEN_READY,
  },
  {
    row: 4,
    node1: side(['Taking Back'], ['By Admin Request']),
    node2: side(['Falling Back'], ['By Admin Request']),
    cause: 'The administrator started a manual fallback from node 2 to node 1; it is in progress.',
    recommendedAction: 'Wait for the fallback to complete.',
  },
  {
    row: 5,
    node1: side(['Idle'], ['Initialization']),
    node2: side(['Running in Backup Mode'], ['By Admin Request']),
    cause: 'The administrator restarted the SRM service on node 1 while node 1 was Idle.',
    recommendedAction: FALL_BACK_WHEN_READY,
  },
  {
    row: 6,
    node1: side(['Idle'], ['Initialization']),
    node2: side(['Running in Backup Mode'], ['Initialization']),
    cause: 'During a manual failover the administrator restarted both nodes, or the SRM service on both nodes.',
    recommendedAction: FALL_BACK_WHEN_READY,
  },
  {
    row: 7,
    node1: side(['Idle'], ['By Admin Request']),
    node2: side(['Running in Backup Mode'], ['Initialization']),
    cause:
      "While node 2 was running in backup mode, the administrator restarted the SRM service on node 2 before node 1's heartbeat timed out.",
    recommendedAction: FALL_BACK_WHEN_READY,
  },
  {
    row: 8,
    node1: side(['Failing Over'], ['By Admin Request']),
    node2: side(['Taking Over'], ['Initialization']),
    cause: "While node 2 was taking over, the administrator restarted the SRM service on node 2 before node 1's heartbeat timed out.",
    recommendedAction: 'Wait for the takeover to complete.',
  },
  {
    row: 9,
    node1: side(['Taking Back'], ['Initialization']),
    node2: side(['Falling Back'], ['By Admin Request']),
    cause: "While node 1 was taking back, the administrator restarted the SRM service on node 1 before node 2's heartbeat timed out.",
    recommendedAction: 'Wait: when the takeback completes, both nodes are Normal.',
  },
  {
    row: 10,
    node1: side(['Taking Back'], ['Automatic Fallback']),
    node2: side(['Falling Back'], ['Automatic Fallback']),
    cause: 'An automatic fallback from node 2 to node 1 started and is in progress.',
    recommendedAction: 'Wait for the fallback to complete.',
  },
  {
    row: 11,
    node1: side(['Failed Over'], ['Initialization', 'Critical Service Down'], 'Failed Over / Initializing or Critical Services Down'),
    node2: side(['Running in Backup Mode'], ['Critical Service Down']),
    cause:
      'Node 1 is Failed Over because a reboot of node 1 brought its critical services back, or the administrator started them while it was Failed Over with Critical Services Not Running.',
    recommendedAction: 'Fall back to node 1 by hand to bring the group back to Normal.',
  },
  {
    row: 12,
    node1: side(['Failed Over with Critical Services Not Running'], ['Critical Service Down']),
    node2: side(['Running in Backup Mode'], ['Critical Service Down']),
    cause: 'A critical service went down on node 1; IM and Presence failed over to node 2 automatically.',
    recommendedAction:
      '1. Check the critical services that are down on node 1 and try to start them by hand. 2. If they do not start, reboot node 1. 3. When all critical services run after the reboot, fall back by hand to bring the group back to Normal.',
  },
  {
    row: 13,
    node1: side(['Failed Over with Critical Services Not Running'], ['Database Failure']),
    node2: side(['Running in Backup Mode'], ['Database Failure']),
    cause: 'The database service went down on node 1; IM and Presence failed over to node 2 automatically.',
    recommendedAction:
      '1. Reboot node 1. 2. When all critical services run after the reboot, fall back by hand to bring the group back to Normal.',
  },
  {
    row: 14,
    node1: side(['Running in Failed Mode'], ['Start of Critical Services Failed']),
    node2: side(['Running in Failed Mode'], ['Start of Critical Services Failed']),
    cause: 'Critical services could not be started on a node during a takeback from the other node.',
    recommendedAction:
      'On the node taking back: 1. Check the critical services that are down; to start them, select Recover. 2. If they do not start, reboot the node. 3. When all critical services run after the reboot, fall back by hand to bring the group back to Normal.',
  },
  {
    row: 15,
    node1: side(['Running in Failed Mode'], ['Critical Service Down']),
    node2: side(['Running in Failed Mode'], ['Critical Service Down']),
    cause: 'A critical service went down on the backup node; both nodes entered the failed state.',
    recommendedAction:
      'On the backup node: 1. Check the critical services that are down; to start them, select Recover. 2. If they do not start, reboot the node.',
  },
  {
    row: 16,
    node1: side(['down'], [], 'down: network connection lost or SRM service not running'),
    node2: side(['Running in Backup Mode'], ['Peer Down']),
    cause:
      "Node 1 is down because the network connection was lost or its SRM service is not running; node 2 lost node 1's heartbeat and IM and Presence failed over to node 2 automatically.",
    recommendedAction:
      'When node 1 is up: 1. Check and repair the network connection between the nodes; once it is back the nodes may enter the failed state: select Recover to bring them back to Normal. 2. Start the SRM service and fall back by hand. 3. If node 1 is down, repair it and power it on. 4. When node 1 is up and all critical services run, fall back by hand to bring the group back to Normal.',
  },
  {
    row: 17,
    node1: side(['down'], [], 'down: power off, hardware failure, shutdown, reboot'),
    node2: side(['Running in Backup Mode'], ['Peer Reboot']),
    cause: 'Node 1 went down (hardware failure, power off, restart, shutdown); IM and Presence failed over to node 2 automatically.',
    recommendedAction: `1. Repair node 1 and power it on. 2. ${FALL_BACK_WHEN_RUNNING}`,
  },
  {
    row: 18,
    node1: side(
      ['Failed Over with Critical Services Not Running', 'Failed Over'],
      ['Initialization'],
      'Failed Over with Critical Services Not Running or Failed Over / Initializing',
    ),
    node2: side(['Running in Backup Mode'], ['Peer Down During Initialization'], 'Backup Mode / Peer Down During Initialization'),
    cause: 'At start-up node 2 did not see node 1.',
    recommendedAction: FALL_BACK_WHEN_RUNNING,
  },
  {
    row: 19,
    node1: side(['Running in Failed Mode'], ['Cisco Server Recovery Manager Take Over Users Failed']),
    node2: side(['Running in Failed Mode'], ['Cisco Server Recovery Manager Take Over Users Failed']),
    cause: 'Users could not be moved during the takeover.',
    recommendedAction: RECOVER_THEN_REBOOT,
  },
  {
    row: 20,
    node1: side(['Running in Failed Mode'], ['Cisco Server Recovery Manager Take Back Users Failed']),
    node2: side(['Running in Failed Mode'], ['Cisco Server Recovery Manager Take Back Users Failed']),
    cause: 'Users could not be moved during the fallback.',
    recommendedAction: RECOVER_THEN_REBOOT,
  },
  {
    row: 21,
    node1: side(['Running in Failed Mode'], ['Unknown']),
    node2: side(['Running in Failed Mode'], ['Unknown']),
    cause: 'The SRM of a node restarted while the other node was in a failed state, or an internal system error occurred.',
    recommendedAction: 'Select Recover. If the problem persists, reboot the node.',
  },
  {
    row: 22,
    node1: side(['Backup Activated'], ['Auto Recover Database Failure']),
    node2: side(['Failover Affected Services'], ['Auto Recover Database Failure']),
    cause:
      'The database went down on the backup node (node 2). Node 1, in failover mode, can take over all users of the group: automatic recovery started and all users move to the primary node.',
    recommendedAction: 'None: the recovery is automatic.',
  },
  // Seed wins over SPEC: node 1's reason here is "Auto Recover Database Failure" in the seed.
  {
    row: 23,
    node1: side(['Backup Activated'], ['Auto Recover Database Failure']),
    node2: side(['Failover Affected Services'], ['Auto Recover Critical Service Down']),
    cause:
      'A critical service went down on the backup node (node 2). Node 1, in failover mode, can take over all users of the group: automatic recovery started and all users move to the peer node.',
    recommendedAction: 'None: the recovery is automatic.',
  },
  // The seed's row has two cells only ("Unknown", "Unknown"): any reason is accepted.
  {
    row: 24,
    node1: side(['Unknown'], [], 'Unknown'),
    node2: side(['Unknown'], [], 'Unknown'),
    cause: 'The node state is unknown, possibly because high availability was not enabled correctly on the IM and Presence nodes.',
    recommendedAction: 'Restart the Server Recovery Manager service on both nodes of the group.',
  },
]

/** What a status shows of one node; `state: null` means the node is down and shows no state. */
export interface NodeStatus {
  readonly state: NodeState | null
  readonly reason: Reason | null
}

function sideMatches(s: Prg7Side, n: NodeStatus): boolean {
  if (n.state === null) return s.states.includes('down')
  if (!s.states.includes(n.state)) return false
  return s.reasons.length === 0 || (n.reason !== null && s.reasons.includes(n.reason))
}

/** PRG-7: the row that matches node 1 (the node whose users move) and node 2, or null. */
export function classifyPair(node1: NodeStatus, node2: NodeStatus): Prg7Row | null {
  return PRG7_ROWS.find((r) => sideMatches(r.node1, node1) && sideMatches(r.node2, node2)) ?? null
}

// ---------------------------------------------------------------------------------------
// PRG-3: SRM timers. DESIGN.md "Time": each documented duration is a setting, two profiles.

export interface HaTimers {
  readonly keepaliveIntervalMs: number
  readonly keepaliveTimeoutMs: number
  readonly initKeepaliveTimeoutMs: number
  /** A critical service down this long makes SRM fail the node over. */
  readonly criticalServiceDownDelayMs: number
  /** With automatic fallback on: how long node 1 must be healthy again before the fallback. */
  readonly autoFallbackDelayMs: number
}

/** The SRM timers as rows of the one timing table (src/lib/domain/timing.ts), by HaTimers name. */
const HA_TIMING_NAMES: readonly (readonly [keyof HaTimers, keyof Timing])[] = [
  ['keepaliveIntervalMs', 'srmKeepaliveIntervalMs'],
  ['keepaliveTimeoutMs', 'srmKeepaliveTimeoutMs'],
  ['initKeepaliveTimeoutMs', 'srmInitKeepaliveTimeoutMs'],
  ['criticalServiceDownDelayMs', 'srmCriticalServiceDownDelayMs'],
  ['autoFallbackDelayMs', 'srmAutoFallbackDelayMs'],
]

export const HA_TIMING_TABLE: readonly {readonly name: keyof HaTimers; readonly documented: number; readonly fast: number}[] =
  HA_TIMING_NAMES.map(([name, setting]) => {
    const row = TIMING_TABLE.find((r) => r.name === setting)!
    return {name, documented: row.documented, fast: row.fast}
  })

/** The SRM timers of a node's resolved timing (profile plus overrides). */
export function haTimersFromTiming(t: Timing): HaTimers {
  return Object.fromEntries(HA_TIMING_NAMES.map(([name, setting]) => [name, t[setting]])) as unknown as HaTimers
}

export function haTimersFor(profile: 'documented' | 'fast', overrides: Partial<HaTimers> = {}): HaTimers {
  const t = Object.fromEntries(HA_TIMING_TABLE.map((s) => [s.name, s[profile]])) as unknown as HaTimers
  return {...t, ...overrides}
}

export const DOCUMENTED_HA_TIMERS: HaTimers = haTimersFor('documented')

// ---------------------------------------------------------------------------------------
// PRG-11: what clients see during failover and fallback (for notices and docs).

export const FAILOVER_IMPACT: readonly {readonly subject: string; readonly impact: string}[] = [
  {
    subject: 'presence and instant messaging',
    impact: 'briefly unavailable until the failover or fallback completes and clients sign in again (automatically)',
  },
  {subject: 'ad hoc chat rooms hosted on the failed node', impact: 'lost: clients show that the room was deleted'},
  {subject: 'persistent chat rooms on the failed node', impact: 'unreachable until recovery completes'},
  {subject: 'softphone calls', impact: 'not dropped'},
  {subject: 'other clusters', impact: 'the Intercluster Sync Agent tells them where users moved'},
]

/**
 * PRG-11 (run time): the impact operators see before a failover, fallback or recovery (and in
 * its JSON), or before anything that causes one (a critical service stop, a node restart: the
 * effect confirmations reuse it). `failedNode` names the failed node where the text says so.
 */
export function failoverImpact(failedNode?: string): Array<{subject: string; impact: string; rule: 'PRG-11'}> {
  return FAILOVER_IMPACT.map((i) => ({
    subject: failedNode ? i.subject.replace('the failed node', failedNode) : i.subject,
    impact: i.impact,
    rule: 'PRG-11' as const,
  }))
}

/** ADM-9: said whenever HA is enabled. */
export const HA_SYNC_AGENT_NOTE =
  'ADM-9: high availability is system-level: the Cisco Sync Agent may remain a single point of failure (it is not protected by the presence redundancy group)'

/** PRG-11 in one sentence, for a confirmation question or a notice. */
export function failoverImpactText(failedNode?: string): string {
  return `PRG-11: ${failoverImpact(failedNode)
    .map((i) => `${i.subject}: ${i.impact}`)
    .join('; ')}.`
}

// ---------------------------------------------------------------------------------------
// The group state machine

export interface PresenceNode {
  readonly name: string
  /** null: the node is down and shows no state (PRG-7 rows 16, 17). */
  readonly state: NodeState | null
  readonly reason: Reason | null
  /** Reachable with its SRM running. A down node may keep a recorded state (failed mode). */
  readonly up: boolean
  readonly criticalServicesRunning: boolean
  /** When SRM saw a critical service go down and has not acted on it yet. */
  readonly criticalServicesDownSinceMs: number | null
  /** Users signed in to this node now. */
  readonly users: number
  /** Users assigned (homed) to this node: where a fallback or a recovery puts them back. */
  readonly assignedUsers: number
}

export interface GroupState {
  readonly name: string
  readonly haEnabled: boolean
  readonly autoFallback: boolean
  /** PRG-9: replication is set up in the IM and Presence cluster. */
  readonly replicationReady: boolean
  readonly nodes: readonly [PresenceNode, PresenceNode]
  /** Index of PRG-7's "node 1" for the current or last move; null when no move is in effect. */
  readonly node1: 0 | 1 | null
  /** When node 1 became Failed Over with its services running (automatic fallback clock). */
  readonly healthySinceMs: number | null
}

export interface NewGroupOptions {
  readonly name: string
  readonly nodes: readonly [{readonly name: string; readonly users: number}, {readonly name: string; readonly users: number}]
  readonly haEnabled?: boolean
  readonly autoFallback?: boolean
  readonly replicationReady?: boolean
}

/** A healthy group: both nodes up, critical services running, Normal / Normal when HA is on. */
export function newGroup(opts: NewGroupOptions): GroupState {
  const node = (n: {name: string; users: number}): PresenceNode => ({
    name: n.name,
    state: 'Normal',
    reason: 'Normal',
    up: true,
    criticalServicesRunning: true,
    criticalServicesDownSinceMs: null,
    users: n.users,
    assignedUsers: n.users,
  })
  return {
    name: opts.name,
    // PRG-9/ADM-9 (run time): HA is off until an administrator enables it.
    haEnabled: opts.haEnabled ?? false,
    autoFallback: opts.autoFallback ?? false, // PRG-3: automatic fallback off by default
    replicationReady: opts.replicationReady ?? true,
    nodes: [node(opts.nodes[0]), node(opts.nodes[1])],
    node1: null,
    healthySinceMs: null,
  }
}

export type HaEvent =
  // operator actions (PRG-8, PRG-9)
  | {readonly type: 'failover'; readonly node: string}
  | {readonly type: 'fallback'; readonly node: string}
  | {readonly type: 'recover'}
  | {readonly type: 'haEnable'}
  | {readonly type: 'haDisable'}
  // faults, as the SRMs see them; `node` is always the node the fault is about
  | {readonly type: 'criticalServiceDown'; readonly node: string; readonly sinceMs?: number}
  | {readonly type: 'databaseFailure'; readonly node: string}
  | {readonly type: 'peerHeartbeatLost'; readonly node: string}
  | {readonly type: 'peerRebootAnnounced'; readonly node: string}
  | {readonly type: 'srmRestarted'; readonly node: string}
  | {readonly type: 'nodeBoot'; readonly node: string; readonly servicesUp?: boolean}
  | {readonly type: 'servicesBack'; readonly node: string}
  | {readonly type: 'userMoveFailed'}
  | {readonly type: 'peerNotSeenAtInit'; readonly node: string}
  // completions of transient phases, and the passing of time
  | {readonly type: 'takeoverComplete'}
  | {readonly type: 'takebackComplete'}
  | {readonly type: 'tick'}

export type OperatorAction = Extract<HaEvent, {type: 'failover' | 'fallback' | 'recover' | 'haEnable' | 'haDisable'}>

export type HaEffect =
  | {readonly kind: 'stopCriticalServices'; readonly node: string}
  | {readonly kind: 'startCriticalServices'; readonly node: string}
  /** `by`: the node whose SRM performs the move (PRG-3: the peer of the failed node). */
  | {readonly kind: 'moveUsers'; readonly from: string; readonly to: string; readonly users: number; readonly by: string}
  | {readonly kind: 'restartSrm'; readonly node: string}
  | {readonly kind: 'haMonitoring'; readonly enabled: boolean}
  | {readonly kind: 'raiseAlarm'; readonly node: string | null; readonly rule: string; readonly message: string}

export interface Transition {
  readonly group: GroupState
  readonly effects: readonly HaEffect[]
}

type Mutable<T> = {-readonly [K in keyof T]: T[K]}
type DraftNode = Mutable<PresenceNode>
interface Draft extends Omit<Mutable<GroupState>, 'nodes'> {
  nodes: [DraftNode, DraftNode]
}

const clone = (g: GroupState): Draft => ({...g, nodes: [{...g.nodes[0]}, {...g.nodes[1]}]})
const other = (i: 0 | 1): 0 | 1 => (i === 0 ? 1 : 0)

function indexOf(g: GroupState, name: string): 0 | 1 {
  if (g.nodes[0].name === name) return 0
  if (g.nodes[1].name === name) return 1
  throw new NotFoundError(`node ${name} is not in the presence redundancy group ${g.name}`, {
    details: {group: g.name, nodes: g.nodes.map((n) => n.name)},
  })
}

/** The group's pair in PRG-7 orientation: node 1 first when a move is in effect. */
export function classifyGroup(g: GroupState): {readonly row: Prg7Row; readonly node1: 0 | 1} | null {
  const orders: (0 | 1)[] = g.node1 === null ? [0, 1] : [g.node1]
  for (const i of orders) {
    const row = classifyPair(g.nodes[i], g.nodes[other(i)])
    if (row) return {row, node1: i}
  }
  return null
}

const statusText = (n: PresenceNode): string => (n.state === null ? `${n.name} down` : `${n.name} ${n.state} / ${n.reason ?? '-'}`)

export function describePair(g: GroupState): string {
  const c = classifyGroup(g)
  const i = c?.node1 ?? g.node1 ?? 0
  const text = `${statusText(g.nodes[i])} + ${statusText(g.nodes[other(i)])}`
  return c ? `${text} (PRG-7 row ${c.row.row})` : text
}

// --- PRG-8 / PRG-9: which operator actions the current state allows ---------------------

const FALLBACK_FROM: readonly NodeState[] = ['Idle', 'Failed Over'] // seed table 2: "manual fallback possible"
const RECOVER_FROM: readonly NodeState[] = ['Running in Failed Mode', 'Unknown']

/** Why the action is refused now (rule and reason), or null when it is allowed. */
function refusal(g: GroupState, a: OperatorAction): {rule: string; why: string} | null {
  const [n0, n1] = g.nodes
  switch (a.type) {
    case 'failover': {
      indexOf(g, a.node)
      if (!g.haEnabled) return {rule: 'PRG-8', why: 'high availability is disabled'}
      if (!(n0.up && n1.up && n0.state === 'Normal' && n1.state === 'Normal'))
        return {rule: 'PRG-8', why: 'a manual failover needs both nodes Normal (PRG-7 row 1)'}
      return null
    }
    case 'fallback': {
      const i = indexOf(g, a.node)
      const x = g.nodes[i]
      const p = g.nodes[other(i)]
      if (!g.haEnabled) return {rule: 'PRG-8', why: 'high availability is disabled'}
      if (g.node1 !== i || x.state === null || !FALLBACK_FROM.includes(x.state) || p.state !== 'Running in Backup Mode')
        return {rule: 'PRG-8', why: `a fallback to ${x.name} needs ${x.name} Idle or Failed Over and its peer Running in Backup Mode`}
      if (!x.up || !p.up) return {rule: 'PRG-8', why: 'a fallback needs both nodes up'}
      if (x.state === 'Failed Over' && !x.criticalServicesRunning)
        return {rule: 'PRG-8', why: `critical services are not running on ${x.name}`}
      return null
    }
    case 'recover': {
      if (!g.haEnabled) return {rule: 'PRG-8', why: 'high availability is disabled'}
      if (!g.nodes.every((n) => n.state !== null && RECOVER_FROM.includes(n.state)))
        return {rule: 'PRG-8', why: 'a manual recovery needs both nodes failed (Running in Failed Mode) or Unknown'}
      const down = g.nodes.find((n) => !n.up)
      if (down) return {rule: 'PRG-8', why: `${down.name} is down: bring it up first (Recover restarts SRM on both nodes)`}
      return null
    }
    case 'haEnable':
      if (g.haEnabled) return {rule: 'PRG-9', why: 'high availability is already enabled'}
      if (!g.replicationReady) return {rule: 'PRG-9', why: 'replication is not set up in the IM and Presence cluster'}
      return null
    case 'haDisable':
      if (!g.haEnabled) return {rule: 'PRG-9', why: 'high availability is already disabled'}
      if (g.nodes.some((n) => n.state !== null && isTransient(n.state)))
        return {rule: 'PRG-8', why: 'a transition is in progress; wait for it to end'}
      return null
  }
}

export function describeAction(a: OperatorAction): string {
  switch (a.type) {
    case 'failover':
    case 'fallback':
      return `${a.type} ${a.node}`
    case 'recover':
      return 'recover'
    case 'haEnable':
      return 'ha enable'
    case 'haDisable':
      return 'ha disable'
  }
}

/** PRG-8: the operator actions the group and its nodes allow now. */
export function allowedActions(g: GroupState): readonly OperatorAction[] {
  const candidates: OperatorAction[] = [
    ...g.nodes.map((n): OperatorAction => ({type: 'failover', node: n.name})),
    ...g.nodes.map((n): OperatorAction => ({type: 'fallback', node: n.name})),
    {type: 'recover'},
    {type: 'haEnable'},
    {type: 'haDisable'},
  ]
  return candidates.filter((a) => refusal(g, a) === null)
}

function assertAllowed(g: GroupState, a: OperatorAction): void {
  const r = refusal(g, a)
  if (!r) return
  const allowed = allowedActions(g).map(describeAction)
  const row = classifyGroup(g)?.row
  throw new RefusedError(`${describeAction(a)} refused: group ${g.name} is ${describePair(g)}; ${r.why}`, {
    rule: r.rule,
    hint: allowed.length > 0 ? `allowed now: ${allowed.join(', ')}` : (row?.recommendedAction ?? 'no action is possible now'),
    details: {group: g.name, pair: describePair(g), row: row?.row ?? null, allowed},
  })
}

/** Status output: the recommended action for the group's pair, with node names filled in. */
export function recommendedActionFor(g: GroupState): string {
  if (!g.haEnabled)
    return 'High availability is disabled: the nodes run independently and users have no failover protection; enable it to protect them.'
  const c = classifyGroup(g)
  if (!c)
    return 'The state pair is not in the documented table: check both nodes and their Server Recovery Manager; if both are failed, select Recover.'
  const n1 = g.nodes[c.node1].name
  const n2 = g.nodes[other(c.node1)].name
  return c.row.recommendedAction.replaceAll('node 1', `node 1 (${n1})`).replaceAll('node 2', `node 2 (${n2})`)
}

// --- the transitions ---------------------------------------------------------------------

/**
 * PRG-9/ADM-9 (run time): with HA off a node shows its real state, not SRM's: Normal while its
 * critical services run; Idle while they are stopped (an Idle node keeps its reason). Never
 * "Normal" for a node whose services are stopped, so never PRG-7 row 1 by mistake.
 */
function independent(n: DraftNode): void {
  if (!n.up) set(n, null, null)
  else if (n.criticalServicesRunning) set(n, 'Normal', 'Normal')
  else set(n, 'Idle', n.state === 'Idle' && n.reason ? n.reason : 'Critical Service Down')
}

function set(n: DraftNode, state: NodeState | null, reason: Reason | null): void {
  n.state = state
  n.reason = reason
}

/** Moves users now (counts change); the effect tells the agent to do it. */
function moveNow(g: Draft, fx: HaEffect[], from: 0 | 1, to: 0 | 1, users: number): void {
  const n = Math.min(users, g.nodes[from].users)
  if (n <= 0) return
  g.nodes[from].users -= n
  g.nodes[to].users += n
  fx.push({kind: 'moveUsers', from: g.nodes[from].name, to: g.nodes[to].name, users: n, by: g.nodes[to].name})
}

/** Puts every user back on its assigned node (end of a fallback, recovery). */
function usersHome(g: Draft, fx: HaEffect[]): void {
  for (const i of [0, 1] as const) {
    const surplus = g.nodes[i].users - g.nodes[i].assignedUsers
    if (surplus > 0) moveNow(g, fx, i, other(i), surplus)
  }
}

function alarm(fx: HaEffect[], node: string | null, rule: string, message: string): void {
  fx.push({kind: 'raiseAlarm', node, rule, message})
}

/** Both nodes failed (rows 14, 15, 19, 20, 21); a down node keeps the recorded failed state. */
function failed(g: Draft, fx: HaEffect[], reason: Reason): void {
  for (const n of g.nodes) set(n, 'Running in Failed Mode', reason)
  g.healthySinceMs = null
  alarm(fx, null, 'PRG-7', `group ${g.name}: both nodes Running in Failed Mode / ${reason}: select Recover`)
}

/** PRG-9 (HA enable) and manual recovery: SRM starts on both nodes and sets their states. */
function initialize(g: Draft, fx: HaEffect[]): void {
  g.node1 = null
  g.healthySinceMs = null
  const [a, b] = g.nodes
  if (!a.up || !b.up) {
    // An SRM that cannot be reached cannot take part: HA is not enabled correctly (row 24).
    for (const n of g.nodes) set(n, 'Unknown', 'Unknown')
    alarm(fx, null, 'PRG-7', `group ${g.name}: high availability not enabled correctly; restart SRM on both nodes`)
    return
  }
  for (const n of g.nodes) {
    fx.push({kind: 'restartSrm', node: n.name})
    n.criticalServicesDownSinceMs = null
  }
  if (a.criticalServicesRunning && b.criticalServicesRunning) {
    for (const n of g.nodes) set(n, 'Normal', 'Normal')
    usersHome(g, fx)
  } else if (a.criticalServicesRunning || b.criticalServicesRunning) {
    // A node whose critical services are down fails over at once.
    const x: 0 | 1 = a.criticalServicesRunning ? 1 : 0
    set(g.nodes[x], 'Failed Over with Critical Services Not Running', 'Critical Service Down')
    set(g.nodes[other(x)], 'Running in Backup Mode', 'Critical Service Down')
    g.node1 = x
    moveNow(g, fx, x, other(x), g.nodes[x].users)
    alarm(fx, g.nodes[x].name, 'PRG-9', `critical services down on ${g.nodes[x].name}: failed over at once`)
  } else {
    failed(g, fx, 'Critical Service Down')
  }
}

const SERVING: readonly NodeState[] = [
  'Normal',
  'Running in Backup Mode',
  'Failed Over',
  'Taking Over',
  'Falling Back',
  'Taking Back',
  'Backup Activated',
]

/** Node x is gone (heartbeat lost, or announced reboot): its peer takes its users if it can. */
function nodeLost(g: Draft, fx: HaEffect[], x: 0 | 1, reason: 'Peer Down' | 'Peer Reboot'): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  if (!X.up) return
  X.up = false
  X.criticalServicesRunning = false
  X.criticalServicesDownSinceMs = null
  if (!g.haEnabled) {
    set(X, null, null)
    return
  }
  const canServe = P.up && P.criticalServicesRunning && P.state !== null && SERVING.includes(P.state)
  if (!canServe) {
    failed(g, fx, 'Unknown') // nobody left to serve: an internal error for SRM (row 21)
    return
  }
  set(X, null, null)
  set(P, 'Running in Backup Mode', reason)
  g.node1 = x
  g.healthySinceMs = null
  moveNow(g, fx, x, other(x), X.users)
  alarm(fx, X.name, 'PRG-2', `${X.name} is down (${reason}); its users moved to ${P.name}`)
}

/** SRM acts on a failure of node x's critical services or database (after the delay). */
function serviceFailure(g: Draft, fx: HaEffect[], x: 0 | 1, kind: 'Critical Service Down' | 'Database Failure'): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  X.criticalServicesDownSinceMs = null
  switch (X.state) {
    case 'Normal':
      if (P.up && P.criticalServicesRunning && P.state === 'Normal') {
        set(X, 'Failed Over with Critical Services Not Running', kind)
        set(P, 'Running in Backup Mode', kind)
        g.node1 = x
        moveNow(g, fx, x, other(x), X.users)
        alarm(fx, X.name, 'PRG-2', `${kind} on ${X.name}: automatic failover to ${P.name}`)
      } else failed(g, fx, 'Critical Service Down')
      return
    case 'Failed Over':
      set(X, 'Failed Over with Critical Services Not Running', kind)
      set(P, 'Running in Backup Mode', kind)
      g.healthySinceMs = null
      return
    case 'Failed Over with Critical Services Not Running':
      // Only the start-up pair (row 18) gets the new cause; rows 12 and 13 keep theirs.
      if (X.reason === 'Initialization') {
        X.reason = kind
        P.reason = kind
      }
      return
    case 'Running in Backup Mode': {
      if (P.state === 'Failed Over' && P.up && P.criticalServicesRunning) {
        // Automatic recovery (rows 22, 23): node 1 takes every user back from the failed backup.
        set(P, 'Backup Activated', 'Auto Recover Database Failure')
        set(
          X,
          'Failover Affected Services',
          kind === 'Database Failure' ? 'Auto Recover Database Failure' : 'Auto Recover Critical Service Down',
        )
        g.healthySinceMs = null
        fx.push({kind: 'moveUsers', from: X.name, to: P.name, users: X.users, by: P.name})
        alarm(fx, X.name, 'PRG-7', `${kind} on the backup node ${X.name}: automatic recovery to ${P.name}`)
      } else failed(g, fx, 'Critical Service Down') // row 15: backup node down, nobody to take over
      return
    }
    case 'Taking Back':
      failed(g, fx, 'Start of Critical Services Failed') // row 14
      return
    case 'Taking Over':
    case 'Falling Back':
    case 'Backup Activated':
      failed(g, fx, 'Critical Service Down') // the serving node of a transition failed (row 15)
      return
    default:
      // Idle and Failing Over have their services stopped anyway; failed states stay.
      return
  }
}

/** SRM of node x restarted (within the heartbeat timeout): rows 5-9, 11, 18, else row 21. */
function srmRestarted(g: Draft, fx: HaEffect[], x: 0 | 1): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  if (!X.up || !g.haEnabled) return
  switch (X.state) {
    case 'Normal':
    case 'Failed Over with Critical Services Not Running':
    case 'Unknown':
      return // SRM comes back to the same state; Unknown needs SRM restarted on both (Recover)
    case 'Idle':
      X.reason = 'Initialization'
      return
    case 'Failed Over':
      X.reason = 'Initialization'
      return
    case 'Running in Backup Mode':
      if (P.state === 'Idle') {
        X.reason = 'Initialization'
        return
      }
      break
    case 'Taking Over':
      if (P.state === 'Failing Over') {
        X.reason = 'Initialization'
        return
      }
      break
    case 'Taking Back':
      if (P.state === 'Falling Back' && (X.reason === 'By Admin Request' || X.reason === 'Initialization')) {
        X.reason = 'Initialization'
        return
      }
      break
    default:
      break
  }
  failed(g, fx, 'Unknown') // "SRM restarted while the other node failed, or an internal error"
}

function servicesBack(g: Draft, fx: HaEffect[], x: 0 | 1, now: number): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  if (!X.up) return
  if (g.haEnabled && (X.state === 'Idle' || X.state === 'Failing Over')) {
    // PRG-4: SRM does not let critical services run on an Idle node (Starting → Started → Stopped).
    fx.push({kind: 'stopCriticalServices', node: X.name})
    return
  }
  X.criticalServicesRunning = true
  X.criticalServicesDownSinceMs = null
  if (!g.haEnabled) independent(X)
  if (g.haEnabled && X.state === 'Failed Over with Critical Services Not Running' && P.state === 'Running in Backup Mode') {
    X.state = 'Failed Over'
    if (X.reason !== 'Initialization') X.reason = 'Critical Service Down' // row 11 (row 18 keeps its reason)
    // Row 11 pairs node 2 with Critical Service Down; the database is a critical service too.
    if (P.reason !== 'Peer Down During Initialization') P.reason = 'Critical Service Down'
    g.healthySinceMs = now
  }
}

function criticalServiceDown(g: Draft, fx: HaEffect[], x: 0 | 1, since: number, now: number, t: HaTimers): void {
  const X = g.nodes[x]
  if (!X.up) return
  X.criticalServicesRunning = false
  X.criticalServicesDownSinceMs = Math.min(X.criticalServicesDownSinceMs ?? since, since)
  if (!g.haEnabled) {
    X.criticalServicesDownSinceMs = null
    independent(X)
    alarm(fx, X.name, 'PRG-3', `critical service down on ${X.name}; high availability is disabled`)
    return
  }
  // A start that fails during a takeback is acted on at once (row 14), not after the delay.
  if (X.state === 'Taking Back' || now - X.criticalServicesDownSinceMs >= t.criticalServiceDownDelayMs)
    serviceFailure(g, fx, x, 'Critical Service Down')
}

function tick(g: Draft, fx: HaEffect[], now: number, t: HaTimers): void {
  if (!g.haEnabled) return
  for (const i of [0, 1] as const) {
    const n = g.nodes[i]
    if (
      n.up &&
      !n.criticalServicesRunning &&
      n.criticalServicesDownSinceMs !== null &&
      now - n.criticalServicesDownSinceMs >= t.criticalServiceDownDelayMs
    )
      serviceFailure(g, fx, i, 'Critical Service Down')
  }
  // PRG-2/PRG-3: automatic fallback, when on, once node 1 has been healthy long enough.
  if (g.autoFallback && g.node1 !== null && g.healthySinceMs !== null && now - g.healthySinceMs >= t.autoFallbackDelayMs) {
    const x = g.node1
    const X = g.nodes[x]
    const P = g.nodes[other(x)]
    if (X.state === 'Failed Over' && X.up && X.criticalServicesRunning && P.state === 'Running in Backup Mode' && P.up) {
      set(X, 'Taking Back', 'Automatic Fallback')
      set(P, 'Falling Back', 'Automatic Fallback')
      g.healthySinceMs = null
      fx.push({kind: 'moveUsers', from: P.name, to: X.name, users: Math.min(P.users, X.assignedUsers - X.users), by: X.name})
    }
  }
}

/**
 * Applies one event to the group. Operator actions the state does not allow throw
 * RefusedError (PRG-8, PRG-9) and change nothing; faults and completions always apply (a
 * completion that does not fit the state is ignored). Pure: the input is not modified.
 */
export function applyEvent(group: GroupState, event: HaEvent, nowMs: number, timers: HaTimers = DOCUMENTED_HA_TIMERS): Transition {
  const fx: HaEffect[] = []
  const g = clone(group)
  switch (event.type) {
    case 'failover': {
      assertAllowed(group, event)
      const x = indexOf(g, event.node)
      const p = other(x)
      set(g.nodes[x], 'Failing Over', 'By Admin Request')
      set(g.nodes[p], 'Taking Over', 'By Admin Request')
      g.nodes[x].criticalServicesRunning = false
      g.nodes[x].criticalServicesDownSinceMs = null
      g.node1 = x
      g.healthySinceMs = null
      // PRG-8: SRM stops the failed node's critical services; its users sign in to the backup.
      fx.push({kind: 'stopCriticalServices', node: g.nodes[x].name})
      fx.push({kind: 'moveUsers', from: g.nodes[x].name, to: g.nodes[p].name, users: g.nodes[x].users, by: g.nodes[p].name})
      break
    }
    case 'fallback': {
      assertAllowed(group, event)
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      if (X.state === 'Idle') fx.push({kind: 'startCriticalServices', node: X.name})
      X.criticalServicesRunning = true
      set(X, 'Taking Back', 'By Admin Request')
      set(P, 'Falling Back', 'By Admin Request')
      g.healthySinceMs = null
      fx.push({kind: 'moveUsers', from: P.name, to: X.name, users: Math.min(P.users, X.assignedUsers - X.users), by: X.name})
      break
    }
    case 'recover':
      assertAllowed(group, event)
      // Recover restarts SRM on both nodes and starts their critical services.
      for (const n of g.nodes) {
        fx.push({kind: 'startCriticalServices', node: n.name})
        n.criticalServicesRunning = true
      }
      initialize(g, fx)
      break
    case 'haEnable':
      assertAllowed(group, event)
      g.haEnabled = true
      // ADM-9: enabling HA restarts SRM on both nodes; then SRM heartbeats and monitors.
      initialize(g, fx)
      fx.push({kind: 'haMonitoring', enabled: true})
      break
    case 'haDisable': {
      assertAllowed(group, event)
      // PRG-9: the nodes become independent; users of a failed node stay on the backup node.
      if (g.node1 !== null) {
        const p = other(g.node1)
        if (g.nodes[p].up) moveNow(g, fx, g.node1, p, g.nodes[g.node1].users)
      }
      for (const n of g.nodes) {
        n.assignedUsers = n.users
        n.criticalServicesDownSinceMs = null
        independent(n)
      }
      g.haEnabled = false
      g.node1 = null
      g.healthySinceMs = null
      fx.push({kind: 'haMonitoring', enabled: false})
      break
    }
    case 'criticalServiceDown':
      criticalServiceDown(g, fx, indexOf(g, event.node), event.sinceMs ?? nowMs, nowMs, timers)
      break
    case 'databaseFailure': {
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      if (!X.up) break
      X.criticalServicesRunning = false // the database counts as a critical service (PRG-3)
      if (g.haEnabled) serviceFailure(g, fx, x, 'Database Failure')
      else alarm(fx, X.name, 'PRG-3', `database failure on ${X.name}; high availability is disabled`)
      break
    }
    case 'peerHeartbeatLost':
      nodeLost(g, fx, indexOf(g, event.node), 'Peer Down')
      break
    case 'peerRebootAnnounced':
      nodeLost(g, fx, indexOf(g, event.node), 'Peer Reboot')
      break
    case 'srmRestarted':
      srmRestarted(g, fx, indexOf(g, event.node))
      break
    case 'nodeBoot': {
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      const servicesUp = event.servicesUp ?? true
      if (!X.up) {
        X.up = true
        X.criticalServicesRunning = servicesUp
        X.criticalServicesDownSinceMs = null
        if (!g.haEnabled) independent(X)
        else if (X.state === null && P.state === 'Running in Backup Mode') {
          // Node 1 comes back into a failed-over group (row 18).
          set(X, servicesUp ? 'Failed Over' : 'Failed Over with Critical Services Not Running', 'Initialization')
          P.reason = 'Peer Down During Initialization'
          g.healthySinceMs = servicesUp ? nowMs : null
        }
        // A recorded failed or Unknown state stays until Recover.
        break
      }
      // Rebooted within the heartbeat timeout.
      if (
        g.haEnabled &&
        X.state === 'Failed Over with Critical Services Not Running' &&
        servicesUp &&
        P.state === 'Running in Backup Mode'
      ) {
        set(X, 'Failed Over', 'Initialization') // row 11: the reboot brought the services back
        X.criticalServicesRunning = true
        X.criticalServicesDownSinceMs = null
        if (P.reason !== 'Peer Down During Initialization') P.reason = 'Critical Service Down'
        g.healthySinceMs = nowMs
        break
      }
      srmRestarted(g, fx, x)
      if (servicesUp) servicesBack(g, fx, x, nowMs)
      else criticalServiceDown(g, fx, x, nowMs, nowMs, timers)
      break
    }
    case 'servicesBack':
      servicesBack(g, fx, indexOf(g, event.node), nowMs)
      break
    case 'peerNotSeenAtInit': {
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      if (!g.haEnabled || !X.up || !P.up || X.state !== 'Normal' || P.state !== 'Normal') break
      // Row 18: the starting node's SRM did not see its peer within the initialization timeout.
      set(X, X.criticalServicesRunning ? 'Failed Over' : 'Failed Over with Critical Services Not Running', 'Initialization')
      set(P, 'Running in Backup Mode', 'Peer Down During Initialization')
      g.node1 = x
      g.healthySinceMs = X.criticalServicesRunning ? nowMs : null
      moveNow(g, fx, x, other(x), X.users)
      alarm(fx, X.name, 'PRG-7', `${P.name} did not see ${X.name} at start-up; users moved to ${P.name}`)
      break
    }
    case 'userMoveFailed': {
      const states = g.nodes.map((n) => n.state)
      if (states.includes('Taking Over') || states.includes('Backup Activated'))
        failed(g, fx, 'Cisco Server Recovery Manager Take Over Users Failed') // row 19
      else if (states.includes('Taking Back')) failed(g, fx, 'Cisco Server Recovery Manager Take Back Users Failed') // row 20
      break
    }
    case 'takeoverComplete': {
      if (g.node1 === null) break
      const x = g.node1
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      if (X.state === 'Failing Over' && P.state === 'Taking Over') {
        // Rows 2 → 3 and 8 → 7: node 2 keeps its reason (Initialization after an SRM restart).
        set(X, 'Idle', 'By Admin Request')
        P.state = 'Running in Backup Mode'
        moveCounts(g, x, other(x), X.users)
      } else if (X.state === 'Backup Activated' && P.state === 'Failover Affected Services') {
        // Rows 22/23 end with the roles swapped: the failed backup is now node 1 (rows 13/12).
        const kind: Reason = P.reason === 'Auto Recover Database Failure' ? 'Database Failure' : 'Critical Service Down'
        set(P, 'Failed Over with Critical Services Not Running', kind)
        set(X, 'Running in Backup Mode', kind)
        moveCounts(g, other(x), x, P.users)
        g.node1 = other(x)
      }
      break
    }
    case 'takebackComplete': {
      if (g.node1 === null) break
      const X = g.nodes[g.node1]
      const P = g.nodes[other(g.node1)]
      if (X.state === 'Taking Back' && P.state === 'Falling Back') {
        set(X, 'Normal', 'Normal')
        set(P, 'Normal', 'Normal')
        X.users = X.assignedUsers
        P.users = P.assignedUsers
        g.node1 = null
        g.healthySinceMs = null
      }
      break
    }
    case 'tick':
      tick(g, fx, nowMs, timers)
      break
  }
  return {group: g, effects: fx}
}

/** Count update of a move whose effect was issued when the transition started. */
function moveCounts(g: Draft, from: 0 | 1, to: 0 | 1, users: number): void {
  g.nodes[from].users -= users
  g.nodes[to].users += users
}

/** The `pcluster status` view of one group (DESIGN.md PresenceRedundancyGroupList). */
export function groupStatus(g: GroupState): {
  name: string
  haEnabled: boolean
  recommendedAction: string
  row: number | null
  allowedActions: string[]
  nodes: {name: string; state: NodeState | 'down'; reason: Reason | null; users: number}[]
} {
  return {
    name: g.name,
    haEnabled: g.haEnabled,
    recommendedAction: recommendedActionFor(g),
    row: g.haEnabled ? (classifyGroup(g)?.row.row ?? null) : null,
    allowedActions: allowedActions(g).map(describeAction),
    nodes: g.nodes.map((n) => ({name: n.name, state: n.state ?? 'down', reason: n.reason, users: n.users})),
  }
}

// --- --dry-run ------------------------------------------------------------------------------

const RULE_OF: Record<OperatorAction['type'], string> = {
  failover: 'PRG-8: manual failover: SRM stops the critical services of the failed node; its users sign in again on the backup node',
  fallback:
    "PRG-8: manual fallback: SRM restarts the primary's critical services; the failed-over users sign in again on their assigned node",
  recover: 'PRG-8: manual recovery (both nodes failed): SRM is restarted on both nodes',
  haEnable: 'PRG-9: enabling HA needs replication and critical services running on at least one node',
  haDisable: 'PRG-9: disabling HA makes the nodes independent; users on a failed node stay on the backup node',
}

const cellOf = (n: PresenceNode): string => `${n.state ?? 'down'} / ${n.reason ?? '-'}`

function effectText(fx: HaEffect): string | null {
  switch (fx.kind) {
    case 'moveUsers':
      return `move ${fx.users} users ${fx.from} → ${fx.to} (performed by the SRM of ${fx.by}, PRG-3)`
    case 'stopCriticalServices':
      return `stop the critical services of ${fx.node}`
    case 'startCriticalServices':
      return `start the critical services of ${fx.node}`
    case 'restartSrm':
      return `restart the Cisco Server Recovery Manager on ${fx.node}`
    case 'haMonitoring':
      return `SRM heartbeats and critical-service monitoring ${fx.enabled ? 'on' : 'off'}`
    case 'raiseAlarm':
      return null
  }
}

/**
 * What an operator action would do from this state, changing nothing: each node's state
 * change up to the stable pair, and the user moves. Throws RefusedError as the action would.
 */
export function planAction(g: GroupState, action: OperatorAction, nowMs: number): {changes: string[]; rules: string[]} {
  const changes: string[] = []
  const diff = (a: GroupState, b: GroupState) => {
    for (const i of [0, 1] as const)
      if (cellOf(a.nodes[i]) !== cellOf(b.nodes[i])) changes.push(`${b.nodes[i].name}: ${cellOf(a.nodes[i])} → ${cellOf(b.nodes[i])}`)
  }
  const first = applyEvent(g, action, nowMs)
  diff(g, first.group)
  for (const fx of first.effects) {
    const t = effectText(fx)
    if (t) changes.push(t)
  }
  let end = first.group
  for (const type of ['takeoverComplete', 'takebackComplete'] as const) {
    const r = applyEvent(end, {type}, nowMs)
    diff(end, r.group)
    end = r.group
  }
  const from = classifyGroup(g)?.row.row
  const to = classifyGroup(end)?.row.row
  const rules = [RULE_OF[action.type]]
  if (end.haEnabled && (from !== undefined || to !== undefined)) rules.push(`PRG-7: row ${from ?? '-'} → row ${to ?? '-'}`)
  return {changes, rules}
}
