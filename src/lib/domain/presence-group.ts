// IM and Presence high availability (SPEC §6): the state of a two-node presence redundancy group,
// the events and effects of its machine (./presence-machine.ts), how its pair reads in the PRG-7
// table, and which operator actions the state allows (PRG-8, PRG-9).

import {NotFoundError, RefusedError} from '../errors.js'
import {classifyPair, isTransient, type NodeState, type Prg7Row, type Reason} from './presence-tables.js'

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
export type DraftNode = Mutable<PresenceNode>
export interface Draft extends Omit<Mutable<GroupState>, 'nodes'> {
  nodes: [DraftNode, DraftNode]
}

export const clone = (g: GroupState): Draft => ({...g, nodes: [{...g.nodes[0]}, {...g.nodes[1]}]})
export const other = (i: 0 | 1): 0 | 1 => (i === 0 ? 1 : 0)

export function indexOf(g: GroupState, name: string): 0 | 1 {
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

export function assertAllowed(g: GroupState, a: OperatorAction): void {
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
