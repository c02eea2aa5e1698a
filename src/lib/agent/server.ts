// The node agent's HTTP/1.1 JSON API under /v1 (DESIGN.md "Agent API"). Request parameters and
// bodies are validated by schema; a client's mistake is a 4xx with a JSON error, never a 5xx.
import Fastify, {type FastifyError, type FastifyInstance, type FastifyReply} from 'fastify'
import {ForbiddenError, NotFoundError, UcctlError} from '../errors.js'
import type {ActionEffect, EffectAction} from '../domain/effects.js'
import {PRODUCT_NAMES, planNodeRestart, planServiceAction} from '../domain/services.js'
import type {LoadedNodeConfig} from './config.js'
import {type AgentEvent, EventLog} from './events.js'
import {AGENT_AJV, agentCompilers} from '../compiled-validators.js'
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {AgentClient} from '../client/agent-client.js'
import {installAuth} from './auth.js'
import {NetworkFaults, PEER_HEADER} from './faults.js'
import type {AgentContext, AgentModule} from './module.js'
import {type LogLevel, agentLog} from './log.js'
import {modulesFor} from './modules.js'
import {NodeManager} from './node-manager.js'
import {OperationRegistry} from './operations.js'
import {openApiDocument, serve} from './route.js'
import {type EventStream, openEventStream} from './sse.js'

export interface Agent {
  readonly url: string
  readonly config: LoadedNodeConfig
  readonly nodeManager: NodeManager
  readonly events: EventLog
  readonly operations: OperationRegistry
  readonly modules: AgentModule[]
  /** What modules get: peers (through lab faults), state dirs, the node's parts. */
  readonly context: AgentContext
  /** Every route the agent serves (for the authorization matrix test and docs). */
  readonly routes: ReadonlyArray<{method: string; url: string}>
  close(): Promise<void>
}

export interface AgentOptions {
  /** The log's level; false for silence (tests). JSON lines on stderr (./log.ts). */
  logger?: boolean | {level: LogLevel}
}

export async function startAgent(config: LoadedNodeConfig, opts: AgentOptions = {}): Promise<Agent> {
  const events = new EventLog(config.stateDir, config.name)
  const operations = new OperationRegistry(config.stateDir, config.name)
  const nodeManager = new NodeManager(config.services, {stateDir: config.stateDir, timing: config.timingValues, events})
  const startedAt = new Date().toISOString()
  /** Open event streams (ended on close: no write after the end). */
  const streams = new Set<EventStream>()

  const log = agentLog(opts.logger === false ? 'silent' : typeof opts.logger === 'object' ? opts.logger.level : 'info')
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    // Unknown body fields are an error, not silently dropped (AGENT_AJV); request validators
    // come compiled from the build (../compiled-validators.ts).
    ajv: AGENT_AJV,
    schemaController: {compilersFactory: agentCompilers},
    return503OnClosing: true,
    routerOptions: {maxParamLength: 1000},
    ...(config.tls ? {https: {cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key)}} : {}),
    // Malformed URLs and the like never reach the error handler: answer them in our shape too.
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400
      void (reply as unknown as FastifyReply).status(status).send({error: {code: 'BadRequest', message: error.message}})
    },
  })

  const routes: Array<{method: string; url: string}> = []
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({method, url: r.url})
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof UcctlError) {
      return reply.status(error.httpStatus).send({error: error.toWire()})
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request'
      return reply.status(400).send({error: {code: 'BadRequest', message: `invalid ${where}: ${error.message}`}})
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return reply.status(status).send({error: {code: 'BadRequest', message: error.message}})
    }
    log.error({err: error, reqId: request.id, req: {method: request.method, url: request.url}}, 'internal error')
    return reply.status(500).send({error: {code: 'Internal', message: 'internal agent error (see the agent log)'}})
  })
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({error: {code: 'NotFound', message: `no such route: ${request.method} ${request.url.split('?')[0]}`}}),
  )

  const faults = new NetworkFaults(
    config.peers.map((p) => p.name),
    events,
  )
  const ctx: AgentContext = {
    config,
    nodeManager,
    events,
    operations,
    log,
    peer(name, opts = {}) {
      const p = config.peers.find((x) => x.name === name)
      if (!p) throw new NotFoundError(`${name} is not a peer of ${config.name}`)
      return new AgentClient(p, {
        timeoutMs: 2000,
        ...opts,
        headers: {[PEER_HEADER]: config.name},
        gate: () => faults.checkOutbound(name),
        token: config.auth?.peerToken,
        ca: config.tls?.caPem,
      })
    },
    faults,
    stateDir(module) {
      const dir = join(config.stateDir, module)
      mkdirSync(dir, {recursive: true, mode: 0o700})
      return dir
    },
  }
  const modules = await Promise.all((await modulesFor(config.product)).map((factory) => factory(ctx)))

  const nodeInfo = () => {
    const services = nodeManager.list()
    const running = services.filter((s) => s.state === 'Running').length
    const failed = services.filter((s) => s.state === 'Failed').length
    return {
      name: config.name,
      product: config.product,
      productName: PRODUCT_NAMES[config.product],
      role: config.role,
      version: config.version,
      cluster: config.cluster,
      ...(config.group ? {group: config.group} : {}),
      peers: config.peers,
      timing: config.timing.profile,
      health: failed > 0 ? 'degraded' : 'ok',
      services: {running, total: services.length, failed},
      pid: process.pid,
      startedAt,
      ...Object.assign({}, ...modules.map((m) => m.nodeInfo?.() ?? {})),
    }
  }

  // Faults first: a dropped peer request never reaches authentication, as on a real network.
  faults.routes(app, config.faultInjection)
  const auth = config.auth ? installAuth(app, config.auth, config.stateDir) : undefined

  // The pid lets a launcher tell its own agent from a process that reused a recorded pid.
  serve(app, 'GET /v1/health', async () => ({status: 'ok' as const, node: config.name, pid: process.pid, time: new Date().toISOString()}))
  serve(app, 'GET /v1/openapi.json', async () => openApiDocument())
  serve(app, 'GET /v1/audit', async (req) => {
    // Who did what is for operators only.
    if (req.caller && req.caller.role !== 'operator') throw new ForbiddenError('the audit log is for operator tokens')
    return {node: config.name, records: auth?.audit(req.query.limit) ?? []}
  })
  serve(app, 'GET /v1/node', async () => nodeInfo())
  serve(app, 'GET /v1/services', async () => ({node: config.name, services: nodeManager.list()}))
  serve(app, 'GET /v1/services/:name', async (req) => ({node: config.name, service: nodeManager.status(req.params.name)}))

  /** What `a` on this node would do beyond it, from each product module's state. */
  const effectsOf = (a: EffectAction) => modules.flatMap((m) => m.effects?.(a) ?? [])
  const withEffects = (plan: {changes: string[]; rules: string[]}, effects: ActionEffect[]) => ({
    changes: [...plan.changes, ...effects.map((e) => `${e.kind === 'warning' ? 'warning: ' : ''}${e.message} (${e.rule})`)],
    rules: [...plan.rules, ...effects.map((e) => e.rule)],
    effects,
  })

  serve(
    app,
    'POST /v1/services/:name/:action',
    async (req, reply) => {
      const {action} = req.params
      // 404 before anything is recorded; the service's own name (as typed, it may differ in case).
      const name = nodeManager.status(req.params.name).name
      const target = {service: name}
      if (action === 'start' && nodeManager.isRunning(name)) {
        return operations.done(action, target, `${name} is already Running`, {service: nodeManager.status(name)})
      }
      if (action === 'stop' && nodeManager.isStopped(name)) {
        await nodeManager.stop(name)
        return operations.done(action, target, `${name} is already Stopped`, {service: nodeManager.status(name)})
      }
      const op = operations.start(action, target, [`service:${name}`], async (progress) => {
        let last = ''
        const onChange = (s: {state: string; pid: number | null}) => {
          const line = `${name} ${s.state}${s.pid ? ` (pid ${s.pid})` : ''}`
          if (line !== last) progress((last = line))
        }
        const service = await nodeManager[action](name, onChange)
        return {service}
      })
      reply.code(202)
      return op
    },
    async (req) => {
      const {action} = req.params
      const s = nodeManager.status(req.params.name)
      const plan = withEffects(planServiceAction(s, action), effectsOf({type: 'service', action, service: s.name}))
      return {node: config.name, action, service: s.name, currentState: s.state, ...plan}
    },
  )

  serve(app, 'PUT /v1/services/:name/startup', async (req) => ({
    node: config.name,
    service: nodeManager.setStartup(req.params.name, req.body.startup),
  }))

  // SVC-5: the operator's node restart and NMM's own on an unrecoverable fault are one operation.
  const restartNode = (why: string) =>
    operations.start(
      'restart',
      {node: config.name},
      nodeManager.names().map((n) => `service:${n}`),
      async (progress) => {
        events.emit({
          type: 'NodeRestart',
          message: `NMM restarting node ${config.name} (SVC-5)${why ? `: ${why}` : ''}`,
          data: {rule: 'SVC-5'},
        })
        const services = await nodeManager.restartNode(progress)
        return {services}
      },
    )
  // SVC-1: only a node that runs NMM (CTI OS) escalates a process past its burst limit.
  if (nodeManager.names().includes('NMM')) nodeManager.nodeRestarter = (why) => void restartNode(why)
  serve(
    app,
    'POST /v1/node/restart',
    async (_req, reply) => {
      reply.code(202)
      return restartNode('')
    },
    async () => ({
      node: config.name,
      action: 'restart' as const,
      ...withEffects(planNodeRestart(nodeManager.list()), effectsOf({type: 'node-restart'})),
    }),
  )

  serve(app, 'GET /v1/operations/:id', async (req) => operations.waitForChange(req.params.id, req.query.seen ?? 0, req.query.wait ?? 0))

  serve(app, 'GET /v1/operations', async () => ({
    node: config.name,
    operations: operations.list().map(({transitions, result: _r, ...o}) => ({...o, last: transitions.at(-1)?.message ?? null})),
  }))

  serve(app, 'POST /v1/operations/:id/cancel', async (req, reply) => {
    reply.code(202)
    return operations.cancel(req.params.id)
  })

  serve(app, 'GET /v1/events', async (req, reply) => {
    const {since, limit} = req.query
    const follow = req.query.follow === '1' || req.query.follow === 'true'
    // A client that reconnects says the last event it got (SSE Last-Event-ID): it gets every
    // later one, once. An id beyond this history (its state was purged) means all of it.
    const lastEventId = Number(req.headers['last-event-id'])
    let after = req.query.after ?? (Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : undefined)
    if (after !== undefined && after > events.lastSeq()) after = 0
    const backlog = events.list({since: since ? new Date(since).toISOString() : undefined, afterSeq: after, limit})
    if (!follow) return {node: config.name, events: backlog}
    // Only what was asked for from the past; then everything new as it happens.
    // First, where this stream starts (the event after which it sends): a client that loses the
    // stream before any event resumes there, and sees a history that started again.
    const replay = since !== undefined || after !== undefined ? backlog : []
    const from = replay.length > 0 ? replay[0].seq - 1 : events.lastSeq()
    let unsubscribe = () => {}
    const stream = openEventStream(reply, () => {
      unsubscribe()
      streams.delete(stream)
    })
    streams.add(stream)
    const send = (e: AgentEvent) => stream.send({id: e.seq, event: 'event', data: e})
    // Subscribed before the first frame (all in this tick): a follower that has read it misses
    // nothing emitted later, so it can act on that at once instead of waiting a guessed time.
    unsubscribe = events.subscribe(send)
    // An id-only frame: EventSource clients take it as their Last-Event-ID, and dispatch nothing.
    stream.send({comment: `subscribed; resume after event ${from}`, id: from})
    for (const e of replay) send(e)
    return undefined
  })

  for (const m of modules) m.routes?.(app)

  app.addHook('preClose', async () => {
    operations.wakeAll()
    for (const stream of [...streams]) stream.end()
  })

  nodeManager.boot()
  events.emit({type: 'AgentStarted', message: `agent for ${config.name} (${PRODUCT_NAMES[config.product]} ${config.role}) started`})

  let address: string
  try {
    address = await app.listen({host: config.listen.host, port: config.listen.port})
    log.info(`Server listening at ${address}`)
    for (const m of modules) await m.start?.()
  } catch (error) {
    await app.close()
    for (const m of modules) await m.stop?.()
    await nodeManager.shutdown()
    events.close()
    throw error
  }

  let closing: Promise<void> | undefined
  return {
    url: address,
    config,
    nodeManager,
    events,
    operations,
    modules,
    context: ctx,
    routes,
    close() {
      closing ??= (async () => {
        events.emit({type: 'AgentStopping', message: `agent for ${config.name} stopping`})
        await app.close()
        for (const m of modules) await m.stop?.()
        await nodeManager.shutdown()
        events.close()
      })()
      return closing
    },
  }
}
