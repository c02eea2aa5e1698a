// The configuration database as the Unified CM agents serve it (seed 003, ADM-1..10): the
// publisher holds it (./configuration-database.ts) and answers every route under /v1/config;
// a subscriber answers the reads by asking the publisher, and refuses writes (they go to the
// publisher). Each write is one transaction; rules come from ../domain/administration.ts.
import {join} from 'node:path'
import type {FastifyInstance} from 'fastify'
import {
  balancedNodes,
  checkName,
  checkUserId,
  DEFAULT_SRM_PARAMETERS,
  type EndUser,
  parseUsersCsv,
  type Rejected,
  type SrmParameter,
  srmParameters,
  ucService,
  type UserTemplate,
} from '../domain/administration.js'
import {checkCapacity, checkRedundancyGroups, balancedAssignment} from '../domain/presence-capacity.js'
import {NotFoundError, RefusedError, UnreachableError, UsageError} from '../errors.js'
import {userId} from './presence-users.js'
import type {ConfigurationDatabase, PresenceGroupRow} from './configuration-database.js'
import type {AgentContext, AgentModule} from './module.js'
import {findCucmPublisher} from './publisher.js'

/** node.yaml `settings.configuration` of the Unified CM publisher: what the topology seeds. */
export interface ConfigurationSettings {
  /** Lab end users user00001@example.com..., enabled for IM and Presence, balanced over the groups' nodes. */
  users?: number
  groups?: Array<{name: string; nodes: string[]}>
  presenceLicences?: number
  multiCluster?: boolean
  fullEnterpriseList?: boolean
}

/** Presence licences when none are configured: the PRG-10 cluster maximum. */
const DEFAULT_PRESENCE_LICENCES = 45_000
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024

const nameParams = {type: 'object', required: ['name'], properties: {name: {type: 'string', minLength: 1, maxLength: 200}}} as const
const idParams = {type: 'object', required: ['id'], properties: {id: {type: 'string', minLength: 1, maxLength: 200}}} as const
const str = {type: 'string', minLength: 1, maxLength: 256} as const
const userFieldProps = {
  firstName: {type: ['string', 'null'], maxLength: 128},
  lastName: {type: ['string', 'null'], maxLength: 128},
  mailId: {type: ['string', 'null'], maxLength: 256},
  homeCluster: {type: 'boolean'},
  imAndPresence: {type: 'boolean'},
  serviceProfile: {type: ['string', 'null'], maxLength: 64},
  device: {type: ['string', 'null'], maxLength: 64},
  extension: {type: ['string', 'null'], maxLength: 24},
} as const

function seed(db: ConfigurationDatabase, s: ConfigurationSettings): void {
  if (db.meta('seeded')) return
  db.write(() => {
    for (const g of s.groups ?? [])
      db.putPresenceGroup({name: g.name, nodes: g.nodes, automaticFallback: false, srmParameters: DEFAULT_SRM_PARAMETERS})
    const nodes = (s.groups ?? []).flatMap((g) => g.nodes)
    if (s.users && nodes.length > 0) {
      // The same split the IM and Presence nodes make on their own: contiguous halves.
      const shares = balancedAssignment(s.users, nodes)
      const users: EndUser[] = []
      let i = 0
      for (const share of shares)
        for (let k = 0; k < share.users; k++, i++)
          users.push({
            id: userId(i),
            firstName: 'User',
            lastName: String(i + 1).padStart(5, '0'),
            mailId: userId(i),
            homeCluster: true,
            imAndPresence: true,
            serviceProfile: null,
            presenceNode: share.node,
            device: `CSFUSER${String(i + 1).padStart(5, '0')}`,
            extension: String(20000 + i + 1),
          })
      db.insertUsers(users)
    }
    db.setMeta('seeded', new Date().toISOString())
  })
}

export async function configurationModule(ctx: AgentContext): Promise<AgentModule> {
  if (ctx.config.role !== 'publisher') return subscriberModule(ctx)
  const {ConfigurationDatabase} = await import('./configuration-database.js')
  const settings = (ctx.config.settings.configuration ?? {}) as ConfigurationSettings
  const db = ConfigurationDatabase.open(join(ctx.stateDir('configuration'), 'configuration.db'))
  seed(db, settings)
  return {
    routes: (app) => publisherRoutes(app, ctx, db, settings),
    nodeInfo: () => ({configuration: {publisher: true, schemaVersion: db.schemaVersion}}),
    stop: () => db.close(),
  }
}

/** A Unified CM subscriber: reads through the publisher; writes are the publisher's. */
function subscriberModule(ctx: AgentContext): AgentModule {
  let publisher: string | null = null
  return {
    // Until it has found its publisher it reads from nobody: no readsFrom (the contract's field is a string).
    nodeInfo: () => ({configuration: {publisher: false, ...(publisher === null ? {} : {readsFrom: publisher})}}),
    routes(app) {
      app.route({
        method: ['GET'],
        url: '/v1/config/*',
        handler: async (req) => {
          publisher ??= (await findCucmPublisher(ctx)).name
          if (!publisher)
            throw new UnreachableError(`${ctx.config.name} cannot reach the Unified CM publisher, which holds the configuration database`)
          return ctx.peer(publisher).get(req.url)
        },
      })
      app.route({
        method: ['POST', 'DELETE'],
        url: '/v1/config/*',
        handler: async () => {
          throw new RefusedError(`${ctx.config.name} is a subscriber: configuration changes are made on the Unified CM publisher`, {
            rule: 'ADM-10',
          })
        },
      })
    },
  }
}

interface Admin {
  db: ConfigurationDatabase
  settings: ConfigurationSettings
  ctx: AgentContext
}

/** The profile's name as stored (names are case-insensitive), or NotFound; null stays null. */
function requireProfile<T extends string | null | undefined>(db: ConfigurationDatabase, name: T): T {
  if (!name) return name
  const p = db.serviceProfiles().find((x) => x.name.toLowerCase() === name.toLowerCase())
  if (!p) throw new NotFoundError(`no service profile ${name}`, {hint: 'ucctl service-profile list'})
  return p.name as T
}

const requireUser = (db: ConfigurationDatabase, id: string): EndUser => {
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
function capacityWarnings(a: Admin, assigned = true): string[] {
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

function userChanges(a: Admin, u: EndUser, changes: Partial<EndUser>): Partial<EndUser> {
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

type ImportMode = 'insert' | 'update'

/** BAT Insert Users (with a template) or Update Users from a CSV: all valid lines, or nothing (ADM-2). */
function importUsers(a: Admin, body: {csv: string; template?: string; mode: ImportMode; dryRun?: boolean}) {
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
  const applied = rejected.length === 0 && !body.dryRun
  const outcome = applied ? db.write(run) : db.rehearse(run)
  return {
    applied,
    dryRun: Boolean(body.dryRun),
    ...outcome,
    ...(applied ? {} : {wouldInsert: outcome.inserted, wouldUpdate: outcome.updated, inserted: 0, updated: 0}),
    rejected,
  }
}

/** PRG-1 for a group as configured: the nodes' facts are read from their agents (never assumed). */
async function checkGroup(a: Admin, group: PresenceGroupRow): Promise<void> {
  const others = a.db.presenceGroups().filter((g) => g.name.toLowerCase() !== group.name.toLowerCase())
  const facts = []
  for (const n of group.nodes) {
    if (!a.ctx.config.peers.some((p) => p.name === n))
      throw new NotFoundError(`${n} is not a node of cluster ${a.ctx.config.cluster}`, {rule: 'PRG-1'})
    let info: {product: string; role: string; version: string; cluster: string}
    try {
      info = await a.ctx.peer(n, {timeoutMs: 3000}).get('/v1/node')
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
async function requireHaOff(a: Admin, group: PresenceGroupRow, what: string): Promise<void> {
  for (const n of group.nodes) {
    let view: {group: string; status: {haEnabled: boolean}}
    try {
      view = await a.ctx.peer(n, {timeoutMs: 3000}).get('/v1/presence')
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

function publisherRoutes(app: FastifyInstance, ctx: AgentContext, db: ConfigurationDatabase, settings: ConfigurationSettings): void {
  const a: Admin = {db, settings, ctx}
  const same = (x: string, y: string) => x.toLowerCase() === y.toLowerCase()

  app.get('/v1/config', async () => ({node: ctx.config.name, publisher: true, schemaVersion: db.schemaVersion, revision: db.revision}))

  // --- UC services (ADM-3, ADM-4)
  app.get('/v1/config/uc-services', async () => ({services: db.ucServices()}))
  app.post<{Body: {name: string; type: string; directoryType?: string; host: string; customTftpFile?: string; mappings?: string[]}}>(
    '/v1/config/uc-services',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'type', 'host'],
          properties: {
            name: str,
            type: str,
            directoryType: str,
            host: str,
            customTftpFile: str,
            mappings: {type: 'array', items: str, maxItems: 32},
          },
        },
      },
    },
    async (req) => {
      const s = ucService(req.body)
      if (db.ucServices().some((x) => same(x.name, s.name)))
        throw new RefusedError(`UC service ${s.name} already exists`, {hint: `ucctl uc-service remove ${s.name} first`})
      db.write(() => db.addUcService(s))
      return {service: s}
    },
  )
  app.delete<{Params: {name: string}}>('/v1/config/uc-services/:name', {schema: {params: nameParams}}, async (req) => {
    const name = db.ucServices().find((x) => same(x.name, req.params.name))?.name
    if (!name) throw new NotFoundError(`no UC service ${req.params.name}`, {hint: 'ucctl uc-service list'})
    const inProfiles = db.profilesWith(name)
    if (inProfiles.length)
      throw new RefusedError(`UC service ${name} is in service profile(s) ${inProfiles.join(', ')}`, {
        rule: 'ADM-3',
        hint: `remove it from those profiles first`,
      })
    db.write(() => db.removeUcService(name))
    return {removed: name}
  })

  // --- service profiles (ADM-3)
  app.get('/v1/config/service-profiles', async () => ({profiles: db.serviceProfiles()}))
  app.post<{Body: {name: string; services: string[]}}>(
    '/v1/config/service-profiles',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'services'],
          properties: {name: str, services: {type: 'array', items: str, maxItems: 64}},
        },
      },
    },
    async (req) => {
      const {name, services} = req.body
      checkName('service profile', name)
      if (db.serviceProfiles().some((p) => same(p.name, name))) throw new RefusedError(`service profile ${name} already exists`)
      const known = db.ucServices()
      const canonical = services.map((s) => {
        const k = known.find((x) => same(x.name, s))
        if (!k) throw new NotFoundError(`no UC service ${s}`, {hint: 'ucctl uc-service list'})
        return k.name
      })
      if (new Set(canonical).size !== canonical.length) throw new UsageError('a UC service is listed twice')
      db.write(() => db.addServiceProfile(name, canonical))
      return {profile: db.serviceProfiles().find((p) => p.name === name)}
    },
  )
  app.delete<{Params: {name: string}}>('/v1/config/service-profiles/:name', {schema: {params: nameParams}}, async (req) => {
    const p = db.serviceProfiles().find((x) => same(x.name, req.params.name))
    if (!p) throw new NotFoundError(`no service profile ${req.params.name}`, {hint: 'ucctl service-profile list'})
    if (p.default)
      throw new RefusedError(`${p.name} is the system default service profile`, {
        rule: 'ADM-3',
        hint: 'make another profile the default first',
      })
    const usage = db.profileUsage(p.name)
    if (usage.users || usage.templates.length)
      throw new RefusedError(
        `service profile ${p.name} is used by ${usage.users} user(s)${usage.templates.length ? ` and template(s) ${usage.templates.join(', ')}` : ''}`,
        {rule: 'ADM-3'},
      )
    db.write(() => db.removeServiceProfile(p.name))
    return {removed: p.name}
  })
  app.post<{Params: {name: string}}>('/v1/config/service-profiles/:name/default', {schema: {params: nameParams}}, async (req) => {
    const name = requireProfile(db, req.params.name)
    db.write(() => db.setDefaultProfile(name))
    return {profiles: db.serviceProfiles()}
  })
  app.post<{Params: {name: string}; Body: {users: string[]}}>(
    '/v1/config/service-profiles/:name/assign',
    {
      schema: {
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['users'],
          properties: {users: {type: 'array', minItems: 1, maxItems: 50_000, items: str}},
        },
      },
    },
    async (req) => {
      const profile = requireProfile(db, req.params.name)
      for (const id of req.body.users) requireUser(db, id)
      db.write(() => req.body.users.forEach((id) => db.updateUser(id, {serviceProfile: profile})))
      return {profile, users: req.body.users.length}
    },
  )

  // --- user templates and feature group templates (ADM-2)
  app.get('/v1/config/user-templates', async () => ({templates: db.userTemplates()}))
  app.post<{Body: UserTemplate}>(
    '/v1/config/user-templates',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'kind', 'homeCluster', 'imAndPresence'],
          properties: {
            name: str,
            kind: {enum: ['user', 'feature-group']},
            homeCluster: {type: 'boolean'},
            imAndPresence: {type: 'boolean'},
            serviceProfile: {type: ['string', 'null']},
          },
        },
      },
    },
    async (req) => {
      const t: UserTemplate = {...req.body, serviceProfile: requireProfile(db, req.body.serviceProfile ?? null)}
      checkName('template', t.name)
      if (db.userTemplates().some((x) => same(x.name, t.name))) throw new RefusedError(`template ${t.name} already exists`)
      if (t.imAndPresence && !t.homeCluster)
        throw new UsageError('a template that enables IM and Presence must also set Home Cluster', {rule: 'ADM-2'})
      db.write(() => db.addUserTemplate(t))
      return {template: t}
    },
  )
  app.delete<{Params: {name: string}}>('/v1/config/user-templates/:name', {schema: {params: nameParams}}, async (req) => {
    if (!db.userTemplates().some((t) => same(t.name, req.params.name)))
      throw new NotFoundError(`no template ${req.params.name}`, {hint: 'ucctl user-template list'})
    db.write(() => db.removeUserTemplate(req.params.name))
    return {removed: req.params.name}
  })

  // --- end users (ADM-2)
  app.get<{Querystring: {enabled?: boolean; profile?: string; node?: string; limit?: number; offset?: number; ids?: string}}>(
    '/v1/config/users',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: {type: 'boolean'},
            profile: str,
            node: str,
            limit: {type: 'integer', minimum: 1, maximum: 100_000},
            offset: {type: 'integer', minimum: 0},
            ids: {type: 'string', maxLength: 65536},
          },
        },
      },
    },
    async (req) => {
      const {ids, ...rest} = req.query
      const r = db.users({...rest, ...(ids ? {ids: ids.split(',')} : {})})
      const def = db.serviceProfiles().find((p) => p.default)?.name ?? null
      return {total: r.total, defaultProfile: def, users: r.users}
    },
  )
  app.get<{Params: {id: string}}>('/v1/config/users/:id', {schema: {params: idParams}}, async (req) => ({
    user: requireUser(db, req.params.id),
  }))
  app.post<{Body: Partial<EndUser> & {id: string; template?: string}}>(
    '/v1/config/users',
    {
      schema: {
        body: {type: 'object', additionalProperties: false, required: ['id'], properties: {id: str, template: str, ...userFieldProps}},
      },
    },
    async (req) => {
      const {id, template: tname, ...fields} = req.body
      checkUserId(id)
      if (db.user(id)) throw new RefusedError(`user ${id} already exists`, {hint: `ucctl user update ${id} ...`})
      const t = tname ? db.userTemplates().find((x) => same(x.name, tname)) : undefined
      if (tname && !t) throw new NotFoundError(`no template ${tname}`, {hint: 'ucctl user-template list'})
      const blank: EndUser = {
        id,
        firstName: null,
        lastName: null,
        mailId: null,
        homeCluster: false,
        imAndPresence: false,
        serviceProfile: null,
        presenceNode: null,
        device: null,
        extension: null,
      }
      const fromTemplate = t ? {homeCluster: t.homeCluster, imAndPresence: t.imAndPresence, serviceProfile: t.serviceProfile} : {}
      const changes = userChanges(a, blank, {...fromTemplate, ...fields})
      const user = {...blank, ...changes}
      db.write(() => db.insertUser(user))
      return {user, warnings: capacityWarnings(a, user.presenceNode !== null)}
    },
  )
  app.post<{Params: {id: string}; Body: Partial<EndUser>}>(
    '/v1/config/users/:id/update',
    {schema: {params: idParams, body: {type: 'object', additionalProperties: false, minProperties: 1, properties: userFieldProps}}},
    async (req) => {
      const u = requireUser(db, req.params.id)
      const changes = userChanges(a, u, req.body)
      db.write(() => db.updateUser(u.id, changes))
      return {user: requireUser(db, u.id), warnings: capacityWarnings(a, Boolean(changes.presenceNode))}
    },
  )
  for (const action of ['enable', 'disable'] as const)
    app.post<{Params: {id: string}}>(`/v1/config/users/:id/${action}`, {schema: {params: idParams}}, async (req) => {
      const u = requireUser(db, req.params.id)
      const changes = userChanges(a, u, {imAndPresence: action === 'enable'})
      db.write(() => db.updateUser(u.id, changes))
      return {user: requireUser(db, u.id), warnings: capacityWarnings(a, Boolean(changes.presenceNode))}
    })
  app.post<{Body: {csv: string; template?: string; mode: ImportMode; dryRun?: boolean}}>(
    '/v1/config/users/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['csv', 'mode'],
          properties: {csv: {type: 'string'}, template: str, mode: {enum: ['insert', 'update']}, dryRun: {type: 'boolean'}},
        },
      },
    },
    async (req) => importUsers(a, req.body),
  )

  // --- what `user check` needs from the database (the nodes' services are read by the CLI)
  app.get<{Querystring: {ids?: string}}>(
    '/v1/config/check-input',
    {schema: {querystring: {type: 'object', additionalProperties: false, properties: {ids: {type: 'string', maxLength: 65536}}}}},
    async (req) => {
      const ids = req.query.ids?.split(',')
      const users = db.users(ids ? {ids} : {}).users
      if (ids)
        for (const id of ids)
          if (!users.some((u) => same(u.id, id))) throw new NotFoundError(`no end user ${id}`, {hint: 'ucctl user list'})
      const profiles = db.serviceProfiles()
      return {
        users,
        profiles: profiles.map((p) => ({name: p.name, services: p.services})),
        defaultProfile: profiles.find((p) => p.default)?.name ?? null,
        services: db.ucServices(),
        presenceLicences: settings.presenceLicences ?? DEFAULT_PRESENCE_LICENCES,
        multiCluster: settings.multiCluster ?? false,
        fullEnterpriseList: settings.fullEnterpriseList ?? true,
        groups: db.presenceGroups(),
      }
    },
  )

  // --- presence redundancy groups and assignments (ADM-8, ADM-10, PRG-1, PRG-3, PRG-10)
  app.get('/v1/config/presence-groups', async () => ({groups: db.presenceGroups()}))
  const groupBody = {
    type: 'object',
    additionalProperties: false,
    properties: {
      nodes: {type: 'array', items: str, maxItems: 8},
      automaticFallback: {type: 'boolean'},
      srmParameters: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(Object.keys(DEFAULT_SRM_PARAMETERS).map((k) => [k, {type: 'integer'}])),
      },
    },
  } as const
  type GroupBody = {nodes?: string[]; automaticFallback?: boolean; srmParameters?: Partial<Record<SrmParameter, number>>}
  app.post<{Body: GroupBody & {name: string}}>(
    '/v1/config/presence-groups',
    {schema: {body: {...groupBody, required: ['name', 'nodes'], properties: {...groupBody.properties, name: str}}}},
    async (req) => {
      checkName('presence redundancy group', req.body.name)
      if (db.presenceGroups().some((g) => same(g.name, req.body.name)))
        throw new RefusedError(`presence redundancy group ${req.body.name} already exists`, {
          hint: `ucctl pcluster group set ${req.body.name} ...`,
        })
      const g: PresenceGroupRow = {
        name: req.body.name,
        nodes: req.body.nodes ?? [],
        automaticFallback: req.body.automaticFallback ?? false,
        srmParameters: srmParameters(DEFAULT_SRM_PARAMETERS, req.body.srmParameters ?? {}),
      }
      await checkGroup(a, g)
      db.write(() => db.putPresenceGroup(g))
      return {group: g, warnings: capacityWarnings(a)}
    },
  )
  app.post<{Params: {name: string}; Body: GroupBody}>(
    '/v1/config/presence-groups/:name/set',
    {schema: {params: nameParams, body: {...groupBody, minProperties: 1}}},
    async (req) => {
      const old = db.presenceGroups().find((g) => same(g.name, req.params.name))
      if (!old)
        throw new NotFoundError(`no presence redundancy group ${req.params.name}`, {hint: 'ucctl pcluster group add NAME --node NODE'})
      const g: PresenceGroupRow = {
        name: old.name,
        nodes: req.body.nodes ?? old.nodes,
        automaticFallback: req.body.automaticFallback ?? old.automaticFallback,
        srmParameters: srmParameters(old.srmParameters, req.body.srmParameters ?? {}),
      }
      if (req.body.nodes) await checkGroup(a, g)
      await requireHaOff(a, old, 'nodes, automatic fallback and the SRM service parameters are set')
      const dropped = old.nodes.filter((n) => !g.nodes.includes(n))
      const stranded = dropped.reduce((s, n) => s + (db.usersPerNode().get(n) ?? 0), 0)
      if (stranded > 0)
        throw new RefusedError(`${stranded} user(s) are assigned to ${dropped.join(', ')}`, {
          rule: 'ADM-8',
          hint: 'assign them to other nodes first (ucctl pcluster users assign)',
        })
      db.write(() => db.putPresenceGroup(g))
      return {group: g, warnings: capacityWarnings(a)}
    },
  )
  app.delete<{Params: {name: string}}>('/v1/config/presence-groups/:name', {schema: {params: nameParams}}, async (req) => {
    const g = db.presenceGroups().find((x) => same(x.name, req.params.name))
    if (!g) throw new NotFoundError(`no presence redundancy group ${req.params.name}`)
    await requireHaOff(a, g, 'a group is removed')
    const per = db.usersPerNode()
    const users = g.nodes.reduce((s, n) => s + (per.get(n) ?? 0), 0)
    if (users > 0)
      throw new RefusedError(`${users} user(s) are assigned to the nodes of ${g.name}`, {
        rule: 'ADM-8',
        hint: 'assign them to other nodes first (ucctl pcluster users assign)',
      })
    db.write(() => db.removePresenceGroup(g.name))
    return {removed: g.name}
  })
  app.post<{Body: {user: string; node: string}}>(
    '/v1/config/presence-users/assign',
    {schema: {body: {type: 'object', additionalProperties: false, required: ['user', 'node'], properties: {user: str, node: str}}}},
    async (req) => {
      const u = requireUser(db, req.body.user)
      const node = req.body.node
      if (!db.presenceGroups().some((g) => g.nodes.includes(node)))
        throw new NotFoundError(`${node} is not an IM and Presence node of a presence redundancy group`, {
          hint: 'ucctl pcluster group add ...',
        })
      if (!u.imAndPresence)
        throw new RefusedError(`${u.id} is not enabled for IM and Presence`, {rule: 'ADM-2', hint: `ucctl user enable ${u.id}`})
      db.write(() => db.updateUser(u.id, {presenceNode: node}))
      return {user: requireUser(db, u.id), warnings: capacityWarnings(a)}
    },
  )
  // The Sync Agent's view: cheap revision polls, the users only when it changed.
  // Polled twice a second by each IM and Presence node: not worth a log line each.
  app.get('/v1/config/revision', {logLevel: 'warn'}, async () => ({revision: db.revision}))
  app.get<{Querystring: {nodes: string}}>(
    '/v1/config/presence-users',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['nodes'],
          properties: {nodes: {type: 'string', minLength: 1, maxLength: 4096}},
        },
      },
    },
    async (req) => {
      const revision = db.revision
      return {revision, users: db.presenceUsers(req.query.nodes.split(','))}
    },
  )
}
