// IM and Presence high availability (SPEC §6, seed 003 "プレゼンス冗長性グループとハイ アベイラビリティ"):
// the documents' tables: node states, reasons, the table of state pairs with their recommended
// actions, the SRM timers and what clients see during a failover.

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
