// The Connection Server Role Manager of a Unity Connection agent (SPEC §4, UC-1..16): keepalives
// with the peer, the server status and its automatic changes (UC-12, UC-13), split brain and
// its recovery (UC-11), manual status changes (UC-7, UC-8, UC-14), simulated calls and voice
// messages with their replication (UC-2). The rules are the pure machine of
// ../domain/connection-role.ts, hosted by a ReducerHost: its long effects (services, the network
// check, a handover) run one at a time on the host's executor, while the loop (tick, keepalive,
// replication timers) never waits on them. The routes are ./connection-routes.ts.
import type {AddressInfo} from 'node:net'
import type {FastifyInstance} from 'fastify'
import type {Answer, Preview} from '../api/index.js'
import {AgentClient} from '../client/agent-client.js'
import {type ManualAction, planManualAction} from '../domain/connection-cluster.js'
import type {Integration} from '../domain/connection-checks.js'
import {INTEGRATIONS} from '../domain/connection-checks.js'
import {
  type HandoverPhase,
  initialRoleState,
  networkFine,
  peerStatusOf,
  type RoleEffect,
  type RoleEvent,
  type RoleState,
  type RoleTiming,
  type StatusChange,
  stepRole,
} from '../domain/connection-role.js'
import {answersCalls, replicationAllowed, type ServerStatus, servicesWanted, statusDefinition} from '../domain/connection-statuses.js'
import {type ActionEffect, connectionStopEffect, type EffectAction, stopsService} from '../domain/effects.js'
import {JsonStore} from '../durable.js'
import {RefusedError, UcctlError, UnreachableError, UsageError, WaitTimeoutError} from '../errors.js'
import {ReplicatedStore} from './connection-messages.js'
import {serveConnection} from './connection-routes.js'
import type {AgentContext, AgentModule} from './module.js'
import {ReducerHost} from './reducer-host.js'

export interface ConnectionSettings {
  /** The server's own MAC address (UC-16). */
  mac?: string
  /** The MAC address its installed license holds (UC-16). */
  licenseMac?: string
  /** UC-15: integration type and voice-messaging ports of this server. */
  integration?: Integration
  ports?: number
  phoneSystemPorts?: number
  /** UC-13 step 2: other known servers pinged to verify the network (besides localhost). */
  knownServers?: Array<{name: string; url: string}>
}

interface Saved {
  status: ServerStatus | null
  takingCalls: boolean
  lastChange: StatusChange | null
  callsDropped: number
}

export interface Call {
  id: string
  startedAt: string
  endsAt: string
  timer: NodeJS.Timeout
}

/** The body of a manual action (POST /v1/cluster/:action). */
export interface ManualBody {
  dropCalls?: boolean
  drain?: boolean
  drainTimeoutMs?: number
}

/** An event folded at the time it happened (the machine takes time in, never reads a clock). */
interface Timed {
  event: RoleEvent
  nowMs: number
}

const REPLICATION_BATCH = 200

function parseSettings(raw: unknown): ConnectionSettings {
  const s = (raw ?? {}) as Record<string, unknown>
  const bad = (what: string) => new UsageError(`settings.connection.${what}`)
  if (typeof s !== 'object' || Array.isArray(s)) throw bad('must be an object')
  if (s.integration !== undefined && !INTEGRATIONS.includes(s.integration as Integration))
    throw bad(`integration must be one of ${INTEGRATIONS.join(', ')}`)
  for (const k of ['ports', 'phoneSystemPorts'] as const) {
    if (s[k] !== undefined && !(Number.isInteger(s[k]) && (s[k] as number) >= 0)) throw bad(`${k} must be a whole number`)
  }
  for (const k of ['mac', 'licenseMac'] as const) if (s[k] !== undefined && typeof s[k] !== 'string') throw bad(`${k} must be a string`)
  const known = s.knownServers ?? []
  if (
    !Array.isArray(known) ||
    known.some((k) => typeof k?.name !== 'string' || typeof k?.url !== 'string' || !/^https?:\/\//.test(k.url))
  ) {
    throw bad('knownServers must be a list of {name, url}')
  }
  return s as ConnectionSettings
}

/** Runs `task` unless it already runs (one keepalive, one replication at a time). */
function singleFlight(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  return () => (running ??= task().finally(() => (running = undefined)))
}

/** Runs `task` once after this turn, however often it is asked for meanwhile. */
function afterThisTurn(task: () => void): () => void {
  let asked = false
  return () => {
    if (asked) return
    asked = true
    setImmediate(() => {
      asked = false
      task()
    })
  }
}

export type RoleManager = ReturnType<typeof roleManager>

function roleManager(ctx: AgentContext) {
  const self = ctx.config.name
  const role = ctx.config.role
  const settings = parseSettings(ctx.config.settings.connection)
  // UC-1: exactly two servers; the other one is this node's peer.
  const peerName = ctx.config.peers[0]?.name ?? '(no peer)'
  const hasPeer = ctx.config.peers.length > 0
  const tv = ctx.config.timingValues
  const timing: RoleTiming = {
    keepaliveIntervalMs: tv.cucKeepaliveIntervalMs,
    keepaliveTimeoutMs: tv.cucKeepaliveTimeoutMs,
    startingMs: tv.cucStartingMs,
    replicatingDataMs: tv.cucReplicatingDataMs,
    splitBrainRecoveryMs: tv.cucSplitBrainRecoveryMs,
  }
  const dir = ctx.stateDir('cluster')
  const saved = new JsonStore<Saved>(dir, 'role.json', {status: null, takingCalls: true, lastChange: null, callsDropped: 0})
  const records = new ReplicatedStore(dir)
  const calls = new Map<string, Call>()
  const counters = {callsAnswered: 0, callsRejected: 0, messagesAccepted: 0, messagesRejected: 0}
  const stateListeners = new Set<() => void>()
  const life = new AbortController()
  let appRef: FastifyInstance | undefined
  /** Why the last handover failed (the peer's own answer), for the operation that asked for it. */
  let lastHandoverError: UcctlError | undefined

  const emit = (type: string, message: string, data: Record<string, unknown> = {}) => ctx.events.emit({type, message, data})
  const has = (service: string) => ctx.nodeManager.names().includes(service)
  const now = (event: RoleEvent): Timed => ({event, nowMs: Date.now()})

  // ---- the machine, and its effects on the one executor ------------------------------------
  /** Effects that take no time, performed as their event is folded (never behind a long one). */
  const IMMEDIATE = new Set<RoleEffect['type']>(['event', 'persist', 'kickKeepalive', 'dropCalls'])
  const host: ReducerHost<RoleState, Timed, RoleEffect> = new ReducerHost<RoleState, Timed, RoleEffect>(
    initialRoleState({
      self,
      role,
      peer: peerName,
      nowMs: Date.now(),
      saved: {status: saved.data.status ?? undefined, takingCalls: saved.data.takingCalls, lastChange: saved.data.lastChange},
    }),
    {
      reduce: (state, t) => stepRole(state, t.event, t.nowMs, timing),
      immediate: (e) => IMMEDIATE.has(e.type),
      performNow: (e) => void performNow(e),
      perform,
      failed: (effect, error) => {
        ctx.log.warn({err: error, effect: effect.type}, 'role manager effect failed')
        return undefined
      },
      folded: () => {
        for (const l of [...stateListeners]) l()
        checkDownSoon()
      },
    },
  )
  const dispatch = (event: RoleEvent): void => host.dispatch(now(event))
  const state = () => host.state

  /** The effects that take no time: said, saved, or the loop woken, as the step is folded. */
  function performNow(e: RoleEffect): void {
    switch (e.type) {
      case 'event':
        emit(e.eventType, e.message, {rule: e.rule, ...(e.step ? {step: e.step} : {}), ...e.data})
        break
      case 'persist':
        saved.data = {...saved.data, status: state().status, takingCalls: state().takingCalls, lastChange: state().lastChange}
        saved.save()
        break
      case 'kickKeepalive':
        setImmediate(() => void sendKeepalive())
        break
      case 'dropCalls':
        dropCalls()
        break
    }
  }

  /** The long effects, one at a time; what they learn comes back as events. */
  async function perform(e: RoleEffect): Promise<Timed | undefined> {
    switch (e.type) {
      case 'startServices':
        await serviceTask([], e.services)
        return undefined
      case 'sbrStep':
        await serviceTask(e.stop, e.start)
        return life.signal.aborted ? undefined : now({type: 'sbrStepDone', phase: e.phase})
      case 'checkNetwork':
        return now(await checkNetwork())
      case 'handover':
        return handover(e.phase)
      default:
        return undefined
    }
  }

  /** Stops, then starts, real service processes in order, as the role manager does. */
  async function serviceTask(stop: readonly string[], start: readonly string[]): Promise<void> {
    for (const name of stop.filter(has)) {
      if (ctx.nodeManager.isStopped(name)) continue
      await ctx.nodeManager.stop(name).catch((error) => ctx.log.warn({err: error, service: name}, 'role manager could not stop a service'))
    }
    for (const name of start.filter(has)) {
      if (life.signal.aborted || ctx.nodeManager.isRunning(name)) continue
      await ctx.nodeManager
        .start(name)
        .catch((error) => ctx.log.warn({err: error, service: name}, 'role manager could not start a service'))
    }
    checkDownSoon()
  }

  /** The services the effect that runs now starts or stops: the role manager's, not a critical stop. */
  function managing(name: string): boolean {
    const f = host.performing
    if (f?.type === 'startServices') return f.services.includes(name)
    if (f?.type === 'sbrStep') return f.stop.includes(name) || f.start.includes(name)
    return false
  }

  // UC-10: a critical service that should run here and is stopped (not by the role manager).
  const checkDownSoon = afterThisTurn(() => {
    if (life.signal.aborted) return
    const s = state()
    const wanted = servicesWanted(s.status, s.sbr?.phase ?? null, role).filter(has)
    const down = wanted.filter((n) => !managing(n) && ['Stopped', 'Failed'].includes(ctx.nodeManager.status(n).state)).sort()
    if (down.join('\n') !== [...s.down].sort().join('\n')) dispatch({type: 'servicesDown', down})
  })

  // ---- keepalives (UC-5) -------------------------------------------------------------------
  const myInfo = (): Answer<'GET /v1/cluster/keepalive'> => ({
    status: state().status,
    since: state().statusSinceMs,
    sbrPhase: state().sbr?.phase ?? null,
    pendingToPeer: records.pendingFor(peerName),
  })
  const sendKeepalive = singleFlight(async () => {
    if (!hasPeer || life.signal.aborted) return
    try {
      const me = myInfo()
      const client = ctx.peer(peerName, {timeoutMs: Math.max(1000, timing.keepaliveIntervalMs)})
      const peer = await client.call('GET /v1/cluster/keepalive', {
        query: {from: self, status: me.status, since: me.since, sbrPhase: me.sbrPhase ?? '', pending: me.pendingToPeer},
      })
      if (!life.signal.aborted) dispatch({type: 'keepalive', peer})
    } catch {
      // Silence is what the role manager measures (tick): nothing to do here.
    }
  })

  // ---- UC-13 step 2: localhost and the other known servers -------------------------------
  async function checkNetwork(): Promise<RoleEvent> {
    const addr = appRef?.server.address() as AddressInfo | null | undefined
    const answers = async (t: {name: string; url: string}, gated: boolean) => {
      try {
        // A lab network cut (lab isolate NODE) reaches the known servers too; localhost never.
        if (gated) ctx.faults.checkOutbound(t.name)
        await new AgentClient(t, {timeoutMs: 1000, ca: ctx.config.tls?.caPem}).call('GET /v1/health')
        return true
      } catch (error) {
        // Any answer means the host is reachable; only no answer at all is a network problem.
        return !(error instanceof UnreachableError)
      }
    }
    const localhost = addr
      ? await answers({name: 'localhost', url: `${ctx.config.tls ? 'https' : 'http'}://127.0.0.1:${addr.port}`}, false)
      : false
    const known = await Promise.all((settings.knownServers ?? []).map(async (t) => ({name: t.name, answered: await answers(t, true)})))
    return {type: 'networkChecked', ...networkFine(localhost, known)}
  }

  // ---- UC-12 / UC-14: telling the peer's role manager ------------------------------------
  async function handover(phase: HandoverPhase): Promise<Timed | undefined> {
    try {
      const body = await ctx.peer(peerName).call('POST /v1/cluster/handover', {
        body: {from: self, phase, status: state().status, since: state().statusSinceMs},
      })
      lastHandoverError = undefined
      if (phase === 'commit') return undefined
      return now({type: 'handoverAnswered', ok: true, peer: {status: body.status, since: body.since, sbrPhase: null, pendingToPeer: 0}})
    } catch (error) {
      lastHandoverError = error instanceof UcctlError ? error : new UnreachableError(String(error))
      if (phase !== 'commit') return now({type: 'handoverAnswered', ok: false, error: lastHandoverError.message})
      emit('RoleManager', `${peerName} did not take Primary (${lastHandoverError.message})`, {rule: 'UC-12'})
      return undefined
    }
  }

  // ---- calls (UC-2, UC-8) ------------------------------------------------------------------
  function dropCalls(): void {
    const n = calls.size
    for (const c of calls.values()) clearTimeout(c.timer)
    calls.clear()
    if (n === 0) return
    saved.data.callsDropped += n
    saved.save()
    emit('RoleManager', `${n} call${n === 1 ? '' : 's'} in progress dropped: Secondary → Deactivated (UC-8)`, {rule: 'UC-8', dropped: n})
  }

  /** Why this server takes no call or message now, or undefined when it does. */
  function notTaking(): {rule: string; message: string} | undefined {
    const s = state()
    if (!answersCalls(s.status, s.takingCalls)) {
      return s.takingCalls
        ? {rule: 'UC-2', message: `${self} is ${s.status}: it answers no calls`}
        : {rule: 'UC-8', message: `${self} is not taking calls (Stop Taking Calls)`}
    }
    return undefined
  }

  /** UC-5: until the Secondary learns that the Primary is gone, its users cannot send messages. */
  function deafSecondary(): boolean {
    const s = state()
    return s.status === 'Secondary' && (s.peerLost || Date.now() - (s.peerLastHeardMs ?? 0) > 2 * timing.keepaliveIntervalMs)
  }

  // ---- replication (UC-2, UC-11) -----------------------------------------------------------
  const replicate = singleFlight(async () => {
    const s = state()
    if (!hasPeer || life.signal.aborted || !s.peerInfo || s.peerLost || !replicationAllowed(s.status, s.peerInfo.status).allowed) return
    try {
      for (;;) {
        const {records: batch, next} = records.batchFor(peerName, REPLICATION_BATCH)
        if (batch.length > 0)
          await ctx
            .peer(peerName, {timeoutMs: 5000})
            .call('POST /v1/cluster/replicate', {body: {from: self, status: state().status, records: batch}})
        records.ack(peerName, next)
        if (batch.length === 0) break
      }
    } catch {
      // The peer refused (statuses changed) or is gone: the cursor stays; sent again later.
    } finally {
      if (!life.signal.aborted) dispatch({type: 'pending', pendingToPeer: records.pendingFor(peerName)})
    }
  })

  // ---- views -------------------------------------------------------------------------------
  function view(): Answer<'GET /v1/cluster'> {
    const s = state()
    const peerStatus = peerStatusOf(s) ?? null
    const repl = peerStatus ? replicationAllowed(s.status, peerStatus) : {allowed: false, rule: 'UC-5', why: 'no news of the peer yet'}
    const pending = records.pendingFor(peerName)
    const storeUnmounted =
      s.status === 'Split Brain Recovery' && s.sbr !== null && (s.sbr.phase === 'stopped' || (s.sbr.phase === null && s.sbr.inFlight))
    return {
      name: self,
      role,
      status: s.status,
      answersCalls: answersCalls(s.status, s.takingCalls),
      takingCalls: s.takingCalls,
      callsInProgress: calls.size,
      acceptsAdminChanges: statusDefinition(s.status).acceptsAdminChanges,
      degraded: s.down,
      ports: settings.ports ?? null,
      phoneSystemPorts: settings.phoneSystemPorts ?? null,
      integration: settings.integration ?? null,
      mac: settings.mac ?? null,
      licenseMac: settings.licenseMac ?? null,
      lastChange: s.lastChange,
      messageStore: storeUnmounted ? 'unmounted' : 'mounted',
      splitBrainRecoveryPhase: s.sbr?.phase ?? null,
      replication: {
        state: !repl.allowed ? 'not replicating' : pending > 0 ? 'replicating' : 'in sync',
        allowed: repl.allowed,
        rule: repl.rule,
        why: repl.why,
        pendingToPeer: pending,
        messages: records.count('message'),
        adminChanges: records.count('admin'),
      },
      peer: {
        name: peerName,
        status: peerStatus,
        lost: s.peerLost,
        lastKeepalive: s.peerLastHeardMs ? new Date(s.peerLastHeardMs).toISOString() : null,
      },
      counters: {...counters, callsDropped: saved.data.callsDropped},
    }
  }

  /** Resolves when `done` holds after a state change, or rejects after `timeoutMs`. */
  function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const l = () => {
        if (!done()) return
        clearTimeout(timer)
        stateListeners.delete(l)
        resolve()
      }
      const timer = setTimeout(() => {
        stateListeners.delete(l)
        reject(new RefusedError(`gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`, {rule: 'UC-2'}))
      }, timeoutMs)
      stateListeners.add(l)
    })
  }
  /** Wakes the waits (a call ended, a drain was cancelled): they look again. */
  const wake = () => {
    for (const l of [...stateListeners]) l()
  }

  /** Reports the role manager's events to an operation's progress while `work` runs. */
  async function withProgress<T>(progress: (m: string) => void, work: () => Promise<T>): Promise<T> {
    const unsubscribe = ctx.events.subscribe((e) => {
      if (e.type === 'ClusterStatus' || e.type === 'Alarm' || e.type === 'RoleManager') progress(e.message)
    })
    try {
      return await work()
    } finally {
      unsubscribe()
    }
  }

  // ---- manual actions (UC-4, UC-7, UC-8, UC-14) --------------------------------------------
  function planFor(action: ManualAction) {
    const s = state()
    const peerStatus = peerStatusOf(s)
    return planManualAction(
      action,
      {name: self, role, status: s.status, takingCalls: s.takingCalls, callsInProgress: calls.size},
      peerStatus && peerStatus !== 'Not Functioning' ? {name: peerName, status: peerStatus} : undefined,
    )
  }

  /** The dry run of a manual action: its plan, as the agent would carry it out now (a refusal names its rule). */
  function preview(action: ManualAction, body: ManualBody): Preview<'POST /v1/cluster/:action'> {
    const plan = planFor(action)
    const draining = action === 'deactivate' && body.drain === true
    const wait = Math.round((body.drainTimeoutMs ?? 60_000) / 1000)
    const changes =
      draining && plan.dropsCalls > 0
        ? [`${self}: stops taking calls; waits up to ${wait} s for its ${plan.dropsCalls} call(s) to end`, ...plan.changes]
        : plan.changes
    const warnings = draining ? [] : plan.warnings
    return {
      node: self,
      action: `cluster ${action}`,
      currentStatus: state().status,
      changes,
      rules: plan.rules,
      warnings,
      effects: warnings.map((message) => ({rule: 'UC-8', kind: 'warning' as const, message})),
      dropsCalls: draining ? 0 : plan.dropsCalls,
    }
  }

  async function manual(
    action: ManualAction,
    body: ManualBody,
    progress: (m: string) => void,
    signal: AbortSignal,
    drain: {waiting: boolean},
  ): Promise<Record<string, unknown>> {
    return withProgress(progress, async () => {
      if (action === 'deactivate' && body.drain) {
        const stopped = state().takingCalls
        if (stopped) dispatch({type: 'manual', action: 'stop-taking-calls'})
        if (calls.size > 0) progress(`waiting for ${calls.size} call(s) in progress to end (UC-8)`)
        const limit = body.drainTimeoutMs ?? 60_000
        drain.waiting = true
        signal.addEventListener('abort', wake)
        try {
          await until(() => calls.size === 0 || signal.aborted, limit, 'the calls in progress to end')
        } catch {
          // Stop Taking Calls changed the server: not a refusal (5) but a wait that ran out (124).
          throw new WaitTimeoutError(
            `${calls.size} call(s) still in progress on ${self} after ${Math.round(limit / 1000)} s: not deactivated; it stays in Stop Taking Calls`,
            {
              rule: 'UC-8',
              hint: `wait longer (--timeout), take calls again (ucctl cluster take-calls ${self}), or deactivate without --drain to drop them`,
              details: {status: state().status, takingCalls: state().takingCalls, callsInProgress: calls.size},
            },
          )
        } finally {
          drain.waiting = false
        }
        if (signal.aborted) {
          // Cancelled while draining: the server takes calls again, as before the drain.
          if (stopped) dispatch({type: 'manual', action: 'take-calls'})
          throw new Error(`${self} takes calls again (drain cancelled before deactivation)`)
        }
        planFor('deactivate') // the status may have changed while draining
      }
      const before = state().status
      dispatch({type: 'manual', action})
      if (action === 'make-primary') {
        await until(() => state().status === 'Primary' || state().handover === null, 30_000, `${self} to become Primary`)
        if (state().status !== 'Primary')
          throw lastHandoverError ?? new RefusedError(`${peerName} did not give up Primary`, {rule: 'UC-14'})
      }
      if (action === 'activate') {
        await until(() => state().status !== 'Starting', timing.startingMs + timing.keepaliveTimeoutMs + 30_000, `${self} to end Starting`)
      }
      return {
        server: self,
        from: before,
        status: state().status,
        takingCalls: state().takingCalls,
        callsInProgress: calls.size,
        callsDropped: saved.data.callsDropped,
      }
    })
  }

  return {
    self,
    peerName,
    records,
    calls,
    counters,
    callsDropped: () => saved.data.callsDropped,
    state,
    dispatch,
    view,
    myInfo,
    notTaking,
    deafSecondary,
    planFor,
    preview,
    manual,
    wake,
    replicateSoon: () => setImmediate(() => void replicate()),
    start(app: FastifyInstance) {
      appRef = app
      emit('ClusterStatus', `${self} is ${state().status} (agent started; the ${role})`, {rule: 'UC-2', to: state().status})
      const timers = [
        setInterval(() => dispatch({type: 'tick'}), Math.min(250, timing.keepaliveIntervalMs)),
        setInterval(() => void sendKeepalive(), timing.keepaliveIntervalMs),
        setInterval(() => void replicate(), timing.keepaliveIntervalMs),
      ]
      for (const t of timers) t.unref()
      const unsubscribe = ctx.events.subscribe((e) => {
        if (e.type === 'ServiceState') checkDownSoon()
      })
      life.signal.addEventListener('abort', () => {
        for (const t of timers) clearInterval(t)
        unsubscribe()
      })
      void sendKeepalive()
    },
    stop() {
      life.abort()
      void host.close()
      for (const c of calls.values()) clearTimeout(c.timer)
      records.close()
    },
    /** UC-10/UC-12: what stopping critical services of a Primary would change (in the previews of actions). */
    effects(action: EffectAction): ActionEffect[] {
      const s = state()
      if (s.status !== 'Primary') return []
      const stopped = servicesWanted(s.status, null, role).filter((n) => has(n) && stopsService(action, n) && ctx.nodeManager.isRunning(n))
      if (stopped.length === 0) return []
      return connectionStopEffect({server: self, role, status: s.status, peer: peerName, peerStatus: peerStatusOf(s), services: stopped})
    },
  }
}

export async function connectionRoleManagerModule(ctx: AgentContext): Promise<AgentModule> {
  const rm = roleManager(ctx)
  let app: FastifyInstance | undefined
  return {
    effects: rm.effects,
    nodeInfo: () => {
      const s = rm.state()
      return {connectionCluster: {status: s.status, answersCalls: answersCalls(s.status, s.takingCalls), peer: rm.peerName}}
    },
    start: () => rm.start(app!),
    stop: () => rm.stop(),
    routes(a: FastifyInstance) {
      app = a
      serveConnection(a, rm, ctx)
    },
  }
}
