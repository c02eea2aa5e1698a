// The configuration database as the Unified CM agents serve it (seed 003, ADM-1..10): the
// publisher holds it (./configuration-database.ts) and answers every route under /v1/config;
// a subscriber answers the reads by asking the publisher, and refuses writes (they go to the
// publisher). Each write is one transaction; rules come from ../domain/administration.ts.
import {join} from 'node:path'
import type {FastifyInstance} from 'fastify'
import type {Route} from '../api/index.js'
import {DEFAULT_SRM_PARAMETERS, type EndUser} from '../domain/administration.js'
import {balancedAssignment} from '../domain/presence-capacity.js'
import {RefusedError, UnreachableError} from '../errors.js'
import type {ConfigurationDatabase} from './configuration-database.js'
import {publisherRoutes} from './configuration-routes.js'
import type {AgentContext, AgentModule} from './module.js'
import {userId} from './presence-users.js'
import {findCucmPublisher} from './publisher.js'
import {contractRoutes, serve} from './route.js'

/** node.yaml `settings.configuration` of the Unified CM publisher: what the topology seeds. */
export interface ConfigurationSettings {
  /** Lab end users user00001@example.com..., enabled for IM and Presence, balanced over the groups' nodes. */
  users?: number
  groups?: Array<{name: string; nodes: string[]}>
  presenceLicences?: number
  multiCluster?: boolean
  fullEnterpriseList?: boolean
}

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

/** A Unified CM subscriber: reads through the publisher; writes are the publisher's (ADM-10). */
function subscriberModule(ctx: AgentContext): AgentModule {
  let publisher: string | null = null
  const readThrough = async (key: ConfigRoute, req: {params: unknown; query: unknown}) => {
    publisher ??= (await findCucmPublisher(ctx)).name
    if (!publisher)
      throw new UnreachableError(`${ctx.config.name} cannot reach the Unified CM publisher, which holds the configuration database`)
    return ctx.peer(publisher).call(key, {params: req.params, query: req.query} as never)
  }
  const refuse = async (): Promise<never> => {
    throw new RefusedError(`${ctx.config.name} is a subscriber: configuration changes are made on the Unified CM publisher`, {
      rule: 'ADM-10',
    })
  }
  return {
    nodeInfo: () => ({configuration: {publisher: false, readsFrom: publisher}}),
    routes(app: FastifyInstance) {
      // Every configuration route of the contract: the reads answered by the publisher, the writes refused.
      const contract = contractRoutes()
      for (const key of Object.keys(contract).filter((k) => / \/v1\/config(\/|$)/.test(k)) as ConfigRoute[]) {
        if (key.startsWith('GET ')) serve(app, key, ((req: {params: unknown; query: unknown}) => readThrough(key, req)) as never)
        else if (contract[key].preview) serve(app, key as 'POST /v1/config/users/import', refuse, refuse)
        else serve(app, key, refuse)
      }
    },
  }
}

type ConfigRoute = Extract<Route, `${string} /v1/config${string}`>
