// The state of a whole context as one document (kind Snapshot): what `runbook check` simulates
// from, read from every agent through the existing routes, or from a file `snapshot save` wrote.
import {readFileSync} from 'node:fs'
import {writeFileDurably} from '../durable.js'
import {AgentClient} from '../client/agent-client.js'
import {readNodes, requireAnAnswer, unreadOf} from '../client/outcome.js'
import {UnreachableError, UsageError} from '../errors.js'
import {readYamlFile} from '../yaml-file.js'
import type {CtiEnvironment, Pair} from '../domain/cti-failover.js'
import type {Deployment, SimNode} from '../domain/simulation.js'
import {type Envelope, envelope} from './base-command.js'
import {presenceGroups} from './presence.js'
import type {View} from './render.js'
import type {Target} from './target.js'

/** Bumped when the document changes in a way an older reader would misread. */
export const SNAPSHOT_VERSION = 1

/** The CTI OS environment as the agent's model holds it, from its status and its softphones. */
async function readCtios(client: AgentClient, node: string): Promise<CtiEnvironment> {
  const [status, {softphones}] = await Promise.all([client.call('GET /v1/ctios'), client.call('GET /v1/ctios/softphones')])
  const part = (c: string) => status.components.filter((x) => x.component === c)
  const pair = (c: string): Pair => {
    const p = part(c)[0]
    return {up: {A: p.sides?.A === 'up', B: p.sides?.B === 'up'}, active: p.activeSide ?? 'A'}
  }
  const peer = part('peer')[0]
  const phonesOut = new Set(part('ip-phone').map((x) => x.id))
  const local = part('ctios-server')[0]
  return {
    ipPhones: Object.fromEntries(softphones.map((a) => [a.phone, {inService: !phonesOut.has(a.phone)}])),
    switches: Object.fromEntries(part('switch').map((x) => [x.id, {inService: x.state === 'in service'}])),
    pg: pair('pg'),
    ctiServers: pair('cti-server'),
    // LOAD-2 and LOAD-5 as they act at run time on this node (SPEC §9).
    afterFailover: status.afterFailover?.agentState ?? 'Not Ready',
    rejectIfAlreadyLoggedIn: status.desktopConnectionProfile?.rejectIfAlreadyLoggedIn ?? 0,
    ctios: {
      local: {name: node, online: local.state === 'online'},
      peer: {name: peer.id, online: peer.state === 'online', capacity: peer.capacity ?? 0},
    },
    agents: Object.fromEntries(
      softphones.map((a) => [
        a.id,
        {
          id: a.id,
          phone: a.phone,
          switch: a.switch,
          state: a.agentState,
          beforeCall: null, // not shown by the agent: CTI-7's Wrap-up row falls back to Not Ready
          softphone: a.connection === 'disconnected' ? 'none' : a.server === node ? 'local' : a.server === peer.id ? 'peer' : 'waiting',
        },
      ]),
    ),
  }
}

async function readNode(client: AgentClient): Promise<SimNode> {
  const info = await client.call('GET /v1/node')
  const {services} = await client.call('GET /v1/services')
  const node: SimNode = {
    name: info.name,
    product: info.product,
    role: info.role,
    cluster: info.cluster,
    group: info.group ?? null,
    version: info.version,
    inactive: null,
    history: [],
    services: services.map((s) => ({name: s.name, state: s.state, startup: s.startup, critical: s.critical})),
    connection: null,
    facts: {},
    ctios: info.product === 'ctios' ? await readCtios(client, info.name) : null,
  }
  if (info.product === 'cucm' || info.product === 'imp') {
    const p = await client.call('GET /v1/partitions')
    Object.assign(node, {version: p.active, inactive: p.inactive, history: p.history})
  }
  if (info.product === 'cuc') {
    const s = await client.call('GET /v1/cluster')
    node.connection = {
      status: s.status,
      takingCalls: s.takingCalls,
      callsInProgress: s.callsInProgress,
      peer: s.peer.name,
      degraded: s.degraded,
    }
  }
  return node
}

/** Every node of the context: a snapshot of part of it would be a guess, so any node that does not answer fails it. */
export async function readDeployment(target: Target): Promise<Deployment> {
  const answers = await readNodes(target.nodes, (n) => readNode(new AgentClient(n, {timeoutMs: 5000})))
  requireAnAnswer(answers, `context ${target.context}`)
  const unread = unreadOf(answers)
  if (unread.length > 0) {
    throw new UnreachableError(
      `could not read ${unread.length} node(s) of context ${target.context}: ${unread.map((u) => `${u.name}: ${u.error.message}`).join('; ')}`,
    )
  }
  const nodes = answers.flatMap((a) => (a.ok ? [a.value] : []))
  const {groups, unread: unreadGroups} = await presenceGroups(target)
  if (unreadGroups.length > 0)
    throw new UnreachableError(`could not read the presence redundancy state of ${unreadGroups.map((u) => u.name).join(', ')}`)
  for (const g of groups) {
    for (const [name, view] of g.byNode) {
      const n = nodes.find((x) => x.name === name)
      if (n)
        n.facts = {
          ...(view.facts.capacity !== undefined ? {capacity: view.facts.capacity} : {}),
          ...(view.facts.cpuPercent !== undefined ? {cpuPercent: view.facts.cpuPercent} : {}),
        }
    }
  }
  return {nodes, groups: groups.map((g) => g.best.state)}
}

function snapshotDocument(context: string, d: Deployment, nowMs: number): Envelope {
  return envelope('Snapshot', {
    snapshotVersion: SNAPSHOT_VERSION,
    context,
    takenAt: new Date(nowMs).toISOString(),
    nodes: d.nodes,
    groups: d.groups,
  })
}

/** Writes an operator's file whole or not at all; a file that cannot be written is exit 2. */
export function writeDocument(path: string, text: string, what: string): void {
  try {
    writeFileDurably(path, text + '\n', 0o644)
  } catch (error) {
    throw new UsageError(`cannot write the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

/** `snapshot save FILE`: the context's state written to FILE (whole or not at all); the document, with its file, to print. */
export async function saveSnapshot(target: Target, file: string, nowMs: number): Promise<{doc: Envelope; view: View}> {
  const d = await readDeployment(target)
  const doc = snapshotDocument(target.context, d, nowMs)
  // One line: a CTI OS node holds a thousand softphones (jq . shows it indented).
  writeDocument(file, JSON.stringify(doc), 'snapshot')
  return {doc: {...doc, file}, view: {...snapshotView(d), notes: [`saved to ${file}`]}}
}

function snapshotView(d: Deployment): View {
  const presence = new Map(d.groups.flatMap((g) => g.nodes.map((n) => [n.name, n] as const)))
  return {
    columns: ['NODE', 'PRODUCT', 'ROLE', 'VERSION', 'INACTIVE', 'STATUS', 'USERS', 'SERVICES'],
    rows: d.nodes.map((n) => {
      const p = presence.get(n.name)
      const running = n.services.filter((s) => s.state === 'Running').length
      return [
        n.name,
        n.product,
        n.role,
        n.version,
        n.inactive ?? '',
        n.connection?.status ?? (p ? `${p.state ?? 'down'} / ${p.reason ?? '-'}` : ''),
        p ? p.users : '',
        `${running}/${n.services.length}`,
      ]
    }),
  }
}

/** A saved snapshot, checked against schemas/Snapshot.json (exit 2 otherwise). */
export async function readSnapshot(path: string): Promise<{context: string; deployment: Deployment}> {
  const schema = JSON.parse(readFileSync(new URL('../../../../schemas/Snapshot.json', import.meta.url), 'utf8'))
  const doc = (await readYamlFile(path, schema, 'snapshot')) as {context: string; nodes: SimNode[]; groups: Deployment['groups']}
  return {context: doc.context, deployment: {nodes: doc.nodes, groups: doc.groups}}
}
