// `ucctl pcluster ...`: the presence redundancy groups of the target as the IM and Presence
// agents see them (SPEC §6), and the one way an operator action reaches the right SRM.
import type {Answer} from '../api/index.js'
import {AgentClient} from '../client/agent-client.js'
import {type NodeError, readNodes, requireAnAnswer, unreadFindings, unreadMark, unreadOf, warnUnread} from '../client/outcome.js'
import {checkCapacity, checkRedundancyGroups, checkWanLink, type GroupLoad} from '../domain/presence-capacity.js'
import {describePair, failoverImpactText, type GroupAction, HA_SYNC_AGENT_NOTE} from '../domain/presence-redundancy.js'
import {NotFoundError, UsageError} from '../errors.js'
import {type Envelope, envelope} from './base-command.js'
import type {Finding} from './check.js'
import {confirmOrRefuse} from './confirm.js'
import {submitAction} from './operation.js'
import {type Outcome, planOutcome} from './plan.js'
import type {View} from './render.js'
import type {Target} from './target.js'

/** A presence redundancy group as one of its SRMs sees it (GET /v1/presence). */
export type RedundancyGroupView = Answer<'GET /v1/presence'>

export interface PresenceGroup {
  name: string
  /** The freshest view (its SRM has seen the most), and every reachable member's own. */
  best: RedundancyGroupView
  byNode: Map<string, RedundancyGroupView>
  members: string[]
}

/** Every presence redundancy group of the target, from the IM and Presence agents that answer. */
export async function presenceGroups(target: Target): Promise<{groups: PresenceGroup[]; unread: Array<{name: string; error: NodeError}>}> {
  const all = await readNodes(target.nodes, (n) =>
    new AgentClient(n, {timeoutMs: 5000}).call('GET /v1/presence').catch((error: unknown): null => {
      // 404: not an IM and Presence node in a group. Anything else: we cannot tell.
      if (error instanceof NotFoundError) return null
      throw error
    }),
  )
  const needed = all.filter((o) => !o.ok || o.value !== null)
  requireAnAnswer(needed, `IM and Presence nodes of context ${target.context}`)
  const groups = new Map<string, PresenceGroup>()
  for (const a of needed) {
    if (!a.ok || a.value === null) continue
    const v = a.value
    const g = groups.get(v.group)
    if (!g) groups.set(v.group, {name: v.group, best: v, byNode: new Map([[v.node, v]]), members: v.state.nodes.map((n) => n.name)})
    else {
      g.byNode.set(v.node, v)
      if (v.version > g.best.version) g.best = v
    }
  }
  return {groups: [...groups.values()].sort((a, b) => a.name.localeCompare(b.name)), unread: unreadOf(all)}
}

export function findGroup(groups: PresenceGroup[], name: string): PresenceGroup {
  const g = groups.find((x) => x.name === name)
  if (!g)
    throw new NotFoundError(`no presence redundancy group ${name}`, {
      hint: groups.length ? `groups: ${groups.map((x) => x.name).join(', ')}` : 'no IM and Presence agent answered',
    })
  return g
}

/** The named group, or the only one when none is named. */
export function pickGroup(groups: PresenceGroup[], name: string | undefined): PresenceGroup {
  if (name) return findGroup(groups, name)
  if (groups.length === 1) return groups[0]
  throw new UsageError(groups.length ? 'name the presence redundancy group: there are several' : 'no presence redundancy group answered', {
    hint: groups.length ? `groups: ${groups.map((x) => x.name).join(', ')}` : 'is an IM and Presence agent running? (ucctl lab status)',
  })
}

export function groupOfNode(groups: PresenceGroup[], node: string, target: Target): PresenceGroup {
  const g = groups.find((x) => x.members.includes(node))
  if (g) return g
  if (!target.nodes.some((n) => n.name === node))
    throw new NotFoundError(`no node "${node}" in context ${target.context}`, {
      hint: `nodes: ${target.nodes.map((n) => n.name).join(', ')}`,
    })
  throw new NotFoundError(`${node} is not in a presence redundancy group (or its agents did not answer)`, {
    hint: groups.length ? `groups: ${groups.map((x) => `${x.name} (${x.members.join(', ')})`).join('; ')}` : undefined,
  })
}

/** `pcluster status`: PresenceRedundancyGroupList. */
export function statusOutcome(
  target: Target,
  groups: PresenceGroup[],
  unread: Array<{name: string; error: NodeError}>,
): {doc: Envelope; view: View} {
  const errorOf = (name: string) => unread.find((u) => u.name === name)?.error
  const out = groups.map((g) => {
    const s = g.best.status
    return {
      name: g.name,
      haEnabled: s.haEnabled,
      autoFallback: s.autoFallback,
      row: s.row,
      pair: describePair(g.best.state),
      recommendedAction: s.recommendedAction,
      allowedActions: s.allowedActions,
      seenBy: g.best.node,
      nodes: s.nodes.map((n) => {
        const own = g.byNode.get(n.name)
        return {
          name: n.name,
          state: n.state,
          reason: n.reason,
          users: n.users,
          assignedUsers: n.assignedUsers,
          up: n.up,
          reachable: own !== undefined,
          ...(errorOf(n.name) ? {error: errorOf(n.name)} : {}),
          srm: own ? (own.srm.running ? (own.srm.initializing ? 'Initializing' : 'Running') : 'Stopped') : 'unknown',
          criticalServices: own ? own.criticalServices.filter((c) => c.critical).map((c) => ({name: c.name, state: c.state})) : null,
          ...(own?.move ? {move: own.move} : {}),
        }
      }),
    }
  })
  const members = new Set(out.flatMap((g) => g.nodes.map((n) => n.name)))
  const others = unread.filter((u) => !members.has(u.name))
  const doc = envelope('PresenceRedundancyGroupList', {context: target.context, groups: out, ...(others.length ? {unread: others} : {})})
  const down = (cs: {state: string}[] | null) =>
    cs === null
      ? 'unknown'
      : cs.every((c) => c.state === 'Running')
        ? 'running'
        : `${cs.filter((c) => c.state !== 'Running').length} not running`
  const view: View = {
    title: `context ${target.context}`,
    columns: ['GROUP', 'HA', 'NODE', 'STATE', 'REASON', 'USERS', 'CRITICAL SERVICES', 'SRM'],
    stateColumn: 3,
    rows: [
      ...out.flatMap((g) =>
        g.nodes.map((n) => [
          g.name,
          g.haEnabled ? 'on' : 'off',
          n.name,
          n.error ? `${unreadMark(n.error)}; ${n.state}` : n.state,
          n.reason ?? '',
          n.users,
          down(n.criticalServices),
          n.srm,
        ]),
      ),
      ...others.map((u) => ['?', '', u.name, unreadMark(u.error), '', '', '', '']),
    ],
    notes: out.flatMap((g) => [
      `${g.name}: ${g.row ? `PRG-7 row ${g.row}` : g.haEnabled ? 'pair not in the PRG-7 table' : 'high availability disabled'}; recommended: ${g.recommendedAction}`,
      `${g.name}: allowed now: ${g.allowedActions.join(', ') || 'none'}`,
    ]),
  }
  return {doc, view}
}

function question(action: GroupAction, g: PresenceGroup, node?: string): string {
  const s = g.best.status
  const users = (n?: string) => s.nodes.find((x) => x.name === n)?.users ?? 0
  const other = g.members.find((m) => m !== node)
  switch (action) {
    case 'failover':
      return `Fail over ${node}? Its ${users(node)} users are disconnected and sign in again on ${other} (PRG-8). ${failoverImpactText(node)}`
    case 'fallback':
      return `Fall back to ${node}? The failed-over users on ${other} are disconnected and sign in again on ${node} (PRG-8). ${failoverImpactText()}`
    case 'recover':
      return `Recover group ${g.name}? The Server Recovery Manager restarts on both nodes and users return to their assigned nodes (PRG-8). ${failoverImpactText()}`
    case 'ha-enable':
      return `Enable high availability of ${g.name}? SRM restarts on both nodes, then heartbeats; a node whose critical services are down fails over at once (PRG-9, ADM-9).`
    case 'ha-disable':
      return `Disable high availability of ${g.name}? Its users lose failover protection; users on a failed node stay on the backup node (PRG-9).`
    case 'rebalance':
      return `Rebalance the users of ${g.name}? Moved users are disconnected and sign in again (PRG-10).`
  }
}

/**
 * A presence redundancy group action. The CLI sends it to a member of the group that answered;
 * that agent forwards it to the SRM that performs it (PRG-3) and previews it (--dry-run, and the
 * refusal before any confirmation); confirmed, it is submitted there and waited for.
 */
export async function groupAction(
  target: Target,
  action: GroupAction,
  opts: {
    group?: string
    node?: string
    flags: {wait: boolean; timeout: number; 'dry-run': boolean; yes: boolean}
    progress: (m: string) => void
  },
): Promise<Outcome> {
  const {groups} = await presenceGroups(target)
  const g = opts.node ? groupOfNode(groups, opts.node, target) : pickGroup(groups, opts.group)
  if (opts.group && opts.node && g.name !== opts.group) throw new UsageError(`${opts.node} is in group ${g.name}, not ${opts.group}`)
  const clientOf = (name: string) => {
    const ref = target.nodes.find((n) => n.name === name)
    return ref ? new AgentClient(ref) : undefined
  }
  const client = clientOf(g.best.node)
  if (!client) throw new NotFoundError(`no answering node in presence redundancy group ${g.name}`)
  const route = 'POST /v1/presence/groups/:group/:action'
  const request = {params: {group: g.name, action}, body: opts.node ? {node: opts.node} : {}}
  // PRG-8 / PRG-9 before anything is asked: a refused action exits 5 at once, another
  // operator's action running on the group exits 6 (the agent checks again when it acts).
  const plan = await client.preview(route, request)
  if (opts.flags['dry-run']) return planOutcome(plan)
  if (!(await confirmOrRefuse(question(action, g, opts.node), opts.flags.yes))) throw new UsageError('not confirmed; nothing was changed')
  const r = await submitAction(client, route, request, opts.flags, opts.progress, clientOf)
  if (action === 'ha-enable' && r.exitCode === 0) r.view.notes = [...(r.view.notes ?? []), HA_SYNC_AGENT_NOTE]
  // PRG-11: what users see, in the JSON of anything that moves them.
  return {
    ...r,
    doc: {...r.doc, ...(plan.impact ? {impact: plan.impact} : {}), ...(action === 'ha-enable' ? {notes: [HA_SYNC_AGENT_NOTE]} : {})},
  }
}

type NodeFacts = Answer<'GET /v1/node'>

/** `pcluster check`: PRG-1 (membership, version, cluster, publisher, WAN) and PRG-10 (capacity, balance). */
export async function presenceCheck(
  target: Target,
  only: string | undefined,
  notice: (m: string) => void,
): Promise<{ok: boolean; findings: Finding[]; unread: Array<{name: string; error: NodeError}>}> {
  const [answers, {groups, unread}] = await Promise.all([
    readNodes(target.nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).call('GET /v1/node')),
    presenceGroups(target),
  ])
  warnUnread(unread, notice)
  const nodes = answers.flatMap((a) => (a.ok ? [a.value] : []))
  const imp = nodes.filter((n) => n.product === 'imp')
  const publisherOf = (n: NodeFacts) => imp.find((p) => p.cluster === n.cluster && p.role === 'publisher')?.name ?? '(none)'
  const members = new Map<string, string[]>()
  for (const n of imp) if (n.group) members.set(n.group, [...(members.get(n.group) ?? []), n.name])
  for (const g of groups) members.set(g.name, [...new Set([...(members.get(g.name) ?? []), ...g.members])])
  if (only && !members.has(only))
    throw new NotFoundError(`no presence redundancy group ${only}`, {hint: `groups: ${[...members.keys()].join(', ') || 'none'}`})
  const wanted = [...members.entries()].filter(([name]) => !only || name === only).map(([name, ns]) => ({name, nodes: ns}))
  const facts = imp.map((n) => ({name: n.name, version: n.version, cluster: n.cluster, databasePublisher: publisherOf(n)}))
  // A node not read may be a member: PRG-1 cannot pass on what it did not see.
  const findings: Finding[] = [...checkRedundancyGroups(wanted, facts).findings, ...unreadFindings(unread, 'PRG-1')]
  const clusters = [
    ...new Set(
      wanted.flatMap((g) => g.nodes.map((n) => imp.find((x) => x.name === n)?.cluster)).filter((c): c is string => c !== undefined),
    ),
  ]
  for (const cluster of clusters) {
    const inCluster = [...members.entries()].filter(([, ns]) => ns.some((n) => imp.find((x) => x.name === n)?.cluster === cluster))
    const loads: GroupLoad[] = inCluster.map(([name, ns]) => {
      const g = groups.find((x) => x.name === name)
      return {
        name,
        nodes: ns.map((n) => {
          const own = g?.byNode.get(n)
          const status = g?.best.status.nodes.find((x) => x.name === n)
          return {
            name: n,
            users: status?.assignedUsers ?? 0,
            ...(own?.facts.capacity ? {capacity: own.facts.capacity} : {}),
            ...(own?.facts.cpuPercent !== undefined ? {cpuPercent: own.facts.cpuPercent} : {}),
          }
        }),
      }
    })
    findings.push(...checkCapacity(cluster, loads).findings)
    const wans = inCluster.flatMap(([name, ns]) =>
      ns
        .map((n) => groups.find((x) => x.name === name)?.byNode.get(n)?.facts.wan)
        .filter((w): w is {bandwidthMbps: number; roundTripMs: number} => w !== undefined),
    )
    if (wans.length > 0)
      findings.push(
        ...checkWanLink({
          cluster,
          bandwidthMbps: Math.min(...wans.map((w) => w.bandwidthMbps)),
          roundTripMs: Math.max(...wans.map((w) => w.roundTripMs)),
        }).findings,
      )
  }
  return {ok: !findings.some((f) => f.severity === 'error'), findings, unread}
}
