// Unified CM and IM and Presence upgrade order and its checks (SPEC 5: UPG-1..7; seed 003).
// Pure: the cluster, the target and the history (who did what) are plain data passed in.

import {NotFoundError, RefusedError, UsageError} from '../errors.js'
import {
  type Version,
  type VersionLike,
  areCompatible,
  formatVersion,
  isAtOrBefore,
  isReleaseOf,
  matchesFirstUpgraded,
  parseVersion,
  toVersion,
} from './version.js'

export type UpgradeProduct = 'cucm' | 'imp'
export type Role = 'publisher' | 'subscriber'
export type UpgradeType = 'standard' | 'refresh'
export type UpgradeAction = 'upgrade' | 'switch-version'
export type UpgradeRule = 'UPG-5' | 'UPG-6'

export interface ClusterNode {
  readonly name: string
  readonly product: UpgradeProduct
  readonly role: Role
  /** Version on the active partition. */
  readonly activeVersion: string
  /** Version on the inactive partition; null when it holds nothing. */
  readonly inactiveVersion: string | null
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[]
}

/** Target release per product; a single version (e.g. `9.0(1)`) means that release for both. */
export interface UpgradeTarget {
  readonly cucm: VersionLike
  readonly imp: VersionLike
}

export interface PlanStep {
  readonly number: number
  readonly action: UpgradeAction
  readonly nodes: readonly string[]
}

export interface UpgradePlan {
  readonly type: UpgradeType
  readonly rule: UpgradeRule
  readonly target: {readonly cucm: string; readonly imp: string}
  readonly steps: readonly PlanStep[]
}

/** One completed action; `version` is what an upgrade installed, when known. */
export interface HistoryEntry {
  readonly node: string
  readonly action: UpgradeAction
  readonly version?: string
  /** When it finished (ISO 8601): orders the histories of several nodes. */
  readonly time?: string
}

/** One node's partitions and its own upgrade history, as its agent reports them. */
export interface NodePartitions {
  readonly node: string
  readonly product: UpgradeProduct
  readonly role: Role
  readonly cluster?: string
  readonly active: string
  readonly inactive: string | null
  readonly history: readonly HistoryEntry[]
}

export interface Refusal {
  readonly rule: string
  readonly message: string
  readonly hint: string
}

// A type, not an interface: it must fit the CLI's Finding (an index signature).
export type UpgradeFinding = {
  readonly rule: string
  readonly severity: 'error' | 'warning'
  readonly message: string
  readonly fix: string
  readonly step?: number
  readonly node?: string
}

export interface UpgradeCheckResult {
  readonly ok: boolean
  readonly findings: readonly UpgradeFinding[]
}

// ---------------------------------------------------------------------------------------
// Tables (seed 003, "アップグレードの順序")

/** Documented upgrade paths: which sources make a standard or a refresh upgrade, to which target. */
export const UPGRADE_PATHS: readonly {
  readonly type: UpgradeType
  readonly rule: UpgradeRule
  readonly product: UpgradeProduct
  readonly from: string
  /** `release`: the source belongs to `from`; `at-or-before`: `from` "and earlier". */
  readonly match: 'release' | 'at-or-before'
  readonly to: string
}[] = [
  {type: 'standard', rule: 'UPG-5', product: 'cucm', from: '8.6.x', match: 'release', to: '9.0(1)'},
  {type: 'standard', rule: 'UPG-5', product: 'imp', from: '8.6(4)', match: 'release', to: '9.0(1)'},
  {type: 'refresh', rule: 'UPG-6', product: 'cucm', from: '8.5', match: 'at-or-before', to: '9.0(1)'},
  {type: 'refresh', rule: 'UPG-6', product: 'imp', from: '8.6(3)', match: 'at-or-before', to: '9.0(1)'},
]

export type NodeSelector = 'cucm publisher' | 'imp publisher + cucm subscribers' | 'imp subscribers'

/** What each selector of the order tables names, members in the documents' order. */
export const NODE_SELECTORS: readonly {
  readonly selector: NodeSelector
  readonly members: readonly {readonly product: UpgradeProduct; readonly role: Role}[]
}[] = [
  {selector: 'cucm publisher', members: [{product: 'cucm', role: 'publisher'}]},
  {
    selector: 'imp publisher + cucm subscribers',
    members: [
      {product: 'imp', role: 'publisher'},
      {product: 'cucm', role: 'subscriber'},
    ],
  },
  {selector: 'imp subscribers', members: [{product: 'imp', role: 'subscriber'}]},
]

export interface OrderRow {
  readonly number: number
  readonly action: UpgradeAction
  readonly nodes: NodeSelector
}

/** UPG-5: standard upgrade (CUCM 8.6.x → 9.0(1); CUP 8.6(4) → IM&P 9.0(1)). */
export const STANDARD_UPGRADE_ORDER: readonly OrderRow[] = [
  {number: 1, action: 'upgrade', nodes: 'cucm publisher'},
  {number: 2, action: 'upgrade', nodes: 'imp publisher + cucm subscribers'},
  {number: 3, action: 'upgrade', nodes: 'imp subscribers'},
  {number: 4, action: 'switch-version', nodes: 'cucm publisher'},
  {number: 5, action: 'switch-version', nodes: 'imp publisher + cucm subscribers'},
  {number: 6, action: 'switch-version', nodes: 'imp subscribers'},
]

/** UPG-6: refresh upgrade (CUCM 8.5 and earlier → 9.0(1); CUP 8.6(3) and earlier → IM&P 9.0(1)). */
export const REFRESH_UPGRADE_ORDER: readonly OrderRow[] = [
  {number: 1, action: 'upgrade', nodes: 'cucm publisher'},
  {number: 2, action: 'switch-version', nodes: 'cucm publisher'},
  {number: 3, action: 'upgrade', nodes: 'imp publisher + cucm subscribers'},
  {number: 4, action: 'switch-version', nodes: 'imp publisher + cucm subscribers'},
  {number: 5, action: 'upgrade', nodes: 'imp subscribers'},
  {number: 6, action: 'switch-version', nodes: 'imp subscribers'},
]

export const UPGRADE_ORDERS: Readonly<Record<UpgradeType, {readonly rule: UpgradeRule; readonly rows: readonly OrderRow[]}>> = {
  standard: {rule: 'UPG-5', rows: STANDARD_UPGRADE_ORDER},
  refresh: {rule: 'UPG-6', rows: REFRESH_UPGRADE_ORDER},
}

const PRODUCT_NAME: Record<UpgradeProduct, string> = {cucm: 'Unified CM', imp: 'IM and Presence'}

// ---------------------------------------------------------------------------------------
// Cluster and target

/** Throws UsageError for a malformed cluster description (it is input, e.g. a topology file). */
export function assertCluster(cluster: Cluster): void {
  const seen = new Set<string>()
  for (const n of cluster.nodes) {
    if (seen.has(n.name)) throw new UsageError(`cluster lists node "${n.name}" twice`)
    seen.add(n.name)
    if (n.product !== 'cucm' && n.product !== 'imp') {
      throw new UsageError(`node "${n.name}": product "${String(n.product)}" is not cucm or imp`)
    }
    if (n.role !== 'publisher' && n.role !== 'subscriber') {
      throw new UsageError(`node "${n.name}": role "${String(n.role)}" is not publisher or subscriber`)
    }
    parseVersion(n.activeVersion)
    if (n.inactiveVersion !== null) parseVersion(n.inactiveVersion)
  }
  for (const product of ['cucm', 'imp'] as const) {
    const pubs = cluster.nodes.filter((n) => n.product === product && n.role === 'publisher')
    if (pubs.length !== 1) {
      throw new UsageError(`the cluster needs exactly one ${PRODUCT_NAME[product]} publisher, found ${pubs.length}`)
    }
  }
}

function publisher(cluster: Cluster, product: UpgradeProduct): ClusterNode {
  return cluster.nodes.find((n) => n.product === product && n.role === 'publisher')!
}

function findNode(cluster: Cluster, name: string): ClusterNode {
  const node = cluster.nodes.find((n) => n.name === name)
  if (!node) throw new NotFoundError(`unknown node "${name}": the cluster has ${cluster.nodes.map((n) => n.name).join(', ')}`)
  return node
}

interface NormalTarget {
  readonly cucm: Version
  readonly imp: Version
  /** One version given for both products. */
  readonly shared: boolean
}

function normalizeTarget(target: UpgradeTarget | VersionLike): NormalTarget {
  if (typeof target === 'string' || 'form' in target) {
    const v = toVersion(target)
    return {cucm: v, imp: v, shared: true}
  }
  return {cucm: toVersion(target.cucm), imp: toVersion(target.imp), shared: false}
}

/** The CUCM release UPG-3 needs on a partition before IM&P may upgrade to `t.imp`. */
function requiredCucmRelease(t: NormalTarget): Version {
  // A shared target names one release for both products ("Release 9.0(1)"), but IM&P and CUCM
  // builds differ (seed 003 pairs IM&P 9.0.2.10000-4 with CUCM 9.0.12.30000-2): keep the
  // release part only.
  if (t.shared && t.cucm.maintenance !== undefined) {
    const {major, minor, maintenance} = t.cucm
    return {text: `${major}.${minor}(${maintenance})`, form: 'parenthesized', major, minor, maintenance}
  }
  return t.cucm
}

/**
 * The version a node upgrades from: its active partition, unless that already runs the
 * target's major.minor (the node switched version), then its inactive partition, where the
 * old version now sits. Read from the partitions, not the history, so that a plan made in
 * the middle of an upgrade keeps its type.
 */
export function sourceVersion(node: ClusterNode, target: VersionLike): string {
  const switched = areCompatible(node.activeVersion, target) && node.inactiveVersion !== null
  return switched ? node.inactiveVersion! : node.activeVersion
}

// ---------------------------------------------------------------------------------------
// Upgrade type and plan

function pathFor(product: UpgradeProduct, source: Version) {
  return UPGRADE_PATHS.find(
    (p) => p.product === product && (p.match === 'release' ? isReleaseOf(source, p.from) : isAtOrBefore(source, p.from)),
  )
}

function describePath(product: UpgradeProduct, source: Version): string {
  const p = pathFor(product, source)
  if (!p) {
    const fits = UPGRADE_PATHS.filter((x) => x.product === product)
      .map((x) => `${x.type} ${x.rule}: ${x.from}${x.match === 'at-or-before' ? ' and earlier' : ''}`)
      .join('; ')
    return `${PRODUCT_NAME[product]} ${source.text} is no documented upgrade source (${fits})`
  }
  return `${PRODUCT_NAME[product]} ${source.text} is a ${p.type}-upgrade source (${p.rule})`
}

/**
 * UPG-5/UPG-6: standard or refresh, from the source versions of Unified CM and IM&P.
 * Throws RefusedError (exit 5) when a source fits no documented path, or when CUCM and IM&P
 * fit different paths (the documents give no order for such a mix); the message says which.
 * Its rule is the path the CUCM source fits, else the IM&P source's, else UPG-5.
 */
export function upgradeType(cucmSource: VersionLike, impSource: VersionLike): UpgradeType {
  const cucm = toVersion(cucmSource)
  const imp = toVersion(impSource)
  const a = pathFor('cucm', cucm)
  const b = pathFor('imp', imp)
  if (a && b && a.type === b.type) return a.type
  throw new RefusedError(`no documented upgrade order: ${describePath('cucm', cucm)}; ${describePath('imp', imp)}`, {
    rule: a?.rule ?? b?.rule ?? 'UPG-5',
    hint:
      'standard (UPG-5): Unified CM 8.6.x with Unified Presence 8.6(4); ' +
      'refresh (UPG-6): Unified CM 8.5 and earlier with Unified Presence 8.6(3) and earlier',
    details: {cucmSource: cucm.text, impSource: imp.text, cucmPath: a?.type ?? null, impPath: b?.type ?? null},
  })
}

function selectNodes(cluster: Cluster, selector: NodeSelector): string[] {
  const members = NODE_SELECTORS.find((s) => s.selector === selector)!.members
  return members.flatMap((m) => cluster.nodes.filter((n) => n.product === m.product && n.role === m.role).map((n) => n.name))
}

/**
 * The documented order for this cluster. Throws UsageError for a malformed cluster or
 * target, RefusedError for UPG-1 (target pair incompatible), for sources that fit no path,
 * and for a target the order is not documented for (only 9.0(1)).
 * Steps with no node (e.g. no IM&P subscriber) are left out; numbers stay the documents'.
 */
export function planUpgrade(cluster: Cluster, target: UpgradeTarget | VersionLike): UpgradePlan {
  assertCluster(cluster)
  const t = normalizeTarget(target)
  if (!areCompatible(t.cucm, t.imp)) {
    throw new RefusedError(`UPG-1: target Unified CM ${t.cucm.text} and IM and Presence ${t.imp.text} differ in major or minor release`, {
      rule: 'UPG-1',
      hint: 'choose targets with the same major.minor, e.g. 9.0 for both',
    })
  }
  const type = upgradeType(sourceVersion(publisher(cluster, 'cucm'), t.cucm), sourceVersion(publisher(cluster, 'imp'), t.imp))
  const order = UPGRADE_ORDERS[type]
  for (const product of ['cucm', 'imp'] as const) {
    const path = UPGRADE_PATHS.find((p) => p.type === type && p.product === product)!
    if (!isReleaseOf(t[product], path.to)) {
      throw new RefusedError(
        `${order.rule}: the ${type} upgrade order is documented for ${PRODUCT_NAME[product]} ${path.to}, not ${t[product].text}`,
        {rule: order.rule, hint: `target ${path.to}`},
      )
    }
  }
  const steps = order.rows
    .map((row) => ({number: row.number, action: row.action, nodes: selectNodes(cluster, row.nodes)}))
    .filter((s) => s.nodes.length > 0)
  return {type, rule: order.rule, target: {cucm: formatVersion(t.cucm), imp: formatVersion(t.imp)}, steps}
}

// ---------------------------------------------------------------------------------------
// Runbook validation

const key = (action: UpgradeAction, node: string) => `${action} ${node}`

interface Item {
  readonly node: string
  readonly action: UpgradeAction
  readonly step: number
}

function assertProposedSteps(steps: readonly PlanStep[]): void {
  if (!Array.isArray(steps)) throw new UsageError('the runbook steps must be a list')
  steps.forEach((s, i) => {
    if (!Number.isInteger(s?.number) || s.number < 1) {
      throw new UsageError(`runbook step ${i + 1}: number ${JSON.stringify(s?.number)} is not a positive integer`)
    }
    if (s.action !== 'upgrade' && s.action !== 'switch-version') {
      throw new UsageError(`runbook step ${s.number}: action ${JSON.stringify(s.action)} is not upgrade or switch-version`)
    }
    if (!Array.isArray(s.nodes) || (s.nodes as readonly unknown[]).some((n) => typeof n !== 'string')) {
      throw new UsageError(`runbook step ${s.number}: nodes must be a list of node names`)
    }
  })
}

function describe(items: readonly Item[], expected: ReadonlyMap<string, number>): string {
  return items
    .map((a) => `${a.action} ${a.node} (runbook step ${a.step}, documents' step ${expected.get(key(a.action, a.node))})`)
    .join(', ')
}

/**
 * Checks a runbook's steps against the documented order. Same number = run in parallel
 * (UPG-7). Decision: an unknown node is a finding (rule UPG-5/UPG-6), not a UsageError,
 * so that one run reports every problem of the runbook; only a malformed runbook (bad
 * number, action or node list) throws UsageError. Running sequentially what the documents
 * allow in parallel is fine (UPG-7 says "may").
 */
export function validatePlan(
  cluster: Cluster,
  target: UpgradeTarget | VersionLike,
  proposedSteps: readonly PlanStep[],
): UpgradeCheckResult {
  assertProposedSteps(proposedSteps)
  const plan = planUpgrade(cluster, target)
  const rule = plan.rule
  const expected = new Map<string, number>()
  for (const s of plan.steps) for (const n of s.nodes) expected.set(key(s.action, n), s.number)

  const findings: UpgradeFinding[] = []
  const items: Item[] = []
  const seen = new Map<string, number>()
  const known = new Set(cluster.nodes.map((n) => n.name))
  for (const s of proposedSteps) {
    for (const node of s.nodes) {
      if (!known.has(node)) {
        findings.push({
          rule,
          severity: 'error',
          step: s.number,
          node,
          message: `step ${s.number}: unknown node "${node}" (the cluster has ${[...known].join(', ')})`,
          fix: `remove "${node}" or correct its name`,
        })
        continue
      }
      const k = key(s.action, node)
      const first = seen.get(k)
      if (first !== undefined) {
        findings.push({
          rule,
          severity: 'error',
          step: s.number,
          node,
          message: `step ${s.number}: ${k} is listed again (already in step ${first})`,
          fix: `keep ${k} once, in documents' step ${expected.get(k)}`,
        })
        continue
      }
      seen.set(k, s.number)
      items.push({node, action: s.action, step: s.number})
    }
  }

  for (const s of plan.steps) {
    for (const node of s.nodes) {
      if (!seen.has(key(s.action, node))) {
        findings.push({
          rule,
          severity: 'error',
          step: s.number,
          node,
          message: `missing: ${key(s.action, node)} (${rule} step ${s.number}, ${plan.type} upgrade)`,
          fix: `add ${key(s.action, node)} as its own step after every action of documents' step ${s.number - 1}`,
        })
      }
    }
  }

  const expectedOf = (x: Item) => expected.get(key(x.action, x.node))!
  const parallelConflicts = new Map<Item, Item[]>()
  for (const b of items) {
    const eb = expectedOf(b)
    const mustPrecede = items.filter((a) => expectedOf(a) < eb)
    const after = mustPrecede.filter((a) => a.step > b.step)
    if (after.length > 0) {
      findings.push({
        rule,
        severity: 'error',
        step: b.step,
        node: b.node,
        message:
          `out of order: ${b.action} ${b.node} (runbook step ${b.step}, documents' step ${eb}) runs before ` +
          `${describe(after, expected)}, which the ${plan.type} upgrade (${rule}) puts first`,
        fix: `move ${b.action} ${b.node} after runbook step ${Math.max(...after.map((a) => a.step))}`,
      })
    }
    for (const a of mustPrecede.filter((x) => x.step === b.step)) {
      // Blame the one the runbook numbered unlike the documents: the other one is where it belongs.
      const [wrong, other] = b.step === eb && a.step !== expectedOf(a) ? [a, b] : [b, a]
      parallelConflicts.set(wrong, [...(parallelConflicts.get(wrong) ?? []), other])
    }
  }
  for (const [wrong, others] of parallelConflicts) {
    findings.push({
      rule: 'UPG-7',
      severity: 'error',
      step: wrong.step,
      node: wrong.node,
      message:
        `wrong step: ${wrong.action} ${wrong.node} (documents' step ${expectedOf(wrong)}) runs in parallel with ` +
        `${describe(others, expected)}; the ${plan.type} upgrade (${rule}) lets a step start only when the previous one has finished`,
      fix: `give ${wrong.action} ${wrong.node} its own step, in the order of documents' step ${expectedOf(wrong)}`,
    })
  }

  findings.sort((x, y) => (x.step ?? 0) - (y.step ?? 0))
  return {ok: findings.every((f) => f.severity !== 'error'), findings}
}

// ---------------------------------------------------------------------------------------
// Node-level guards (UPG-4: the agent calls these before anything runs)

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
