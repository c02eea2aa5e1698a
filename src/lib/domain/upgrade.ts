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
  parseVersion,
  toVersion,
} from './version.js'
import type {Finding} from './finding.js'

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

export type UpgradeFinding = Finding & {
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

export function publisher(cluster: Cluster, product: UpgradeProduct): ClusterNode {
  return cluster.nodes.find((n) => n.product === product && n.role === 'publisher')!
}

export function findNode(cluster: Cluster, name: string): ClusterNode {
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

export function normalizeTarget(target: UpgradeTarget | VersionLike): NormalTarget {
  if (typeof target === 'string' || 'form' in target) {
    const v = toVersion(target)
    return {cucm: v, imp: v, shared: true}
  }
  return {cucm: toVersion(target.cucm), imp: toVersion(target.imp), shared: false}
}

/** The CUCM release UPG-3 needs on a partition before IM&P may upgrade to `t.imp`. */
export function requiredCucmRelease(t: NormalTarget): Version {
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
