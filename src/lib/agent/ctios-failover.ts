// The CTI OS node's environment and its softphones (SPEC §2, CTI-1..7; issue 6). Softphones are
// real long-lived connections (Server-Sent Events on GET /v1/ctios/softphones/{id}/events) that
// get their events, send agent state requests, and reconnect on their own. Faults of related
// components are injected through POST /v1/ctios/faults; a CTI OS server failure (CTI-3) is a
// real death of the CtiosServerNode process (a SIGKILL, from the fault route or from anyone),
// seen through NodeManager's ServiceState events. The rules are ../domain/cti-failover.ts.
import {ctiosServerStopEffect, type ActionEffect, type EffectAction, pgRestartEffect, stopsService} from '../domain/effects.js'
import type {ServerResponse} from 'node:http'
import type {FastifyInstance} from 'fastify'
import {JsonStore} from '../durable.js'
import {ConflictError, ForbiddenError, NotFoundError, RefusedError, UsageError} from '../errors.js'
import {documentValidator} from '../compiled-validators.js'
import {
  AGENT_STATUSES,
  type AgentStatus,
  alreadyLoggedIn,
  applyFault,
  causesFailover,
  COMPONENTS,
  connectSoftphone,
  type CtiRule,
  ctiosServerDown,
  ctiosServerOnline,
  ctiServerOnline,
  describeFault,
  disconnectSoftphone,
  type Effect,
  FAULT_ACTIONS,
  type Fault,
  initialEnvironment,
  LOGGED_OUT,
  logoutAgent,
  mergeEffects,
  offlineCauses,
  type Pair,
  pgOnline,
  planFault,
  requestState,
  snapshotCounts,
  softphoneConnection,
  softphoneEvent,
  type Transition,
} from '../domain/cti-failover.js'
import type {AgentEvent} from './events.js'
import type {AgentContext, AgentModule} from './module.js'
import {peripheralOf} from './peripheral.js'

/** SVC-1: the main CTI OS server process, which listens for and manages client connections. */
export const CTIOS_SERVER_PROCESS = 'CtiosServerNode'

interface CtiosSettings {
  agents: number
  switches: number
  peer: {name: string; capacity?: number}
}

const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    agents: {type: 'integer', minimum: 1, maximum: 20_000},
    switches: {type: 'integer', minimum: 1, maximum: 1000},
    peer: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {name: {type: 'string', minLength: 1, maxLength: 100}, capacity: {type: 'integer', minimum: 0}},
    },
  },
} as const

const DEFAULTS: CtiosSettings = {agents: 100, switches: 2, peer: {name: 'ctios-b'}}

/** Component states that survive an agent restart (agent states live in the CTI Server: snapshot). */
interface Persisted {
  ipPhonesOut: string[]
  switchesOut: string[]
  pg: Pair | null
  ctiServers: Pair | null
  peerOnline: boolean
}

export interface SnapshotRecord {
  time: string
  rule?: CtiRule
  agents: number
  devices: number
  calls: number
  softphones: number
}

/** The last CTI OS server failure (CTI-3), as its softphones lived it. */
export interface FailoverRecord {
  server: string
  time: string
  disconnected: number
  reconnectedToPeer: number
  offline: number
  snapshot: number
  online: string | null
}

const PING_MS = 15_000
const TALLY_MS = 100
const SAMPLE_IDS = 20

async function readSettings(ctx: AgentContext): Promise<CtiosSettings> {
  const raw = ctx.config.settings.ctios
  if (raw === undefined) return DEFAULTS
  const validate = await documentValidator(SETTINGS_SCHEMA)
  if (!validate(raw)) {
    throw new UsageError(
      `settings.ctios of ${ctx.config.name} is invalid: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`,
    )
  }
  return {...DEFAULTS, ...(raw as Partial<CtiosSettings>)}
}

export async function ctiosFailoverModule(ctx: AgentContext): Promise<AgentModule> {
  const settings = await readSettings(ctx)
  const node = ctx.config.name
  let env = initialEnvironment({
    node,
    agents: settings.agents,
    switches: settings.switches,
    peer: {name: settings.peer.name, capacity: settings.peer.capacity ?? settings.agents},
  })
  const store = new JsonStore<Persisted>(ctx.stateDir('ctios'), 'environment.json', {
    ipPhonesOut: [],
    switchesOut: [],
    pg: null,
    ctiServers: null,
    peerOnline: true,
  })
  for (const p of store.data.ipPhonesOut) if (env.ipPhones[p]) env.ipPhones[p].inService = false
  for (const s of store.data.switchesOut) if (env.switches[s]) env.switches[s].inService = false
  if (store.data.pg) env.pg = store.data.pg
  if (store.data.ctiServers) env.ctiServers = store.data.ctiServers
  env.ctios.peer.online = store.data.peerOnline
  const persist = () => {
    store.data = {
      ipPhonesOut: Object.keys(env.ipPhones).filter((p) => !env.ipPhones[p].inService),
      switchesOut: Object.keys(env.switches).filter((s) => !env.switches[s].inService),
      pg: env.pg,
      ctiServers: env.ctiServers,
      peerOnline: env.ctios.peer.online,
    }
    store.save()
  }

  const streams = new Map<string, ServerResponse>()
  let lastSnapshot: SnapshotRecord | null = null
  let lastFailover: FailoverRecord | null = null
  let closing = false
  const onlineWaiters = new Set<(ok: boolean, why?: string) => void>()

  /**
   * LOAD-2 / LOAD-5 (run time): the /LOAD in effect on the peripheral (it changes when the PG
   * restarts) and RejectIfAlreadyLoggedIn, read afresh before each change of the environment.
   */
  const settle = () => {
    const p = peripheralOf(ctx)
    env.afterFailover = p?.afterFailover().mode ?? 'Not Ready'
    env.rejectIfAlreadyLoggedIn = p?.rejectIfAlreadyLoggedIn() ?? 0
    return env
  }

  /** The module owns `env`: one agent's change is put in place (see Transition.agent). */
  const apply = (t: Transition) => {
    if (t.agent) env.agents[t.agent.id] = t.agent
    else env = t.env
  }

  // ---- delivery: effects become events on the softphones' connections, or closed connections.
  // A stream may have ended (client gone, agent closing) before its last event: never write after the end.
  const write = (res: ServerResponse, event: {type: string}) => {
    if (!res.writableEnded && !res.destroyed) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
  }
  const deliver = (t: Transition) => {
    for (const effect of t.effects) {
      for (const id of effect.softphones) {
        const res = streams.get(id)
        if (!res) continue
        if (effect.send === 'Disconnect') {
          streams.delete(id)
          res.destroy()
          continue
        }
        const event = softphoneEvent(env, effect, id)
        if (event) write(res, event)
      }
    }
  }

  // ---- the event log: one event per fault and per effect; per-softphone happenings (thousands
  // of reconnections) are tallied and written as one event each TALLY_MS.
  const tally = new Map<string, {type: string; message: string; rule?: CtiRule; ids: string[]}>()
  let tallyTimer: NodeJS.Timeout | null = null
  const flushTally = () => {
    tallyTimer = null
    for (const t of tally.values()) {
      ctx.events.emit({
        type: t.type,
        message: `${t.message}: ${t.ids.length} softphone(s)`,
        data: {...(t.rule ? {rule: t.rule} : {}), softphones: t.ids.length, sample: t.ids.slice(0, SAMPLE_IDS)},
      })
    }
    tally.clear()
  }
  const count = (type: string, message: string, rule: CtiRule | undefined, id: string) => {
    const key = `${type}|${message}`
    const entry = tally.get(key) ?? {type, message, rule, ids: []}
    entry.ids.push(id)
    tally.set(key, entry)
    tallyTimer ??= setTimeout(flushTally, TALLY_MS)
  }

  const EFFECT_EVENT: Record<Effect['send'], string> = {
    Offline: 'CtiOffline',
    Snapshot: 'CtiSnapshot',
    Disconnect: 'CtiDisconnect',
    Connected: 'CtiConnected',
    AgentState: 'CtiAgentState',
  }
  const effectMessage = (e: Effect): string => {
    const n = `${e.softphones.length} softphone(s)`
    const why = `${e.reason ? `: ${e.reason}` : ''}${e.rule ? ` (${e.rule})` : ''}`
    if (e.send === 'Offline') return `Offline to ${n}${why}`
    if (e.send === 'Disconnect') return `${n} disconnected${why}`
    if (e.send === 'Snapshot') {
      const c = snapshotCounts(env)
      return `snapshot of ${c.agents} agents, ${c.devices} devices, ${c.calls} calls; sent to ${n}${why}`
    }
    return `${e.send} to ${n}${why}`
  }

  /** A fault (or a CTI OS server failing or coming back): softphones first, then the log. */
  const commitFault = (t: Transition, fault: Fault | {component: 'ctios-server' | 'peer'; action: string; id?: string}) => {
    env = t.env
    deliver(t)
    persist()
    ctx.events.emit({type: 'CtiFault', message: t.message, data: {...fault, ...(t.rule ? {rule: t.rule} : {})}})
    for (const e of t.effects) {
      if (e.send === 'Snapshot') {
        lastSnapshot = {
          time: new Date().toISOString(),
          ...(e.rule ? {rule: e.rule} : {}),
          ...snapshotCounts(env),
          softphones: e.softphones.length,
        }
        if (lastFailover && e.rule === 'CTI-3') lastFailover.snapshot += e.softphones.length
      }
      if (e.send === 'Snapshot' || e.softphones.length > 0) {
        ctx.events.emit({
          type: EFFECT_EVENT[e.send],
          message: effectMessage(e),
          data: {
            ...(e.rule ? {rule: e.rule} : {}),
            ...(e.reason ? {reason: e.reason} : {}),
            softphones: e.softphones.length,
            sample: e.softphones.slice(0, SAMPLE_IDS),
            ...(e.send === 'Snapshot' ? snapshotCounts(env) : {}),
          },
        })
      }
    }
  }

  // ---- CTI-3: this node's CTI OS server is its CtiosServerNode process, watched through
  // NodeManager's ServiceState events. Back Running after a failure, it comes online (and
  // snapshots) after ctiosServerOnlineMs; the very first start is the node's boot.
  const supervised = ctx.nodeManager.names().includes(CTIOS_SERVER_PROCESS)
  if (supervised) env.ctios.local.online = false
  let everOnline = false
  let onlineTimer: NodeJS.Timeout | null = null
  const serverDown = (why: string) => {
    if (onlineTimer) clearTimeout(onlineTimer)
    onlineTimer = null
    if (!env.ctios.local.online) return
    const t = ctiosServerDown(settle(), 'local')
    lastFailover = {
      server: node,
      time: new Date().toISOString(),
      disconnected: t.effects[0]?.softphones.length ?? 0,
      reconnectedToPeer: 0,
      offline: 0,
      snapshot: 0,
      online: null,
    }
    commitFault({...t, message: `${t.message}; ${why}`}, {component: 'ctios-server', action: 'down'})
  }
  const serverUp = () => {
    onlineTimer = null
    if (closing || env.ctios.local.online) return
    const t = ctiosServerOnline(settle(), 'local')
    if (everOnline) {
      commitFault(t, {component: 'ctios-server', action: 'up'})
      if (lastFailover) lastFailover.online = new Date().toISOString()
    } else {
      // The node's boot, not a failover: softphones that came too early just get connected.
      env = t.env
      deliver(t)
    }
    everOnline = true
    for (const w of [...onlineWaiters]) w(true)
  }
  const onServiceEvent = (e: AgentEvent) => {
    if (e.type === 'PeripheralGateway' && !closing) return onPeripheralGateway(e)
    if (e.type !== 'ServiceState' || e.service !== CTIOS_SERVER_PROCESS || closing) return
    const to = e.data?.to
    if (to === 'Running') {
      if (!onlineTimer && !env.ctios.local.online)
        onlineTimer = setTimeout(serverUp, everOnline ? ctx.config.timingValues.ctiosServerOnlineMs : 0)
      return
    }
    serverDown(`${CTIOS_SERVER_PROCESS} ${e.data?.from ?? '?'} → ${String(to)}${to === 'Restarting' ? ', NodeManager restarts it' : ''}`)
    if (to === 'Failed' || to === 'Stopped') for (const w of [...onlineWaiters]) w(false, `${CTIOS_SERVER_PROCESS} is ${String(to)}`)
  }
  /**
   * The PG restart of `ucctl load set` (LOAD-1, peripheral.ts) is the PG going offline and back
   * for CTI OS too: CTI-1's Offline to every softphone, then a snapshot when it is back.
   */
  const onPeripheralGateway = (e: AgentEvent) => {
    const action = e.data?.state === 'offline' ? 'down' : e.data?.state === 'online' ? 'up' : undefined
    if (!action) return
    const fault: Fault = {component: 'pg', action}
    try {
      commitFault(applyFault(settle(), fault), fault)
    } catch (error) {
      // Already in that state (e.g. the PG pair was faulted down by hand): nothing more happens.
      if (!(error instanceof UsageError || error instanceof RefusedError)) throw error
    }
  }
  // Deferred: our own events then follow the ServiceState event that caused them.
  const unsubscribe = supervised ? ctx.events.subscribe((e) => queueMicrotask(() => onServiceEvent(e))) : () => {}

  // ---- softphones
  const openSoftphone = (id: string, res: ServerResponse) => {
    streams.set(id, res)
    const t = connectSoftphone(settle(), id)
    apply(t)
    deliver(t)
    const a = env.agents[id]
    if (a.softphone === 'waiting') {
      count('CtiOffline', 'Offline to softphones that could not reconnect to any CTI OS server (CTI-3)', 'CTI-3', id)
      if (lastFailover && !env.ctios.local.online) lastFailover.offline++
    } else {
      const server = env.ctios[a.softphone === 'peer' ? 'peer' : 'local'].name
      count('CtiConnected', `softphones connected to ${server}`, undefined, id)
      if (a.softphone === 'peer' && lastFailover && !env.ctios.local.online) lastFailover.reconnectedToPeer++
      const relogin = t.effects.find((e) => e.send === 'Connected')?.rule
      if (relogin) count('CtiAgentState', `automatic re-login: agent state → ${a.state} (${relogin})`, relogin, id)
    }
  }
  const closeSoftphone = (id: string, res: ServerResponse) => {
    if (closing || streams.get(id) !== res) return
    streams.delete(id)
    const t = disconnectSoftphone(settle(), id)
    apply(t)
    if (t.rule === 'LOAD-5')
      count(
        'CtiDisconnect',
        'desktops gone while their agents are logged in: the agents stay logged in on the server (LOAD-5)',
        'LOAD-5',
        id,
      )
    else count('CtiDisconnect', 'softphones disconnected (desktop closed its connection)', undefined, id)
  }

  const ping = setInterval(() => {
    for (const res of streams.values()) if (!res.writableEnded && !res.destroyed) res.write(': ping\n\n')
  }, PING_MS)
  ping.unref()

  // ---- views
  const statusView = () => {
    const agents = Object.values(settle().agents)
    const p = peripheralOf(ctx)?.afterFailover()
    const byConnection = {connected: 0, Offline: 0, disconnected: 0}
    const byState: Record<string, number> = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0]))
    for (const a of agents) {
      byConnection[softphoneConnection(env, a)]++
      byState[a.state]++
    }
    const sides = (p: Pair) => ({A: p.up.A ? 'up' : 'down', B: p.up.B ? 'up' : 'down'})
    const phonesOut = Object.keys(env.ipPhones).filter((p) => !env.ipPhones[p].inService)
    const proc = supervised ? ctx.nodeManager.status(CTIOS_SERVER_PROCESS) : null
    const onPeer = agents.filter((a) => a.softphone === 'peer').length
    return {
      node,
      components: [
        {component: 'pg', id: 'PG', state: pgOnline(env) ? 'online' : 'offline', activeSide: env.pg.active, sides: sides(env.pg)},
        {
          component: 'cti-server',
          id: 'CTI Server',
          state: ctiServerOnline(env) ? 'online' : 'offline',
          activeSide: env.ctiServers.active,
          sides: sides(env.ctiServers),
        },
        {
          component: 'ctios-server',
          id: node,
          state: env.ctios.local.online ? 'online' : 'offline',
          ...(proc ? {process: {name: proc.name, state: proc.state, pid: proc.pid, restarts: proc.restarts}} : {}),
        },
        {
          component: 'peer',
          id: env.ctios.peer.name,
          state: env.ctios.peer.online ? 'online' : 'offline',
          capacity: env.ctios.peer.capacity,
          softphones: onPeer,
        },
        ...Object.entries(env.switches).map(([id, s]) => ({
          component: 'switch',
          id,
          state: s.inService ? 'in service' : 'out of service',
          agents: agents.filter((a) => a.switch === id).length,
        })),
        ...phonesOut.map((id) => ({component: 'ip-phone', id, state: 'out of service'})),
      ],
      ipPhones: {total: Object.keys(env.ipPhones).length, outOfService: phonesOut.length},
      clients: {softphones: agents.length, ...byConnection, onPeer},
      agents: byState,
      lastSnapshot,
      lastFailover,
      // LOAD-2 (run time): how agents come back after the next failover; LOAD-5: who is held.
      afterFailover: {agentState: p?.mode ?? 'Not Ready', rule: p?.rule ?? 'LOAD-2', loadInEffect: p?.loadInEffect ?? null},
      desktopConnectionProfile: {rejectIfAlreadyLoggedIn: env.rejectIfAlreadyLoggedIn},
      loggedInWithoutDesktop: agents.filter((a) => a.desktopCrashed).map((a) => a.id),
    }
  }

  const softphoneView = (id: string) => {
    const a = env.agents[id]
    const server = a.softphone === 'local' ? env.ctios.local.name : a.softphone === 'peer' ? env.ctios.peer.name : null
    return {
      id,
      agentState: a.state,
      phone: a.phone,
      switch: a.switch,
      connection: softphoneConnection(env, a),
      server,
      offline: offlineCauses(env, a).filter(() => a.softphone !== 'none'),
    }
  }

  const agentOf = (id: string) => {
    if (!env.agents[id])
      throw new NotFoundError(`no softphone "${id}" on ${node}`, {
        hint: `one softphone per agent: ${Object.keys(env.agents)[0]} ... (ucctl ctios clients)`,
      })
  }

  /** Resolves when this node's CTI OS server is online again (CTI-3), or rejects if it will not be. */
  const untilOnline = () =>
    new Promise<void>((resolve, reject) => {
      const w = (ok: boolean, why?: string) => {
        onlineWaiters.delete(w)
        if (ok) resolve()
        else reject(new RefusedError(`the CTI OS server did not come back: ${why}`, {rule: 'CTI-3'}))
      }
      onlineWaiters.add(w)
    })

  const planView = (fault: Fault) => {
    const t = planFault(settle(), fault)
    const changes = [
      t.message,
      ...t.effects.map(
        (e) => `${e.send} → ${e.softphones.length} softphone(s)${e.reason ? ` (${e.reason})` : ''}${e.rule ? ` [${e.rule}]` : ''}`,
      ),
    ]
    if (fault.component === 'ctios-server')
      changes.unshift(`SIGKILL ${CTIOS_SERVER_PROCESS}; NodeManager restarts it, then a snapshot (CTI-3)`)
    const rules = [...new Set([t.rule, ...t.effects.map((e) => e.rule)].filter((r): r is CtiRule => r !== undefined))]
    return {
      node,
      action: `ctios fault ${describeFault(fault)}`,
      changes,
      rules,
      failover: causesFailover(t),
      effects: effectSummary(t.effects),
    }
  }
  const effectSummary = (effects: readonly Effect[]) =>
    mergeEffects(effects).map((e) => ({
      send: e.send,
      ...(e.rule ? {rule: e.rule} : {}),
      ...(e.reason ? {reason: e.reason} : {}),
      softphones: e.softphones.length,
    }))

  return {
    nodeInfo: () => ({ctios: {server: env.ctios.local.online ? 'online' : 'offline', softphones: streams.size}}),
    // CTI-3 (the server process stops) and CTI-1 (the PG restarts), each with CTI-6 (GET /v1/effects).
    effects(action: EffectAction): ActionEffect[] {
      const agents = Object.values(env.agents)
      if (action.type === 'pg-restart')
        return pgRestartEffect({softphones: agents.filter((a) => softphoneConnection(env, a) === 'connected').length})
      if (!supervised || !stopsService(action, CTIOS_SERVER_PROCESS) || !ctx.nodeManager.isRunning(CTIOS_SERVER_PROCESS)) return []
      return ctiosServerStopEffect({
        server: node,
        softphones: agents.filter((a) => a.softphone === 'local').length,
        peer: env.ctios.peer.name,
        peerOnline: env.ctios.peer.online,
        peerCapacity: env.ctios.peer.capacity,
      })
    },
    stop() {
      closing = true
      unsubscribe()
      clearInterval(ping)
      if (onlineTimer) clearTimeout(onlineTimer)
      if (tallyTimer) clearTimeout(tallyTimer)
      for (const w of [...onlineWaiters]) w(false, 'the agent is stopping')
    },
    routes(app: FastifyInstance) {
      app.addHook('preClose', async () => {
        closing = true
        for (const res of streams.values()) res.end()
        streams.clear()
      })

      app.get('/v1/ctios', async () => statusView())

      app.get<{Querystring: {phone?: string; switch?: string; connection?: string}}>(
        '/v1/ctios/softphones',
        {
          schema: {
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: {
                phone: {type: 'string', maxLength: 100},
                switch: {type: 'string', maxLength: 100},
                connection: {enum: ['connected', 'Offline', 'disconnected']},
              },
            },
          },
        },
        async (req) => {
          const {phone, switch: sw, connection} = req.query
          if (phone !== undefined && !env.ipPhones[phone]) throw new NotFoundError(`no IP phone "${phone}" on ${node}`)
          if (sw !== undefined && !env.switches[sw])
            throw new NotFoundError(`no switch "${sw}" on ${node}`, {hint: `switches: ${Object.keys(env.switches).join(', ')}`})
          const softphones = Object.values(env.agents)
            .filter((a) => (phone === undefined || a.phone === phone) && (sw === undefined || a.switch === sw))
            .map((a) => softphoneView(a.id))
            .filter((s) => connection === undefined || s.connection === connection)
          return {node, softphones}
        },
      )

      const idParam = {type: 'object', required: ['id'], properties: {id: {type: 'string', minLength: 1, maxLength: 100}}} as const

      app.get<{Params: {id: string}}>('/v1/ctios/softphones/:id/events', {schema: {params: idParam}}, async (req, reply) => {
        const {id} = req.params
        agentOf(id)
        const a = settle().agents[id]
        // LOAD-5: with RejectIfAlreadyLoggedIn = 1 a login with an agent ID already logged in is
        // refused (a second desktop, or the desktop restarted after a crash).
        if (env.rejectIfAlreadyLoggedIn === 1 && a.state !== LOGGED_OUT && (streams.has(id) || a.desktopCrashed)) throw alreadyLoggedIn(a)
        // With 0: one connection per softphone still (the lab's desktop is the agent's only one).
        if (streams.has(id))
          throw new ConflictError(`softphone ${id} is already connected`, {hint: 'another desktop (or client simulator) holds it'})
        reply.hijack()
        const res = reply.raw
        res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
        res.on('close', () => closeSoftphone(id, res))
        openSoftphone(id, res)
      })

      app.post<{Params: {id: string}; Body: {state: AgentStatus}}>(
        '/v1/ctios/softphones/:id/state',
        {
          schema: {
            params: idParam,
            body: {type: 'object', additionalProperties: false, required: ['state'], properties: {state: {enum: [...AGENT_STATUSES]}}},
          },
        },
        async (req) => {
          const {id} = req.params
          agentOf(id)
          const t = requestState(env, id, req.body.state)
          apply(t)
          deliver(t)
          if (t.effects.length > 0) count('CtiAgentState', `agent state → ${req.body.state}`, undefined, id)
          return {node, softphone: softphoneView(id)}
        },
      )

      // LOAD-5: the supervisor's logout of an agent (after a desktop crash, its only way back in).
      app.post<{Params: {id: string}}>('/v1/ctios/agents/:id/logout', {schema: {params: idParam}}, async (req) => {
        const {id} = req.params
        agentOf(id)
        const t = logoutAgent(env, id)
        apply(t)
        deliver(t)
        if (t.rule)
          ctx.events.emit({type: 'CtiAgentState', message: t.message, data: {rule: 'LOAD-5', agent: id, softphones: 1, sample: [id]}})
        return ctx.operations.done('ctios-agent-logout', {agent: id}, t.message, {agent: id, softphone: softphoneView(id)})
      })

      app.post<{Body: Fault & {dryRun?: boolean}}>(
        '/v1/ctios/faults',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['component', 'action'],
              properties: {
                component: {enum: [...COMPONENTS]},
                action: {enum: [...FAULT_ACTIONS]},
                id: {type: 'string', minLength: 1, maxLength: 100},
                dryRun: {type: 'boolean'},
              },
            },
          },
        },
        async (req, reply) => {
          if (!ctx.config.faultInjection) {
            throw new ForbiddenError('fault injection is disabled on this node', {
              hint: 'only lab and test agents (faultInjection: true) accept faults',
            })
          }
          const {dryRun, ...fault} = req.body
          const target = {component: fault.component, action: fault.action, ...(fault.id ? {id: fault.id} : {})}
          if (fault.component === 'ctios-server') {
            if (fault.action !== 'down') {
              throw new UsageError(`NodeManager restarts the CTI OS server by itself (CTI-3): only "ctios-server down" is a fault`, {
                hint: `a stopped one starts with: ucctl service start ${CTIOS_SERVER_PROCESS} --node ${node}`,
              })
            }
            if (fault.id !== undefined && fault.id !== node)
              throw new UsageError(`this CTI OS server is ${node}, not "${fault.id}" (the peer is component "peer")`)
            if (!supervised || !ctx.nodeManager.isRunning(CTIOS_SERVER_PROCESS) || !env.ctios.local.online) {
              throw new RefusedError(
                `the CTI OS server of ${node} is not online (${supervised ? ctx.nodeManager.status(CTIOS_SERVER_PROCESS).state : 'no process'})`,
                {rule: 'CTI-3'},
              )
            }
            if (dryRun) return planView(fault)
            const op = ctx.operations.start(
              'ctios-fault',
              target,
              ['ctios:ctios-server', `service:${CTIOS_SERVER_PROCESS}`],
              async (progress) => {
                const pid = ctx.nodeManager.status(CTIOS_SERVER_PROCESS).pid
                if (pid === null) throw new RefusedError(`${CTIOS_SERVER_PROCESS} has no process`, {rule: 'CTI-3'})
                const online = untilOnline()
                process.kill(pid, 'SIGKILL')
                progress(`${CTIOS_SERVER_PROCESS} (pid ${pid}) killed with SIGKILL; its softphones are disconnected (CTI-3)`)
                await online
                const f = lastFailover
                progress(
                  `CTI OS server ${node} online again (pid ${ctx.nodeManager.status(CTIOS_SERVER_PROCESS).pid}): snapshot of all agents, devices and calls (CTI-3)`,
                )
                return {fault: target, failover: f, ctios: statusView()}
              },
            )
            return reply.status(202).send(op)
          }
          if (dryRun) return planView(fault)
          const t = applyFault(settle(), fault)
          commitFault(t, fault)
          return reply.status(200).send(
            ctx.operations.done('ctios-fault', target, t.message, {
              fault: target,
              effects: effectSummary(t.effects),
              ctios: statusView(),
            }),
          )
        },
      )
    },
  }
}
