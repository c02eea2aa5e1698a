// `ucctl user|user-template|uc-service|service-profile|pcluster group ...`: the configuration
// database of the Unified CM publisher (seed 003, ADM-1..10), reached through its agent. The
// rules are the agent's (../domain/administration.ts); here: finding the publisher, the
// documents and their tables, and `user check`, which also reads the IM and Presence nodes.
import {readFileSync} from 'node:fs'
import * as Flags from '@oclif/core/flags'
import type {Answer, Args, Body, Route} from '../api/index.js'
import {AgentClient} from '../client/agent-client.js'
import {failed, readNodes, requireAnAnswer, unreadFindings, unreadOf} from '../client/outcome.js'
import {NotFoundError, UsageError} from '../errors.js'
import {
  type AdminFinding,
  checkUsers,
  effectiveProfile,
  type EndUser,
  SRM_PARAMETERS,
  type SrmParameter,
  type UcService,
  type UserTemplate,
} from '../domain/administration.js'
import {DEFAULT_PRESENCE_LIMITS} from '../domain/presence-viewer.js'
import {type Envelope, envelope} from './base-command.js'
import {checkOutcome} from './check.js'
import type {View} from './render.js'
import type {Target} from './target.js'

/** The Unified CM publisher's agent (a subscriber answers reads through it when the publisher is not in the context). */
export async function configurationClient(target: Target): Promise<AgentClient> {
  const answers = await readNodes(target.nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).call('GET /v1/node'))
  const cucm = answers.filter((a) => a.ok && a.value.product === 'cucm')
  const pub = cucm.find((a) => a.ok && a.value.role === 'publisher') ?? cucm[0]
  if (pub) return new AgentClient(pub.node)
  // No Unified CM node answered: those not read may be it, so their failure is the answer (4 or 7).
  requireAnAnswer(failed(answers), `the Unified CM publisher of context ${target.context} (its configuration database)`)
  throw new NotFoundError(`context ${target.context} has no Unified CM node: the configuration database is on the Unified CM publisher`)
}

/** A CSV file given on the command line (exit 2 when it cannot be read). */
export function readCsvFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

const yn = (b: boolean) => (b ? 'yes' : 'no')

// --- documents

export function userListOutcome(
  r: {total: number; defaultProfile: string | null; users: EndUser[]},
  page: {limit?: number; offset?: number},
): {doc: Envelope; view: View} {
  const users = r.users.map((u) => ({...u, serviceProfile: effectiveProfile(u, r.defaultProfile), ownServiceProfile: u.serviceProfile}))
  return {
    doc: envelope('UserList', {total: r.total, offset: page.offset ?? 0, users}),
    view: {
      columns: ['USER', 'HOME CLUSTER', 'IM AND PRESENCE', 'SERVICE PROFILE', 'PRESENCE NODE', 'LINE'],
      rows: users.map((u) => [
        u.id,
        yn(u.homeCluster),
        yn(u.imAndPresence),
        u.serviceProfile ?? '',
        u.presenceNode ?? '',
        u.device && u.extension ? `${u.extension} on ${u.device}` : '',
      ]),
      notes: [`${users.length} of ${r.total} users${page.offset ? ` from ${page.offset}` : ''}`],
    },
  }
}

export function userOutcome(r: {user: EndUser; warnings?: string[]}): {doc: Envelope; view: View; warnings: string[]} {
  const u = r.user
  return {
    doc: envelope('User', {user: u, warnings: r.warnings ?? []}),
    view: {
      columns: ['FIELD', 'VALUE'],
      rows: [
        ['User ID', u.id],
        ['First name', u.firstName ?? ''],
        ['Last name', u.lastName ?? ''],
        ['Mail ID', u.mailId ?? ''],
        ['Home Cluster', yn(u.homeCluster)],
        ['Enable User for Unified CM IM and Presence', yn(u.imAndPresence)],
        ['Service profile', u.serviceProfile ?? '(system default)'],
        ['Presence node', u.presenceNode ?? ''],
        ['Device', u.device ?? ''],
        ['Line appearance', u.extension ?? ''],
      ],
    },
    warnings: r.warnings ?? [],
  }
}

export type ImportAnswer = Answer<'POST /v1/config/users/import'>

/** UserImport; exit 2 when a line was rejected (then nothing was written). */
export function importOutcome(r: ImportAnswer): {doc: Envelope; view: View; exitCode: number} {
  const verb = r.dryRun && r.rejected.length === 0 ? 'would be' : 'were'
  const summary = r.applied
    ? `${r.inserted} inserted, ${r.updated} updated${
        Object.keys(r.assigned).length
          ? ` (assigned: ${Object.entries(r.assigned)
              .map(([n, k]) => `${n} ${k}`)
              .join(', ')})`
          : ''
      }`
    : r.rejected.length > 0
      ? `nothing imported: ${r.rejected.length} line(s) rejected; fix them and import again`
      : `dry run: ${r.wouldInsert ?? 0} ${verb} inserted, ${r.wouldUpdate ?? 0} ${verb} updated${
          Object.keys(r.assigned).length
            ? ` (assigned: ${Object.entries(r.assigned)
                .map(([n, k]) => `${n} ${k}`)
                .join(', ')})`
            : ''
        }`
  return {
    doc: envelope('UserImport', {...r}),
    view: {columns: ['LINE', 'REJECTED BECAUSE'], rows: r.rejected.map((x) => [x.line, x.message]), notes: [summary]},
    exitCode: r.rejected.length > 0 ? 2 : 0,
  }
}

export function ucServiceListOutcome(services: UcService[]): {doc: Envelope; view: View} {
  return {
    doc: envelope('UcServiceList', {services}),
    view: {
      columns: ['NAME', 'TYPE', 'DIRECTORY TYPE', 'HOST', 'DETAILS'],
      rows: services.map((s) => [
        s.name,
        s.type,
        s.directoryType ?? '',
        s.host,
        s.customTftpFile
          ? `custom TFTP file ${s.customTftpFile}`
          : s.attributeMappings
            ? Object.entries(s.attributeMappings)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')
            : '',
      ]),
    },
  }
}

export type ProfileRow = Answer<'GET /v1/config/service-profiles'>['profiles'][number]

export function profileListOutcome(profiles: ProfileRow[]): {doc: Envelope; view: View} {
  return {
    doc: envelope('ServiceProfileList', {profiles}),
    view: {
      columns: ['NAME', 'DEFAULT', 'UC SERVICES', 'USERS'],
      rows: profiles.map((p) => [p.name, yn(p.default), p.services.join(', '), p.users]),
    },
  }
}

export function templateListOutcome(templates: UserTemplate[]): {doc: Envelope; view: View} {
  return {
    doc: envelope('UserTemplateList', {templates}),
    view: {
      columns: ['NAME', 'KIND', 'HOME CLUSTER', 'IM AND PRESENCE', 'SERVICE PROFILE'],
      rows: templates.map((t) => [t.name, t.kind, yn(t.homeCluster), yn(t.imAndPresence), t.serviceProfile ?? '(system default)']),
    },
  }
}

export type GroupRow = Answer<'GET /v1/config/presence-groups'>['groups'][number]

export function groupConfigOutcome(groups: GroupRow[]): {doc: Envelope; view: View} {
  return {
    doc: envelope('PresenceGroupConfigList', {groups}),
    view: {
      columns: ['GROUP', 'NODES', 'AUTOMATIC FALLBACK', ...SRM_PARAMETERS.map((p) => p.description.toUpperCase())],
      rows: groups.map((g) => [g.name, g.nodes.join(', '), yn(g.automaticFallback), ...SRM_PARAMETERS.map((p) => g.srmParameters[p.key])]),
    },
  }
}

// --- user check

/** `user check [USER...]`: the database's users and profiles, and each IM and Presence node's services and contact lists. */
export async function userCheck(target: Target, ids: readonly string[]): Promise<{doc: Envelope; view: View; exitCode: number}> {
  const client = await configurationClient(target)
  const input = await client.call('GET /v1/config/check-input', {query: {ids: ids.length ? ids.join(',') : undefined}})
  const imNodes = [...new Set(input.groups.flatMap((g) => g.nodes))]
  const refs = imNodes.map((n) => target.nodes.find((x) => x.name === n) ?? {name: n, url: ''})
  const reads = await readNodes(
    refs.filter((r) => r.url),
    async (n) => {
      const c = new AgentClient(n, {timeoutMs: 10_000})
      const [services, limits] = await Promise.all([c.call('GET /v1/services'), c.call('GET /v1/presence/over-limits')])
      return {services: Object.fromEntries(services.services.map((s) => [s.name, s.state])), limits}
    },
  )
  const nodeServices = new Map<string, Record<string, string> | undefined>(imNodes.map((n) => [n, undefined]))
  const contacts = new Map<string, {contacts: number; watchers: number}>()
  let limits: {maxContacts: number; maxWatchers: number} = DEFAULT_PRESENCE_LIMITS
  // A check never passes on what it did not read: one error per node not read.
  const unread: AdminFinding[] = unreadFindings(unreadOf(reads), 'ADM-7')
  for (const r of reads) {
    if (!r.ok) continue
    nodeServices.set(r.node.name, r.value.services)
    limits = r.value.limits.limits
    for (const u of r.value.limits.users) contacts.set(u.id.toLowerCase(), u)
  }
  for (const n of imNodes)
    if (!refs.find((r) => r.name === n)?.url)
      unread.push({
        rule: 'ADM-7',
        severity: 'error',
        message: `${n} is not in context ${target.context}: its services could not be read`,
        fix: `add ${n} to the context`,
      })
  const users = input.users
  const result = checkUsers({
    ...input,
    nodeServices,
    // Keyed by the database's spelling of each id (the IM and Presence nodes may spell it otherwise).
    contacts: new Map(users.filter((u) => contacts.has(u.id.toLowerCase())).map((u) => [u.id, contacts.get(u.id.toLowerCase())!])),
    limits,
  })
  const findings = [...unread, ...result.findings]
  return checkOutcome({ok: result.ok && unread.length === 0, findings}, {users: users.length})
}

// --- the one way commands reach the database

/** Calls a route of the contract on the publisher's agent. */
export async function configCall<K extends Route>(target: Target, route: K, ...request: Args<K>): Promise<Answer<K>> {
  return (await configurationClient(target)).call(route, ...request)
}

/** BAT Insert or Update Users, or with dryRun the publisher's preview of it (its outcome, nothing written). */
export async function importUsers(target: Target, body: ImportBody, dryRun: boolean): Promise<ImportAnswer> {
  const client = await configurationClient(target)
  const route = 'POST /v1/config/users/import'
  return dryRun ? client.preview(route, {body}) : client.call(route, {body})
}
type ImportBody = Body<'POST /v1/config/users/import'>

/** End user fields an administrator sets (End User Configuration). */
export const userFieldFlags = {
  'first-name': Flags.string({description: 'first name'}),
  'last-name': Flags.string({description: 'last name'}),
  'mail-id': Flags.string({description: 'mail ID'}),
  'home-cluster': Flags.boolean({
    description: "Home Cluster: this cluster is the user's home (needed for IM and Presence, ADM-2)",
    allowNo: true,
  }),
  'im-and-presence': Flags.boolean({description: 'Enable User for Unified CM IM and Presence (ADM-2)', allowNo: true}),
  'service-profile': Flags.string({description: "the user's own service profile (else the system default, ADM-3)"}),
  device: Flags.string({description: "device the user's line appears on (ADM-6)"}),
  extension: Flags.string({description: 'directory number of the line appearance associated with the user (ADM-6)'}),
}

export function userFields(flags: Record<string, unknown>): Partial<EndUser> {
  const map: Record<string, keyof EndUser> = {
    'first-name': 'firstName',
    'last-name': 'lastName',
    'mail-id': 'mailId',
    'home-cluster': 'homeCluster',
    'im-and-presence': 'imAndPresence',
    'service-profile': 'serviceProfile',
    device: 'device',
    extension: 'extension',
  }
  return Object.fromEntries(
    Object.entries(map)
      .filter(([f]) => flags[f] !== undefined)
      .map(([f, k]) => [k, flags[f]]),
  )
}

type RemoveRoute = Extract<Route, `DELETE /v1/config/${string}/:name`>

/** Removes one thing, then reads what is left (a remove command prints the list after it). */
export async function removeThenList<K extends Route>(target: Target, remove: RemoveRoute, name: string, list: K, ...request: Args<K>) {
  const client = await configurationClient(target)
  await client.call(remove, {params: {name}})
  return client.call(list, ...request)
}

/** `pcluster group add|set`: nodes, automatic fallback, and the SRM service parameters (PRG-3). */
export const presenceGroupFlags = {
  node: Flags.string({description: 'IM and Presence node (repeatable; at most two)', multiple: true}),
  'automatic-fallback': Flags.boolean({
    description: 'fall back automatically, the delay after the failed node is healthy again (PRG-2)',
    allowNo: true,
  }),
  ...Object.fromEntries(
    SRM_PARAMETERS.map((p) => [
      p.flag,
      Flags.integer({description: `${p.description}, ${p.min} to ${p.max} (default ${p.default}; PRG-3)`}),
    ]),
  ),
}

/** The group settings given on the command line (only those given). */
export function presenceGroupSettings(flags: Record<string, unknown>): {
  nodes?: string[]
  automaticFallback?: boolean
  srmParameters?: Partial<Record<SrmParameter, number>>
} {
  const srm = Object.fromEntries(SRM_PARAMETERS.filter((p) => flags[p.flag] !== undefined).map((p) => [p.key, flags[p.flag] as number]))
  return {
    ...(flags.node ? {nodes: flags.node as string[]} : {}),
    ...(flags['automatic-fallback'] !== undefined ? {automaticFallback: flags['automatic-fallback'] as boolean} : {}),
    ...(Object.keys(srm).length ? {srmParameters: srm} : {}),
  }
}
