// IM and Presence group membership and capacity (SPEC PRG-1, PRG-10; seed 003
// "プレゼンス冗長グループの相互運用と制限", "ハイ アベイラビリティとプレゼンス冗長グループのバランス").
// Pure checks returning CheckResult findings, and the balanced assignment used by rebalance.

import {UsageError} from '../errors.js'
import type {Finding} from './finding.js'

export type PresenceFinding = Finding

export interface PresenceCheckResult {
  readonly ok: boolean
  readonly findings: readonly PresenceFinding[]
}

/** The documented limits, one place. */
export const PRESENCE_LIMITS = {
  /** PRG-1: a group has one or two IM and Presence nodes. */
  minNodesPerGroup: 1,
  maxNodesPerGroup: 2,
  /** PRG-1: WAN deployments, per IM and Presence cluster (dedicated bandwidth). */
  minWanBandwidthMbps: 10,
  maxWanRoundTripMs: 80,
  /** PRG-10: balanced high availability. */
  maxUsersPerGroup: 15_000,
  maxGroupsPerCluster: 3,
  maxUsersPerCluster: 45_000,
  maxCpuPercent: 35,
} as const

const result = (findings: PresenceFinding[]): PresenceCheckResult => ({ok: findings.every((f) => f.severity !== 'error'), findings})

// ---------------------------------------------------------------------------------------
// PRG-1: membership

export interface PresenceNodeFacts {
  readonly name: string
  readonly version: string
  readonly cluster: string
  /** The IM and Presence database publisher node of the node's cluster. */
  readonly databasePublisher: string
}

export interface PresenceGroupFacts {
  readonly name: string
  readonly nodes: readonly string[]
}

/** PRG-1: group size 1..2, a node in at most one group, same version, cluster and publisher. */
export function checkRedundancyGroups(groups: readonly PresenceGroupFacts[], nodes: readonly PresenceNodeFacts[]): PresenceCheckResult {
  const findings: PresenceFinding[] = []
  const byName = new Map(nodes.map((n) => [n.name, n]))
  const memberOf = new Map<string, string[]>()
  for (const g of groups) {
    const names = [...new Set(g.nodes)]
    if (names.length < PRESENCE_LIMITS.minNodesPerGroup || names.length > PRESENCE_LIMITS.maxNodesPerGroup)
      findings.push({
        rule: 'PRG-1',
        severity: 'error',
        message: `group ${g.name} has ${names.length} node(s); a presence redundancy group has one or two`,
        fix:
          names.length === 0
            ? `assign an IM and Presence node to ${g.name} or delete it`
            : `keep two nodes in ${g.name} and put the others in another group`,
      })
    for (const n of names) {
      memberOf.set(n, [...(memberOf.get(n) ?? []), g.name])
      if (!byName.has(n))
        findings.push({
          rule: 'PRG-1',
          severity: 'error',
          message: `group ${g.name} names ${n}, which is not a known IM and Presence node`,
          fix: `remove ${n} from ${g.name} or add the node`,
        })
    }
    const members = names.map((n) => byName.get(n)).filter((n): n is PresenceNodeFacts => n !== undefined)
    const same = (what: string, key: (n: PresenceNodeFacts) => string, fix: string): void => {
      const values = [...new Set(members.map(key))]
      if (values.length > 1)
        findings.push({
          rule: 'PRG-1',
          severity: 'error',
          message: `the nodes of ${g.name} differ in ${what}: ${members.map((n) => `${n.name} ${key(n)}`).join(', ')}`,
          fix,
        })
    }
    same(
      'IM and Presence version',
      (n) => n.version,
      `run the same IM and Presence version on both nodes of ${g.name} (finish the upgrade or switch version)`,
    )
    same('cluster', (n) => n.cluster, `put two nodes of the same cluster in ${g.name}`)
    same('IM and Presence database publisher', (n) => n.databasePublisher, `put two nodes with the same database publisher in ${g.name}`)
  }
  for (const [n, gs] of memberOf)
    if (gs.length > 1)
      findings.push({
        rule: 'PRG-1',
        severity: 'error',
        message: `${n} is in ${gs.length} groups (${gs.join(', ')}); a node belongs to one group at most`,
        fix: `keep ${n} in one group only`,
      })
  return result(findings)
}

export interface WanLinkFacts {
  readonly cluster: string
  readonly bandwidthMbps: number
  readonly roundTripMs: number
}

/** PRG-1: over a WAN each IM and Presence cluster needs >= 10 Mb/s dedicated and <= 80 ms round trip. */
export function checkWanLink(link: WanLinkFacts): PresenceCheckResult {
  const findings: PresenceFinding[] = []
  if (!(link.bandwidthMbps >= PRESENCE_LIMITS.minWanBandwidthMbps))
    findings.push({
      rule: 'PRG-1',
      severity: 'error',
      message: `cluster ${link.cluster}: WAN bandwidth ${link.bandwidthMbps} Mb/s is below the ${PRESENCE_LIMITS.minWanBandwidthMbps} Mb/s required`,
      fix: `dedicate at least ${PRESENCE_LIMITS.minWanBandwidthMbps} Mb/s to the IM and Presence cluster; less may hurt performance`,
    })
  if (!(link.roundTripMs <= PRESENCE_LIMITS.maxWanRoundTripMs))
    findings.push({
      rule: 'PRG-1',
      severity: 'error',
      message: `cluster ${link.cluster}: WAN round trip ${link.roundTripMs} ms exceeds ${PRESENCE_LIMITS.maxWanRoundTripMs} ms`,
      fix: `bring the round-trip delay between the IM and Presence nodes to ${PRESENCE_LIMITS.maxWanRoundTripMs} ms or less`,
    })
  return result(findings)
}

// ---------------------------------------------------------------------------------------
// PRG-10: capacity and balance

export interface NodeLoad {
  readonly name: string
  readonly users: number
  /** Users the node can hold (defaults to the per-group maximum: one node carries the whole group). */
  readonly capacity?: number
  readonly cpuPercent?: number
}

export interface GroupLoad {
  readonly name: string
  readonly nodes: readonly NodeLoad[]
}

export interface CapacityOptions {
  /**
   * Spread tolerated around the even share before "not balanced" is reported, as a fraction
   * of that share. ucctl's choice (the document says "evenly", no number): 10%.
   */
  readonly balanceTolerance?: number
}

/** PRG-10: users per group and cluster, groups per cluster, 35% CPU, half load, even spread. */
export function checkCapacity(cluster: string, groups: readonly GroupLoad[], opts: CapacityOptions = {}): PresenceCheckResult {
  const L = PRESENCE_LIMITS
  const findings: PresenceFinding[] = []
  const sum = (ns: readonly NodeLoad[]): number => ns.reduce((a, n) => a + n.users, 0)
  if (groups.length > L.maxGroupsPerCluster)
    findings.push({
      rule: 'PRG-10',
      severity: 'error',
      message: `cluster ${cluster} has ${groups.length} presence redundancy groups; at most ${L.maxGroupsPerCluster} are supported`,
      fix: `merge or remove groups to keep ${L.maxGroupsPerCluster} per cluster`,
    })
  const all = groups.flatMap((g) => g.nodes)
  const total = sum(all)
  if (total > L.maxUsersPerCluster)
    findings.push({
      rule: 'PRG-10',
      severity: 'error',
      message: `cluster ${cluster} has ${total} users; a high-availability cluster supports ${L.maxUsersPerCluster}`,
      fix: `move users to another IM and Presence cluster (at most ${L.maxUsersPerCluster})`,
    })
  for (const g of groups) {
    const users = sum(g.nodes)
    if (users > L.maxUsersPerGroup)
      findings.push({
        rule: 'PRG-10',
        severity: 'error',
        message: `group ${g.name} has ${users} users; at most ${L.maxUsersPerGroup} per group`,
        fix: `move ${users - L.maxUsersPerGroup} users to another group`,
      })
    for (const n of g.nodes) {
      if (n.cpuPercent !== undefined && n.cpuPercent > L.maxCpuPercent)
        findings.push({
          rule: 'PRG-10',
          severity: 'warning',
          message: `${n.name} runs at ${n.cpuPercent}% CPU; balanced high availability keeps each server at ${L.maxCpuPercent}% at most`,
          fix: `move users off ${n.name} or rebalance the cluster`,
        })
      // Half load: each node carries at most half of what it can hold, so its peer can carry both halves.
      const half = Math.floor((n.capacity ?? L.maxUsersPerGroup) / 2)
      if (g.nodes.length === 2 && n.users > half)
        findings.push({
          rule: 'PRG-10',
          severity: 'warning',
          message: `${n.name} carries ${n.users} users, more than half of what it can hold (${half}); its peer could not carry both halves at peak`,
          fix: `keep ${n.name} at ${half} users or fewer (rebalance, or add a group)`,
        })
    }
  }
  if (all.length > 1) {
    const share = total / all.length
    const tol = Math.max(1, share * (opts.balanceTolerance ?? 0.1))
    const off = all.filter((n) => Math.abs(n.users - share) > tol)
    if (off.length > 0)
      findings.push({
        rule: 'PRG-10',
        severity: 'warning',
        message: `users are not spread evenly (about ${Math.round(share)} per node): ${off.map((n) => `${n.name} ${n.users}`).join(', ')}`,
        fix: 'rebalance the users over all nodes of the cluster (ucctl pcluster users rebalance)',
      })
  }
  return result(findings)
}

/** PRG-10: users spread evenly over the nodes (45,000 over 6 nodes → 7,500 each); the remainder goes to the first nodes. */
export function balancedAssignment(users: number, nodes: readonly string[]): readonly {readonly node: string; readonly users: number}[] {
  if (!Number.isSafeInteger(users) || users < 0) throw new UsageError(`user count must be a whole number >= 0, got ${users}`)
  if (nodes.length === 0) throw new UsageError('no IM and Presence node to assign users to')
  if (new Set(nodes).size !== nodes.length) throw new UsageError(`a node is listed twice: ${nodes.join(', ')}`)
  const base = Math.floor(users / nodes.length)
  const extra = users % nodes.length
  return nodes.map((node, i) => ({node, users: base + (i < extra ? 1 : 0)}))
}

/** The moves that turn the current assignment into the balanced one; the odd users stay where they are. */
export function rebalanceMoves(
  current: readonly {readonly node: string; readonly users: number}[],
): readonly {readonly from: string; readonly to: string; readonly users: number}[] {
  const total = current.reduce((a, n) => a + n.users, 0)
  // The remainder goes to the nodes that already carry the most, so fewer users move.
  const order = current.map((n, i) => ({n, i})).sort((a, b) => b.n.users - a.n.users || a.i - b.i)
  const shares = balancedAssignment(
    total,
    order.map((o) => o.n.node),
  )
  const target = new Map(shares.map((s) => [s.node, s.users]))
  const delta = current.map((n) => ({node: n.node, d: n.users - (target.get(n.node) ?? 0)}))
  const givers = delta.filter((s) => s.d > 0)
  const takers = delta.filter((s) => s.d < 0).map((s) => ({node: s.node, d: -s.d}))
  const moves: {from: string; to: string; users: number}[] = []
  for (const g of givers)
    for (const t of takers) {
      const n = Math.min(g.d, t.d)
      if (n <= 0) continue
      moves.push({from: g.node, to: t.node, users: n})
      g.d -= n
      t.d -= n
    }
  return moves
}
