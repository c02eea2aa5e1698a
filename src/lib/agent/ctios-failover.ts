// The CTI OS node's environment and its softphones (SPEC §2, CTI-1..7; issue 6). Softphones are
// real long-lived connections (Server-Sent Events on GET /v1/ctios/softphones/{id}/events) that
// get their events, send agent state requests, and reconnect on their own. Faults of related
// components are injected through POST /v1/ctios/faults; a CTI OS server failure (CTI-3) is a
// real death of the CtiosServerNode process (a SIGKILL, from the fault route or from anyone),
// seen through NodeManager's ServiceState events. The rules are ../domain/cti-failover.ts.
import {ctiosServerStopEffect, type ActionEffect, type EffectAction, pgRestartEffect, stopsService} from '../domain/effects.js'
import type {FastifyInstance} from 'fastify'
import type {Answer} from '../api/index.js'
import {JsonStore} from '../durable.js'
import {ConflictError, ForbiddenError, NotFoundError, RefusedError, UsageError} from '../errors.js'
import {
  alreadyLoggedIn,
  applyFault,
  connectSoftphone,
  type CtiRule,
  ctiosServerDown,
  ctiosServerOnline,
  disconnectSoftphone,
  type Effect,
  type Fault,
  initialEnvironment,
  LOGGED_OUT,
  logoutAgent,
  type Pair,
  requestState,
  type Transition,
} from '../domain/cti-failover.js'
import {snapshotCounts, softphoneConnection, softphoneEvent} from '../domain/cti-softphones.js'
import type {AgentEvent} from './events.js'
import type {AgentContext, AgentModule} from './module.js'
import {CTIOS_SERVER_PROCESS, ctiosStatus, faultPlan, sendSummary, softphoneOf} from './ctios-views.js'
import {onPgRestart, peripheralOf} from './peripheral.js'
import {serve} from './route.js'
import {type EventStream, openEventStream} from './sse.js'

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

type CtiosStatus = Answer<'GET /v1/ctios'>
/** The last snapshot sent (CTI-2, CTI-3). */
type SnapshotRecord = NonNullable<CtiosStatus['lastSnapshot']>
/** The last CTI OS server failure (CTI-3), as its softphones lived it. */
type FailoverRecord = NonNullable<CtiosStatus['lastFailover']>

const TALLY_MS = 100
const SAMPLE_IDS = 20

async function readSettings(ctx: AgentContext): Promise<CtiosSettings> {
  const raw = ctx.config.settings.ctios
  if (raw === undefined) return DEFAULTS
  const {validatorOf, describeErrors} = await import('../schema.js')
  const validate = await validatorOf(SETTINGS_SCHEMA)
  if (!validate(raw)) throw new UsageError(`settings.ctios of ${ctx.config.name} is invalid: ${describeErrors(validate.errors)}`)
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

  const streams = new Map<string, EventStream>()
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
  const deliver = (t: Transition) => {
    for (const effect of t.effects) {
      for (const id of effect.softphones) {
        const stream = streams.get(id)
        if (!stream) continue
        if (effect.send === 'Disconnect') {
          streams.delete(id)
          stream.end()
          continue
        }
        const event = softphoneEvent(env, effect, id)
        if (event) stream.send({event: event.type, data: event})
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
  // CTI-1 with CTI-6: what the PG restart of `load set` does to the softphones (its preview).
  onPgRestart(ctx, () =>
    pgRestartEffect({softphones: Object.values(env.agents).filter((a) => softphoneConnection(env, a) === 'connected').length}),
  )
  // Deferred: our own events then follow the ServiceState event that caused them.
  const unsubscribe = supervised ? ctx.events.subscribe((e) => queueMicrotask(() => onServiceEvent(e))) : () => {}

  // ---- softphones
  const openSoftphone = (id: string, stream: EventStream) => {
    streams.set(id, stream)
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
  const closeSoftphone = (id: string, stream: EventStream) => {
    if (closing || streams.get(id) !== stream) return
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

  // ---- views (./ctios-views.ts)
  const statusView = (): CtiosStatus => {
    settle()
    const proc = supervised ? ctx.nodeManager.status(CTIOS_SERVER_PROCESS) : null
    const p = peripheralOf(ctx)?.afterFailover()
    return ctiosStatus(env, {
      node,
      process: proc && {name: proc.name, state: proc.state, pid: proc.pid, restarts: proc.restarts},
      lastSnapshot,
      lastFailover,
      afterFailover: {agentState: p?.mode ?? 'Not Ready', rule: p?.rule ?? 'LOAD-2', loadInEffect: p?.loadInEffect ?? null},
    })
  }
  const softphoneView = (id: string) => softphoneOf(env, id)

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

  /** Whether this node takes the fault: lab and test agents only; the server's own failure only while it is online (CTI-3). */
  const acceptFault = (fault: Fault): Fault => {
    if (!ctx.config.faultInjection) {
      throw new ForbiddenError('fault injection is disabled on this node', {
        hint: 'only lab and test agents (faultInjection: true) accept faults',
      })
    }
    if (fault.component !== 'ctios-server') return fault
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
    return fault
  }

  return {
    nodeInfo: () => ({ctios: {server: env.ctios.local.online ? 'online' : 'offline', softphones: streams.size}}),
    // CTI-3 (the server process stops), with CTI-6: the effects of a service action or a node restart.
    effects(action: EffectAction): ActionEffect[] {
      const agents = Object.values(env.agents)
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
      if (onlineTimer) clearTimeout(onlineTimer)
      if (tallyTimer) clearTimeout(tallyTimer)
      for (const w of [...onlineWaiters]) w(false, 'the agent is stopping')
    },
    routes(app: FastifyInstance) {
      app.addHook('preClose', async () => {
        closing = true
        for (const stream of streams.values()) stream.end()
        streams.clear()
      })

      serve(app, 'GET /v1/ctios', async () => statusView())

      serve(app, 'GET /v1/ctios/softphones', async (req) => {
        const {phone, switch: sw, connection} = req.query
        if (phone !== undefined && !env.ipPhones[phone]) throw new NotFoundError(`no IP phone "${phone}" on ${node}`)
        if (sw !== undefined && !env.switches[sw])
          throw new NotFoundError(`no switch "${sw}" on ${node}`, {hint: `switches: ${Object.keys(env.switches).join(', ')}`})
        const softphones = Object.values(env.agents)
          .filter((a) => (phone === undefined || a.phone === phone) && (sw === undefined || a.switch === sw))
          .map((a) => softphoneView(a.id))
          .filter((s) => connection === undefined || s.connection === connection)
        return {node, softphones}
      })

      serve(app, 'GET /v1/ctios/softphones/:id/events', async (req, reply) => {
        const {id} = req.params
        agentOf(id)
        const a = settle().agents[id]
        // LOAD-5: with RejectIfAlreadyLoggedIn = 1 a login with an agent ID already logged in is
        // refused (a second desktop, or the desktop restarted after a crash).
        if (env.rejectIfAlreadyLoggedIn === 1 && a.state !== LOGGED_OUT && (streams.has(id) || a.desktopCrashed)) throw alreadyLoggedIn(a)
        // With 0: one connection per softphone still (the lab's desktop is the agent's only one).
        if (streams.has(id))
          throw new ConflictError(`softphone ${id} is already connected`, {hint: 'another desktop (or client simulator) holds it'})
        const stream: EventStream = openEventStream(reply, () => closeSoftphone(id, stream))
        openSoftphone(id, stream)
        return undefined
      })

      serve(app, 'POST /v1/ctios/softphones/:id/state', async (req) => {
        const {id} = req.params
        agentOf(id)
        const t = requestState(env, id, req.body.state)
        apply(t)
        deliver(t)
        if (t.effects.length > 0) count('CtiAgentState', `agent state → ${req.body.state}`, undefined, id)
        return {node, softphone: softphoneView(id)}
      })

      // LOAD-5: the supervisor's logout of an agent (after a desktop crash, its only way back in).
      serve(app, 'POST /v1/ctios/agents/:id/logout', async (req) => {
        const {id} = req.params
        agentOf(id)
        const t = logoutAgent(env, id)
        apply(t)
        deliver(t)
        if (t.rule)
          ctx.events.emit({type: 'CtiAgentState', message: t.message, data: {rule: 'LOAD-5', agent: id, softphones: 1, sample: [id]}})
        return ctx.operations.done('ctios-agent-logout', {agent: id}, t.message, {agent: id, softphone: softphoneView(id)})
      })

      serve(
        app,
        'POST /v1/ctios/faults',
        async (req, reply) => {
          const fault = acceptFault(req.body)
          const target = {component: fault.component, action: fault.action, ...(fault.id ? {id: fault.id} : {})}
          if (fault.component === 'ctios-server') {
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
            reply.code(202)
            return op
          }
          const t = applyFault(settle(), fault)
          commitFault(t, fault)
          return ctx.operations.done('ctios-fault', target, t.message, {
            fault: target,
            effects: sendSummary(t.effects),
            ctios: statusView(),
          })
        },
        async (req) => faultPlan(settle(), node, acceptFault(req.body)),
      )
    },
  }
}
