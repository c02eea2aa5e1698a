// The publisher's routes over its configuration database (src/lib/api/routes/configuration.ts):
// each write is one transaction; the rules are ./configuration-rules.ts and ../domain/administration.ts.
import type {FastifyInstance} from 'fastify'
import {
  checkName,
  checkUserId,
  DEFAULT_SRM_PARAMETERS,
  type EndUser,
  srmParameters,
  ucService,
  type UserTemplate,
} from '../domain/administration.js'
import {NotFoundError, RefusedError, UsageError} from '../errors.js'
import type {ConfigurationDatabase, PresenceGroupRow} from './configuration-database.js'
import type {ConfigurationSettings} from './configuration.js'
import {
  type Admin,
  capacityWarnings,
  checkGroup,
  importUsers,
  requireHaOff,
  requireProfile,
  requireUser,
  userChanges,
} from './configuration-rules.js'
import type {AgentContext} from './module.js'
import {serve} from './route.js'

/** Presence licences when none are configured: the PRG-10 cluster maximum. */
const DEFAULT_PRESENCE_LICENCES = 45_000

const same = (x: string, y: string) => x.toLowerCase() === y.toLowerCase()

export function publisherRoutes(app: FastifyInstance, ctx: AgentContext, db: ConfigurationDatabase, settings: ConfigurationSettings): void {
  const a: Admin = {db, settings, ctx}

  serve(app, 'GET /v1/config', async () => ({
    node: ctx.config.name,
    publisher: true as const,
    schemaVersion: db.schemaVersion,
    revision: db.revision,
  }))

  // --- UC services (ADM-3, ADM-4)
  serve(app, 'GET /v1/config/uc-services', async () => ({services: db.ucServices()}))
  serve(app, 'POST /v1/config/uc-services', async (req) => {
    const s = ucService(req.body)
    if (db.ucServices().some((x) => same(x.name, s.name)))
      throw new RefusedError(`UC service ${s.name} already exists`, {hint: `ucctl uc-service remove ${s.name} first`})
    db.write(() => db.addUcService(s))
    return {service: s}
  })
  serve(app, 'DELETE /v1/config/uc-services/:name', async (req) => {
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
  serve(app, 'GET /v1/config/service-profiles', async () => ({profiles: db.serviceProfiles()}))
  serve(app, 'POST /v1/config/service-profiles', async (req) => {
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
    return {profile: db.serviceProfiles().find((p) => p.name === name)!}
  })
  serve(app, 'DELETE /v1/config/service-profiles/:name', async (req) => {
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
  serve(app, 'POST /v1/config/service-profiles/:name/default', async (req) => {
    const name = requireProfile(db, req.params.name)
    db.write(() => db.setDefaultProfile(name))
    return {profiles: db.serviceProfiles()}
  })
  serve(app, 'POST /v1/config/service-profiles/:name/assign', async (req) => {
    const profile = requireProfile(db, req.params.name)
    for (const id of req.body.users) requireUser(db, id)
    db.write(() => req.body.users.forEach((id) => db.updateUser(id, {serviceProfile: profile})))
    return {profile, users: req.body.users.length}
  })

  // --- user templates and feature group templates (ADM-2)
  serve(app, 'GET /v1/config/user-templates', async () => ({templates: db.userTemplates()}))
  serve(app, 'POST /v1/config/user-templates', async (req) => {
    const t: UserTemplate = {...req.body, serviceProfile: requireProfile(db, req.body.serviceProfile ?? null)}
    checkName('template', t.name)
    if (db.userTemplates().some((x) => same(x.name, t.name))) throw new RefusedError(`template ${t.name} already exists`)
    if (t.imAndPresence && !t.homeCluster)
      throw new UsageError('a template that enables IM and Presence must also set Home Cluster', {rule: 'ADM-2'})
    db.write(() => db.addUserTemplate(t))
    return {template: t}
  })
  serve(app, 'DELETE /v1/config/user-templates/:name', async (req) => {
    if (!db.userTemplates().some((t) => same(t.name, req.params.name)))
      throw new NotFoundError(`no template ${req.params.name}`, {hint: 'ucctl user-template list'})
    db.write(() => db.removeUserTemplate(req.params.name))
    return {removed: req.params.name}
  })

  // --- end users (ADM-2)
  serve(app, 'GET /v1/config/users', async (req) => {
    const {ids, ...rest} = req.query
    const r = db.users({...rest, ...(ids ? {ids: ids.split(',')} : {})})
    const def = db.serviceProfiles().find((p) => p.default)?.name ?? null
    return {total: r.total, defaultProfile: def, users: r.users}
  })
  serve(app, 'GET /v1/config/users/:id', async (req) => ({user: requireUser(db, req.params.id)}))
  serve(app, 'POST /v1/config/users', async (req) => {
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
  })
  const changeUser = (id: string, fields: Partial<EndUser>) => {
    const u = requireUser(db, id)
    const changes = userChanges(a, u, fields)
    db.write(() => db.updateUser(u.id, changes))
    return {user: requireUser(db, u.id), warnings: capacityWarnings(a, Boolean(changes.presenceNode))}
  }
  serve(app, 'POST /v1/config/users/:id/update', async (req) => changeUser(req.params.id, req.body))
  serve(app, 'POST /v1/config/users/:id/enable', async (req) => changeUser(req.params.id, {imAndPresence: true}))
  serve(app, 'POST /v1/config/users/:id/disable', async (req) => changeUser(req.params.id, {imAndPresence: false}))
  serve(
    app,
    'POST /v1/config/users/import',
    async (req) => importUsers(a, req.body, false),
    async (req) => importUsers(a, req.body, true),
  )

  // --- what `user check` needs from the database (the nodes' services are read by the CLI)
  serve(app, 'GET /v1/config/check-input', async (req) => {
    const ids = req.query.ids?.split(',')
    const users = db.users(ids ? {ids} : {}).users
    if (ids)
      for (const id of ids) if (!users.some((u) => same(u.id, id))) throw new NotFoundError(`no end user ${id}`, {hint: 'ucctl user list'})
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
  })

  // --- presence redundancy groups and assignments (ADM-8, ADM-10, PRG-1, PRG-3, PRG-10)
  serve(app, 'GET /v1/config/presence-groups', async () => ({groups: db.presenceGroups()}))
  serve(app, 'POST /v1/config/presence-groups', async (req) => {
    checkName('presence redundancy group', req.body.name)
    if (db.presenceGroups().some((g) => same(g.name, req.body.name)))
      throw new RefusedError(`presence redundancy group ${req.body.name} already exists`, {
        hint: `ucctl pcluster group set ${req.body.name} ...`,
      })
    const g: PresenceGroupRow = {
      name: req.body.name,
      nodes: req.body.nodes,
      automaticFallback: req.body.automaticFallback ?? false,
      srmParameters: srmParameters(DEFAULT_SRM_PARAMETERS, req.body.srmParameters ?? {}),
    }
    await checkGroup(a, g)
    db.write(() => db.putPresenceGroup(g))
    return {group: g, warnings: capacityWarnings(a)}
  })
  serve(app, 'POST /v1/config/presence-groups/:name/set', async (req) => {
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
  })
  serve(app, 'DELETE /v1/config/presence-groups/:name', async (req) => {
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
  serve(app, 'POST /v1/config/presence-users/assign', async (req) => {
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
  })

  // The Sync Agent's view: cheap revision polls, the users only when it changed.
  // Polled twice a second by each IM and Presence node: not worth a log line each.
  app.register(async (quiet) => serve(quiet, 'GET /v1/config/revision', async () => ({revision: db.revision})), {logLevel: 'warn'})
  serve(app, 'GET /v1/config/presence-users', async (req) => ({revision: db.revision, users: db.presenceUsers(req.query.nodes.split(','))}))
}
