// The publisher's rules over its configuration database, shared by its routes
// (./configuration-routes.ts): what a user change makes of a user (ADM-2, ADM-6), the BAT import
// (ADM-2), the PRG-10 capacity warnings, and the checks that read other nodes (PRG-1, ADM-8).
import type {Answer} from '../api/index.js'
import {balancedNodes, type EndUser, parseUsersCsv, type Rejected, type UserTemplate} from '../domain/administration.js'
import {checkCapacity, checkRedundancyGroups} from '../domain/presence-capacity.js'
import {NotFoundError, RefusedError, UnreachableError, UsageError} from '../errors.js'
import type {ConfigurationDatabase, PresenceGroupRow} from './configuration-database.js'
import type {ConfigurationSettings} from './configuration.js'
import type {AgentContext} from './module.js'

export interface Admin {
  db: ConfigurationDatabase
  settings: ConfigurationSettings
  ctx: AgentContext
}

/** The profile's name as stored (names are case-insensitive), or NotFound; null stays null. */
export function requireProfile<T extends string | null | undefined>(db: ConfigurationDatabase, name: T): T {
  if (!name) return name
  const p = db.serviceProfiles().find((x) => x.name.toLowerCase() === name.toLowerCase())
  if (!p) throw new NotFoundError(`no service profile ${name}`, {hint: 'ucctl service-profile list'})
  return p.name as T
}

export const requireUser = (db: ConfigurationDatabase, id: string): EndUser => {
  const u = db.user(id)
  if (!u) throw new NotFoundError(`no end user ${id}`, {hint: 'ucctl user list'})
  return u
}

/** IM and Presence nodes that take users (those of the groups) with the users each is assigned. */
function nodeLoad(db: ConfigurationDatabase): Array<{name: string; users: number}> {
  const per = db.usersPerNode()
  return db.presenceGroups().flatMap((g) => g.nodes.map((name) => ({name, users: per.get(name) ?? 0})))
}

/** PRG-10 findings for the assignment as it is now (warnings for the operator, not refusals); none when `assigned` is false. */
export function capacityWarnings(a: Admin, assigned = true): string[] {
  if (!assigned) return []
  const per = a.db.usersPerNode()
  const groups = a.db.presenceGroups().map((g) => ({name: g.name, nodes: g.nodes.map((n) => ({name: n, users: per.get(n) ?? 0}))}))
  return checkCapacity(a.ctx.config.cluster, groups).findings.map((f) => `${f.message} [${f.rule}] (${f.fix})`)
}

/** ADM-2: enabling needs Home Cluster; an enabled user without a node gets the least loaded one. */
function enable(a: Admin, u: EndUser): Partial<EndUser> {
  if (!u.homeCluster)
    throw new RefusedError(
      `${u.id}: Home Cluster is off; "Enable User for Unified CM IM and Presence" needs a user whose Home Cluster is this cluster`,
      {
        rule: 'ADM-2',
        hint: `ucctl user update ${u.id} --home-cluster`,
      },
    )
  const node = u.presenceNode ?? balancedNodes(nodeLoad(a.db), 1)[0] ?? null
  return {imAndPresence: true, presenceNode: node}
}

export function userChanges(a: Admin, u: EndUser, changes: Partial<EndUser>): Partial<EndUser> {
  if (changes.serviceProfile) changes = {...changes, serviceProfile: requireProfile(a.db, changes.serviceProfile)}
  const next = {...u, ...changes}
  if (changes.extension && !next.device)
    throw new UsageError(`an extension needs the device it appears on (ADM-6): give --device too`, {rule: 'ADM-6'})
  if (next.imAndPresence && !u.imAndPresence) return {...changes, ...enable(a, next)}
  if (next.imAndPresence && !next.homeCluster)
    throw new RefusedError(`${u.id} is enabled for IM and Presence: Home Cluster stays on (disable IM and Presence first)`, {rule: 'ADM-2'})
  if (!next.imAndPresence && u.imAndPresence) return {...changes, presenceNode: null}
  return changes
}

export type ImportMode = 'insert' | 'update'

/** BAT Insert Users (with a template) or Update Users from a CSV: all valid lines, or nothing (ADM-2). */
export function importUsers(a: Admin, body: {csv: string; template?: string; mode: ImportMode}, dryRun: boolean) {
  const {db} = a
  const parsed = parseUsersCsv(body.csv)
  let template: UserTemplate | undefined
  if (body.template) {
    template = db.userTemplates().find((t) => t.name.toLowerCase() === body.template!.toLowerCase())
    if (!template) throw new NotFoundError(`no user template ${body.template}`, {hint: 'ucctl user-template list'})
  }
  if (template && body.mode === 'update')
    throw new UsageError('--template is for inserting users (BAT Insert Users); Update Users takes the file alone')
  const rejected: Rejected[] = [...parsed.rejected]
  const existing = db.existingIds(parsed.users.map((u) => u.id))
  const good = parsed.users.filter((u) => {
    const exists = existing.has(u.id.toLowerCase())
    if (body.mode === 'insert' && exists)
      rejected.push({line: u.line, message: `user ${u.id} already exists (use: ucctl user update --file)`})
    else if (body.mode === 'update' && !exists) rejected.push({line: u.line, message: `no user ${u.id} (use: ucctl user import)`})
    else return true
    return false
  })
  rejected.sort((x, y) => x.line - y.line)
  const run = () => {
    let assigned = new Map<string, number>()
    if (body.mode === 'insert') {
      const enabled = template?.imAndPresence && template.homeCluster
      const nodes = enabled ? balancedNodes(nodeLoad(db), good.length) : []
      db.insertUsers(
        good.map((u, i) => ({
          id: u.id,
          firstName: u.fields.firstName ?? null,
          lastName: u.fields.lastName ?? null,
          mailId: u.fields.mailId ?? null,
          homeCluster: template?.homeCluster ?? false,
          imAndPresence: Boolean(enabled),
          serviceProfile: template?.serviceProfile ?? null,
          presenceNode: nodes[i] ?? null,
          device: u.fields.device ?? null,
          extension: u.fields.extension ?? null,
        })),
      )
      assigned = nodes.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>())
    } else for (const u of good) db.updateUser(u.id, u.fields)
    return {
      inserted: body.mode === 'insert' ? good.length : 0,
      updated: body.mode === 'update' ? good.length : 0,
      assigned: Object.fromEntries(assigned),
      warnings: capacityWarnings(a, assigned.size > 0),
    }
  }
  // A bad line: nothing is written, and every bad line is reported by its number.
  const applied = rejected.length === 0 && !dryRun
  const outcome = applied ? db.write(run) : db.rehearse(run)
  return {
    applied,
    dryRun,
    ...outcome,
    ...(applied ? {} : {wouldInsert: outcome.inserted, wouldUpdate: outcome.updated, inserted: 0, updated: 0}),
    rejected,
  }
}

/** PRG-1 for a group as configured: the nodes' facts are read from their agents (never assumed). */
export async function checkGroup(a: Admin, group: PresenceGroupRow): Promise<void> {
  const others = a.db.presenceGroups().filter((g) => g.name.toLowerCase() !== group.name.toLowerCase())
  const facts = []
  for (const n of group.nodes) {
    if (!a.ctx.config.peers.some((p) => p.name === n))
      throw new NotFoundError(`${n} is not a node of cluster ${a.ctx.config.cluster}`, {rule: 'PRG-1'})
    let info: {product: string; version: string; cluster: string}
    try {
      info = await a.ctx.peer(n, {timeoutMs: 3000}).call('GET /v1/node')
    } catch (error) {
      throw new UnreachableError(
        `could not read ${n} (its version and cluster decide PRG-1): ${(error as Error).message}; nothing was changed`,
      )
    }
    if (info.product !== 'imp') throw new UsageError(`${n} is not an IM and Presence node`, {rule: 'PRG-1'})
    // One IM and Presence cluster per Unified CM cluster: the cluster names its database publisher.
    facts.push({name: n, version: info.version, cluster: info.cluster, databasePublisher: info.cluster})
  }
  // Other groups' nodes are not re-read: they count for "a node in one group" only.
  const r = checkRedundancyGroups(
    [...others, group],
    [...facts, ...others.flatMap((g) => g.nodes.map((name) => ({name, version: '', cluster: '', databasePublisher: ''})))],
  )
  const mine = r.findings.filter(
    (f) => f.severity === 'error' && (f.message.includes(group.name) || group.nodes.some((n) => f.message.startsWith(`${n} is in`))),
  )
  if (mine.length > 0) throw new RefusedError(mine.map((f) => f.message).join('; '), {rule: 'PRG-1', hint: mine[0].fix})
}

/** ADM-8: the SRM parameters are set before HA is enabled; refused while it is on (or cannot be read). */
export async function requireHaOff(a: Admin, group: PresenceGroupRow, what: string): Promise<void> {
  for (const n of group.nodes) {
    let view: Answer<'GET /v1/presence'>
    try {
      view = await a.ctx.peer(n).call('GET /v1/presence', {timeoutMs: 3000})
    } catch (error) {
      if (error instanceof NotFoundError) continue
      throw new UnreachableError(`could not read whether HA is enabled on ${n}: ${(error as Error).message}; nothing was changed`)
    }
    if (view.group.toLowerCase() === group.name.toLowerCase() && view.status.haEnabled)
      throw new RefusedError(`HA is enabled on ${group.name}: ${what} only before HA is enabled`, {
        rule: 'ADM-8',
        hint: `ucctl pcluster ha disable ${group.name}, then again, then ucctl pcluster ha enable ${group.name}`,
      })
  }
}
