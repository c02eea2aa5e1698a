// The CLI side of upgrades (SPEC §5): the cluster picture read from the context's agents or,
// offline, from a topology file; runbooks read from a file or stdin; the UpgradePlan document.
import {readFileSync} from 'node:fs'
import {AgentClient, fanOut} from '../client/agent-client.js'
import {NotFoundError, UsageError} from '../errors.js'
import type {Cluster, HistoryEntry, NodePartitions, PlanStep, UpgradePlan, UpgradeTarget} from '../domain/upgrade.js'
import {clusterFromPartitions} from '../domain/upgrade-guards.js'
import {parseVersion} from '../domain/version.js'
import {withArticle} from '../domain/services.js'
import {type Envelope, envelope} from './base-command.js'
import type {View} from './render.js'
import type {Target} from './target.js'

const UPGRADE_PRODUCTS: readonly string[] = ['cucm', 'imp']

export interface ClusterPicture {
  /** The cluster's name (node config `cluster`). */
  name: string
  /** Where the picture comes from: `agents` of a context, or a topology file. */
  source: string
  reports: NodePartitions[]
  cluster: Cluster
  history: HistoryEntry[]
}

function pickCluster(reports: NodePartitions[], wanted: string | undefined, source: string): ClusterPicture {
  const names = [...new Set(reports.map((r) => r.cluster ?? ''))]
  if (names.length === 0) throw new NotFoundError(`${source} has no Unified CM or IM and Presence node`)
  let name = wanted
  if (name === undefined) {
    if (names.length > 1)
      throw new UsageError(`${source} has several Unified CM clusters: ${names.join(', ')}`, {hint: 'choose one with --cluster NAME'})
    name = names[0]
  } else if (!names.includes(name)) {
    throw new NotFoundError(`no Unified CM cluster "${name}" in ${source}`, {hint: `clusters: ${names.join(', ')}`})
  }
  const mine = reports.filter((r) => (r.cluster ?? '') === name)
  return {name, source, reports: mine, ...clusterFromPartitions(mine)}
}

/** Offline: versions from a topology file (`version` is the active partition, settings.inactiveVersion the inactive one). */
export async function clusterFromTopology(path: string, clusterName?: string): Promise<ClusterPicture> {
  const {loadTopology} = await import('../lab/topology.js')
  const topology = await loadTopology(path)
  const reports: NodePartitions[] = topology.nodes
    .filter((n) => UPGRADE_PRODUCTS.includes(n.product))
    .map((n) => {
      const inactive = n.settings?.inactiveVersion
      if (inactive !== undefined && typeof inactive !== 'string')
        throw new UsageError(`topology ${path}: node ${n.name}: settings.inactiveVersion must be a version string`)
      return {
        node: n.name,
        product: n.product as NodePartitions['product'],
        role: n.role,
        cluster: n.cluster,
        active: n.version,
        inactive: inactive ?? null,
        history: [],
      }
    })
  return pickCluster(reports, clusterName, `topology ${path}`)
}

/** Online: every node of the context answers (its product), then its partitions and history. */
export async function clusterFromAgents(target: Target, clusterName?: string): Promise<ClusterPicture> {
  const answers = await fanOut(target.nodes, async (n) => {
    const client = new AgentClient(n, {timeoutMs: 5000})
    const info = await client.call('GET /v1/node')
    return UPGRADE_PRODUCTS.includes(info.product) ? client.call('GET /v1/partitions') : null
  })
  const failed = answers.find((a) => !a.ok)
  // A plan from part of the cluster would be a guess.
  if (failed && !failed.ok) throw failed.error
  const reports = answers.flatMap((a) => (a.ok && a.value ? [a.value] : []))
  return pickCluster(reports, clusterName, `context ${target.context}`)
}

/** Reads FILE, or stdin for `-` (as a stream: a pipe may be non-blocking, where a sync read fails with EAGAIN). */
export async function readInput(path: string): Promise<string> {
  try {
    if (path !== '-') return readFileSync(path, 'utf8')
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${path === '-' ? 'stdin' : path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

export interface Runbook {
  target?: string | UpgradeTarget
  steps: PlanStep[]
}

/**
 * A runbook: YAML or JSON, either a list of steps or a document with `steps` (an UpgradePlan
 * printed by `ucctl upgrade plan --json` is one) and optionally its target (`to: 9.0(1)` or
 * `target: {cucm, imp}`). A step is `{number, action: upgrade|switch-version, nodes: [...]}`.
 */
export async function parseRunbook(text: string, source: string): Promise<Runbook> {
  const {parse} = await import('yaml')
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    throw new UsageError(`runbook ${source} is neither YAML nor JSON: ${(error as Error).message.split('\n')[0]}`)
  }
  const doc = (Array.isArray(raw) ? {steps: raw} : raw) as {steps?: unknown; to?: unknown; target?: unknown} | null
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.steps)) {
    throw new UsageError(`runbook ${source} has no steps: expected a list of {number, action, nodes} or a document with steps:`)
  }
  const steps = doc.steps.map((s: unknown, i): PlanStep => {
    if (!s || typeof s !== 'object' || Array.isArray(s))
      throw new UsageError(`runbook ${source}: step ${i + 1} is not a {number, action, nodes} mapping: ${JSON.stringify(s)}`)
    const {number, action, nodes} = s as PlanStep
    return {number, action, nodes}
  })
  const target = doc.to ?? doc.target
  return {steps, ...(target === undefined ? {} : {target: runbookTarget(target, source)})}
}

function runbookTarget(raw: unknown, source: string): string | UpgradeTarget {
  if (typeof raw === 'string' || typeof raw === 'number') return parseVersion(String(raw)).text
  const t = raw as {cucm?: unknown; imp?: unknown} | null
  if (t && typeof t === 'object' && typeof t.cucm === 'string' && typeof t.imp === 'string') {
    return {cucm: parseVersion(t.cucm).text, imp: parseVersion(t.imp).text}
  }
  throw new UsageError(`runbook ${source}: target ${JSON.stringify(raw)} is neither a version nor {cucm, imp}`)
}

/** The UpgradePlan document: type, ordered steps (parallel nodes together), each step done or not. */
export function planOutcome(plan: UpgradePlan, picture: ClusterPicture): {doc: Envelope; view: View} {
  const done = (node: string, action: string) => picture.history.some((h) => h.node === node && h.action === action)
  const steps = plan.steps.map((s) => ({...s, done: s.nodes.every((n) => done(n, s.action))}))
  const doc = envelope('UpgradePlan', {
    cluster: picture.name,
    source: picture.source,
    type: plan.type,
    rule: plan.rule,
    target: plan.target,
    nodes: picture.reports.map((r) => ({name: r.node, product: r.product, role: r.role, active: r.active, inactive: r.inactive})),
    steps,
  })
  return {
    doc,
    view: {
      title: `${plan.type} upgrade (${plan.rule}) of cluster ${picture.name} to ${plan.target.cucm === plan.target.imp ? plan.target.cucm : `Unified CM ${plan.target.cucm}, IM and Presence ${plan.target.imp}`}`,
      columns: ['STEP', 'ACTION', 'NODES', 'DONE'],
      rows: steps.map((s) => [s.number, s.action, s.nodes.join(', '), s.done ? 'yes' : 'no']),
      notes: ['UPG-7: the nodes of a step may run in parallel; a step starts only when every node of the previous one has finished'],
    },
  }
}

/** Refuses (exit 2) a node without partitions to upgrade, before posting the action. */
export async function assertUpgradable(client: AgentClient): Promise<void> {
  const info = await client.call('GET /v1/node')
  if (!UPGRADE_PRODUCTS.includes(info.product)) {
    throw new UsageError(
      `${client.node.name} is ${withArticle(info.productName)} node: only Unified CM and IM and Presence nodes have partitions to upgrade (SPEC §5)`,
    )
  }
}
