// Node-level guards (UPG-4: the agent calls these before anything runs): whether one node's
// upgrade or switch-version is allowed now, against the cluster picture and the histories its
// nodes report, and why. Pure, like ./upgrade.ts.
import {RefusedError} from '../errors.js'
import {
  assertCluster,
  type Cluster,
  findNode,
  type HistoryEntry,
  type NodePartitions,
  normalizeTarget,
  type PlanStep,
  planUpgrade,
  publisher,
  type Refusal,
  requiredCucmRelease,
  type UpgradeAction,
  type UpgradePlan,
  type UpgradeTarget,
} from './upgrade.js'
import {isReleaseOf, matchesFirstUpgraded, type VersionLike} from './version.js'

function done(history: readonly HistoryEntry[], node: string, action: UpgradeAction): boolean {
  return history.some((h) => h.node === node && h.action === action)
}

function planOrRefusal(cluster: Cluster, target: UpgradeTarget | VersionLike): UpgradePlan | Refusal {
  try {
    return planUpgrade(cluster, target)
  } catch (err) {
    if (err instanceof RefusedError) return {rule: err.rule ?? 'UPG-5', message: err.message, hint: err.hint ?? ''}
    throw err
  }
}

/** Refusal when a step before this node's step has an action not yet done (UPG-5/6, UPG-7). */
function orderRefusal(plan: UpgradePlan, node: string, action: UpgradeAction, history: readonly HistoryEntry[]): Refusal | null {
  const mine = plan.steps.find((s) => s.action === action && s.nodes.includes(node))
  if (!mine) return null
  for (const s of plan.steps) {
    if (s.number >= mine.number) break
    const pending = s.nodes.filter((n) => !done(history, n, s.action))
    if (pending.length > 0) {
      return {
        rule: plan.rule,
        message:
          `${action} ${node} is step ${mine.number} of the ${plan.type} upgrade (${plan.rule}); ` +
          `step ${s.number} (${s.action} ${s.nodes.join(', ')}) has not finished on ${pending.join(', ')}`,
        hint: `finish step ${s.number} first: ${pending.map((n) => `${s.action} ${n}`).join(', ')}`,
      }
    }
  }
  return null
}

/** Version the first upgraded IM&P node installed (UPG-2), from history or its partitions. */
function firstImpUpgrade(cluster: Cluster, history: readonly HistoryEntry[]): {node: string; version: string | null} | null {
  const entry = history.find((h) => h.action === 'upgrade' && cluster.nodes.some((n) => n.name === h.node && n.product === 'imp'))
  if (!entry) return null
  if (entry.version !== undefined) return {node: entry.node, version: entry.version}
  const n = cluster.nodes.find((x) => x.name === entry.node)!
  const switched = done(history, n.name, 'switch-version')
  return {node: n.name, version: switched ? n.activeVersion : n.inactiveVersion}
}

/**
 * Null when `node` may upgrade now, else the refusal. Checks, in this order: UPG-1 (target
 * pair), the upgrade path (UPG-5/6), already upgraded, UPG-3 (IM&P: the target CUCM release
 * on the CUCM publisher's active or inactive partition; the publisher because the CUCM
 * subscribers upgrade alongside the IM&P publisher), UPG-2 (IM&P: same five fields as the
 * first upgraded IM&P node), then the step order. Unknown node: NotFoundError.
 */
export function checkUpgradeAllowed(
  cluster: Cluster,
  node: string,
  targetVersion: UpgradeTarget | VersionLike,
  history: readonly HistoryEntry[] = [],
): Refusal | null {
  assertCluster(cluster)
  const n = findNode(cluster, node)
  const t = normalizeTarget(targetVersion)
  const plan = planOrRefusal(cluster, targetVersion)
  if (!('steps' in plan)) return plan
  if (done(history, node, 'upgrade')) {
    return {rule: plan.rule, message: `${node} is already upgraded`, hint: 'go on with the next step of the plan'}
  }
  if (n.product === 'imp') {
    const pub = publisher(cluster, 'cucm')
    const release = requiredCucmRelease(t)
    const partitions = [pub.activeVersion, pub.inactiveVersion].filter((v): v is string => v !== null)
    if (!partitions.some((v) => isReleaseOf(v, release))) {
      return {
        rule: 'UPG-3',
        message:
          `IM and Presence ${node} cannot upgrade to ${t.imp.text}: Unified CM ${release.text} is on neither partition ` +
          `of ${pub.name} (active ${pub.activeVersion}, inactive ${pub.inactiveVersion ?? 'empty'})`,
        hint: `upgrade Unified CM (${pub.name}) to ${release.text} first`,
      }
    }
    const first = firstImpUpgrade(cluster, history)
    if (first) {
      const ok = first.version !== null && matchesFirstUpgraded(first.version, t.imp)
      if (!ok) {
        return {
          rule: 'UPG-2',
          message:
            first.version === null
              ? `cannot tell which version the first upgraded IM and Presence node ${first.node} installed`
              : `IM and Presence ${node} target ${t.imp.text} does not match ${first.version} of the first upgraded IM and Presence node ${first.node} in all five fields`,
          hint: first.version === null ? `record the version ${first.node} installed` : `upgrade ${node} to exactly ${first.version}`,
        }
      }
    }
  }
  return orderRefusal(plan, node, 'upgrade', history)
}

/** Null when `node` may switch version now, else the refusal (upgrade first, then the order). */
export function checkSwitchVersionAllowed(
  cluster: Cluster,
  node: string,
  targetVersion: UpgradeTarget | VersionLike,
  history: readonly HistoryEntry[] = [],
): Refusal | null {
  assertCluster(cluster)
  findNode(cluster, node)
  const plan = planOrRefusal(cluster, targetVersion)
  if (!('steps' in plan)) return plan
  if (done(history, node, 'switch-version')) {
    return {rule: plan.rule, message: `${node} has already switched version`, hint: 'go on with the next step of the plan'}
  }
  if (!done(history, node, 'upgrade')) {
    return {rule: plan.rule, message: `${node} has not been upgraded: nothing to switch to`, hint: `upgrade ${node} first`}
  }
  return orderRefusal(plan, node, 'switch-version', history)
}

// ---------------------------------------------------------------------------------------
// The cluster picture from its nodes' reports, and why an action is allowed

/**
 * The cluster and its combined history from each node's partitions report. A node speaks only
 * for itself (entries naming another node are ignored); the histories are merged by the time
 * each action finished, since UPG-2 needs to know which IM&P node was upgraded first.
 */
export function clusterFromPartitions(reports: readonly NodePartitions[]): {cluster: Cluster; history: HistoryEntry[]} {
  const cluster: Cluster = {
    nodes: reports.map((r) => ({name: r.node, product: r.product, role: r.role, activeVersion: r.active, inactiveVersion: r.inactive})),
  }
  const history = reports
    .flatMap((r) => r.history.filter((h) => h.node === r.node))
    .map((h, i) => ({h, i}))
    .sort((a, b) => (a.h.time ?? '').localeCompare(b.h.time ?? '') || a.i - b.i)
    .map((x) => x.h)
  return {cluster, history}
}

/** Where `action` of `node` sits in the plan (null: the plan has no such action). */
export function stepOf(plan: UpgradePlan, node: string, action: UpgradeAction): PlanStep | null {
  return plan.steps.find((s) => s.action === action && s.nodes.includes(node)) ?? null
}

/**
 * The rules that allow `action` on `node`, one line each, for a dry run. Call it only when
 * checkUpgradeAllowed / checkSwitchVersionAllowed returned null.
 */
export function allowedBecause(
  cluster: Cluster,
  node: string,
  action: UpgradeAction,
  targetVersion: UpgradeTarget | VersionLike,
  history: readonly HistoryEntry[] = [],
): string[] {
  const plan = planUpgrade(cluster, targetVersion)
  const t = normalizeTarget(targetVersion)
  const step = stepOf(plan, node, action)!
  const out = [
    `${plan.rule}: ${action} ${node} is step ${step.number} of the ${plan.type} upgrade; ` +
      (step === plan.steps[0] ? 'it is the first step' : 'every earlier step has finished'),
  ]
  const others = step.nodes.filter((n) => n !== node)
  if (others.length > 0) out.push(`UPG-7: step ${step.number} may run in parallel on ${others.join(', ')}`)
  const n = findNode(cluster, node)
  if (action === 'upgrade' && n.product === 'imp') {
    const pub = publisher(cluster, 'cucm')
    const release = requiredCucmRelease(t)
    const where = isReleaseOf(pub.activeVersion, release) ? 'active' : 'inactive'
    out.push(`UPG-3: Unified CM ${release.text} is on the ${where} partition of ${pub.name}`)
    const first = firstImpUpgrade(cluster, history)
    out.push(
      first
        ? `UPG-2: ${t.imp.text} matches ${first.version} of the first upgraded IM and Presence node ${first.node} in all five fields`
        : `UPG-2: ${node} is the first IM and Presence node upgraded: every later one must install exactly ${t.imp.text}`,
    )
    out.push(`UPG-1: IM and Presence ${t.imp.text} and Unified CM ${release.text} share major.minor ${t.imp.major}.${t.imp.minor}`)
  }
  return out
}

/**
 * The target an agent checks `node`'s upgrade to `version` against. For an IM&P node, the
 * Unified CM side is what the CUCM publisher installed (its history), so that an IM&P version
 * of another major.minor is refused by UPG-1; before that, `version` stands for both and UPG-3
 * refuses it (the release is on no CUCM partition yet).
 */
export function upgradeTargetFor(
  cluster: Cluster,
  node: string,
  version: string,
  history: readonly HistoryEntry[],
): UpgradeTarget | string {
  const n = findNode(cluster, node)
  if (n.product !== 'imp') return version
  const pub = cluster.nodes.find((x) => x.product === 'cucm' && x.role === 'publisher')
  const installed = pub && history.find((h) => h.node === pub.name && h.action === 'upgrade' && h.version !== undefined)
  return installed ? {cucm: installed.version!, imp: version} : version
}

/**
 * UPG-4: what an agent checks before `action` of `node` runs, against the whole cluster (an IM&P
 * upgrade is paired with what the CUCM publisher installed): the refusal, or null when allowed.
 * `version`: what an upgrade installs, or what a switch-version activates (switchVersionTarget).
 */
export function checkNodeAction(
  cluster: Cluster,
  history: readonly HistoryEntry[],
  node: string,
  action: UpgradeAction,
  version: string,
): Refusal | null {
  if (action === 'switch-version') return checkSwitchVersionAllowed(cluster, node, version, history)
  return checkUpgradeAllowed(cluster, node, upgradeTargetFor(cluster, node, version, history), history)
}

/** What a switch-version activates: what the node's upgrade installed; refused when the inactive partition is empty. */
export function switchVersionTarget(p: {
  readonly node: string
  readonly inactive: string | null
  readonly history: readonly HistoryEntry[]
}): string {
  if (p.inactive === null) {
    throw new RefusedError(`the inactive partition of ${p.node} is empty: nothing to switch to`, {
      rule: 'UPG-5',
      hint: `upgrade ${p.node} first (ucctl node upgrade ${p.node} --version V)`,
    })
  }
  return p.history.findLast((h) => h.action === 'upgrade')?.version ?? p.inactive
}
