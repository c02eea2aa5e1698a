// IM and Presence high availability (SPEC §6): the operator's group actions (PRG-8, PRG-9,
// PRG-10), which SRM performs each (PRG-3), and their dry run (what an action would do).

import {UsageError} from '../errors.js'
import {classifyGroup, type GroupState, type HaEffect, indexOf, type OperatorAction, other, type PresenceNode} from './presence-group.js'
import {applyEvent} from './presence-machine.js'
import {failoverImpact} from './presence-tables.js'

/** The operator's group actions, named as the CLI's commands and the agent's route say them. */
export const GROUP_ACTIONS = ['failover', 'fallback', 'recover', 'ha-enable', 'ha-disable', 'rebalance'] as const
export type GroupAction = (typeof GROUP_ACTIONS)[number]

/**
 * Each group action: the machine's event (none for a rebalance, which moves users only) and
 * whose Server Recovery Manager performs it: PRG-3, the peer of the failed node fails it over;
 * a node takes its own users back; anything else, the SRM asked.
 */
export const GROUP_ACTION_TABLE: Readonly<
  Record<
    GroupAction,
    {readonly node: boolean; readonly performer: 'peer' | 'node' | 'any'; readonly event?: (node: string) => OperatorAction}
  >
> = {
  failover: {node: true, performer: 'peer', event: (node) => ({type: 'failover', node})},
  fallback: {node: true, performer: 'node', event: (node) => ({type: 'fallback', node})},
  recover: {node: false, performer: 'any', event: () => ({type: 'recover'})},
  'ha-enable': {node: false, performer: 'any', event: () => ({type: 'haEnable'})},
  'ha-disable': {node: false, performer: 'any', event: () => ({type: 'haDisable'})},
  rebalance: {node: false, performer: 'any'},
}

/** One operator action per group (PRG-8): the longest its lock is held for a holder that never releases it. */
export const LEASE_TTL_MS = 5 * 60_000

/** The machine's event of a group action (null: a rebalance); the node it needs, or a usage error. */
export function operatorEvent(action: GroupAction, node: string | undefined): OperatorAction | null {
  const a = GROUP_ACTION_TABLE[action]
  if (a.node && !node) throw new UsageError(`${action} needs the node: {"node": "..."}`)
  return a.event ? a.event(node ?? '') : null
}

/** The node whose SRM performs the action (PRG-3), or null when any member's may. */
export function performerOf(g: GroupState, action: GroupAction, node: string | undefined): string | null {
  const a = GROUP_ACTION_TABLE[action]
  if (a.performer === 'any' || !node) return null
  const i = indexOf(g, node)
  return a.performer === 'node' ? g.nodes[i].name : g.nodes[other(i)].name
}

/** PRG-11: what users see, for the actions that move them (before, and in their JSON). */
export function actionImpact(action: GroupAction, node: string | undefined): {impact?: ReturnType<typeof failoverImpact>} {
  if (action !== 'failover' && action !== 'fallback' && action !== 'recover') return {}
  return {impact: failoverImpact(action === 'failover' ? node : undefined)}
}

/** PRG-10: a rebalance's dry run, from its moves. */
export function planRebalance(moves: readonly {from: string; to: string; users: number}[]): {changes: string[]; rules: string[]} {
  return {
    changes: moves.map((m) => `assign ${m.users} users of ${m.from} to ${m.to}, and move them`),
    rules: ['PRG-10: users spread evenly over the nodes'],
  }
}

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
