// The Connection Server Role Manager of a Unity Connection agent (SPEC §4, UC-1..16): keepalives
// with the peer, the server status and its automatic changes (UC-12, UC-13), split brain and
// its recovery (UC-11), manual status changes (UC-7, UC-8, UC-14), simulated calls and voice
// messages with their replication (UC-2). The rules are the pure machine of
// ../domain/connection-cluster.ts; this file is its I/O: HTTP, timers, real service processes.
import {connectionStopEffect, type ActionEffect, type EffectAction, stopsService} from '../domain/effects.js'
import type {AddressInfo} from 'node:net'
import {randomUUID} from 'node:crypto'
import type {FastifyInstance, FastifyReply} from 'fastify'
import {AgentClient} from '../client/agent-client.js'
import {JsonStore} from '../durable.js'
import {RefusedError, UcctlError, UnreachableError, UsageError, WaitTimeoutError} from '../errors.js'
import {
  acceptPeerHandover,
  answersCalls,
  type Integration,
  INTEGRATIONS,
  initialRoleState,
  type ManualAction,
  MANUAL_ACTIONS,
  type PeerInfo,
  peerStatusOf,
  planManualAction,
  type RoleEffect,
  type RoleEvent,
  type RoleState,
  type RoleTiming,
  replicationAllowed,
  type SbrPhase,
  type ServerStatus,
  networkFine,
  servicesWanted,
  STATUS_NAMES,
  type StatusChange,
  stepRole,
  statusDefinition,
} from '../domain/connection-cluster.js'
import {type ClusterRecord, ReplicatedStore} from './connection-messages.js'
import type {AgentContext, AgentModule} from './module.js'

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

interface Call {
  id: string
  startedAt: string
  endsAt: string
  timer: NodeJS.Timeout
}

const REPLICATION_BATCH = 200
const MAX_CALL_MS = 3_600_000

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

const keepaliveQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'status', 'since'],
  properties: {
    from: {type: 'string', minLength: 1, maxLength: 63},
    status: {enum: [...STATUS_NAMES]},
    since: {type: 'integer', minimum: 0},
    sbrPhase: {enum: ['stopped', 'publisher-started', 'subscriber-started', '']},
    pending: {type: 'integer', minimum: 0},
  },
} as const

const recordSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'acceptedBy', 'acceptedAt', 'data'],
  properties: {
    id: {type: 'string', minLength: 1, maxLength: 200},
    kind: {enum: ['message', 'admin']},
    acceptedBy: {type: 'string'},
    acceptedAt: {type: 'string'},
    receivedFrom: {type: 'string'},
    data: {type: 'object'},
  },
} as const

const idField = {type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\w.:@-]+$'}

export async function connectionRoleManagerModule(ctx: AgentContext): Promise<AgentModule> {
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
  let state: RoleState = initialRoleState({
    self,
    role,
    peer: peerName,
    nowMs: Date.now(),
    saved: {status: saved.data.status ?? undefined, takingCalls: saved.data.takingCalls, lastChange: saved.data.lastChange},
  })
  const calls = new Map<string, Call>()
  const counters = {callsAnswered: 0, callsRejected: 0, messagesAccepted: 0, messagesRejected: 0}
  /** Services the role manager is starting or stopping itself (not a critical service stop). */
  const managing = new Set<string>()
  const stateListeners = new Set<() => void>()
  const timers: NodeJS.Timeout[] = []
  let appRef: FastifyInstance | undefined
  let unsubscribe: (() => void) | undefined
  let closed = false

  const emit = (type: string, message: string, data: Record<string, unknown> = {}) => ctx.events.emit({type, message, data})
  const has = (service: string) => ctx.nodeManager.names().includes(service)

  // ---- the machine and its effects --------------------------------------------------------
  const queue: RoleEvent[] = []
  let dispatching = false
  const dispatch = (e: RoleEvent): void => {
    queue.push(e)
    if (dispatching) return
    dispatching = true
    try {
      while (queue.length > 0) {
        const r = stepRole(state, queue.shift()!, Date.now(), timing)
        state = r.state
        for (const effect of r.effects) run(effect)
        for (const l of [...stateListeners]) l()
      }
    } finally {
      dispatching = false
    }
    scheduleDownCheck()
  }

  const persist = () => {
    saved.data = {...saved.data, status: state.status, takingCalls: state.takingCalls, lastChange: state.lastChange}
    saved.save()
  }

  const run = (e: RoleEffect): void => {
    switch (e.type) {
      case 'event':
        emit(e.eventType, e.message, {rule: e.rule, ...(e.step ? {step: e.step} : {}), ...e.data})
        break
      case 'persist':
        persist()
        break
      case 'kickKeepalive':
        setImmediate(() => void sendKeepalive())
        break
      case 'dropCalls':
        dropCalls()
        break
      case 'startServices':
        void serviceTask([], e.services)
        break
      case 'checkNetwork':
        void checkNetwork()
        break
      case 'handover':
        void handover(e.phase)
        break
      case 'sbrStep':
        void sbrStep(e.phase, e.stop, e.start)
        break
    }
  }

  /** Stops, then starts, real service processes in order, as the role manager does. */
  async function serviceTask(stop: readonly string[], start: readonly string[]): Promise<void> {
    // All of them are the role manager's from now on, so none counts as a critical service stop.
    for (const name of [...stop, ...start].filter(has)) managing.add(name)
    for (const name of stop.filter(has)) {
      if (ctx.nodeManager.isStopped(name)) {
        managing.delete(name)
        continue
      }
      try {
        await ctx.nodeManager.stop(name)
      } catch (error) {
        ctx.log.warn({err: error, service: name}, 'role manager could not stop a service')
      } finally {
        managing.delete(name)
      }
    }
    for (const name of start.filter(has)) {
      if (closed || ctx.nodeManager.isRunning(name)) {
        managing.delete(name)
        continue
      }
      try {
        await ctx.nodeManager.start(name)
      } catch (error) {
        ctx.log.warn({err: error, service: name}, 'role manager could not start a service')
      } finally {
        managing.delete(name)
      }
    }
    scheduleDownCheck()
  }

  async function sbrStep(phase: SbrPhase, stop: readonly string[], start: readonly string[]): Promise<void> {
    await serviceTask(stop, start)
    if (!closed) dispatch({type: 'sbrStepDone', phase})
  }

  // UC-10: a critical service that should run here and is stopped (not by the role manager).
  let downCheckScheduled = false
  function scheduleDownCheck(): void {
    if (downCheckScheduled || closed) return
    downCheckScheduled = true
    setImmediate(() => {
      downCheckScheduled = false
      if (closed) return
      const wanted = servicesWanted(state.status, state.sbr?.phase ?? null, role).filter(has)
      const down = wanted.filter((n) => !managing.has(n) && ['Stopped', 'Failed'].includes(ctx.nodeManager.status(n).state)).sort()
      if (down.join('\n') !== [...state.down].sort().join('\n')) dispatch({type: 'servicesDown', down})
    })
  }

  // ---- keepalives (UC-5) -------------------------------------------------------------------
  const myInfo = () => ({
    status: state.status,
    since: state.statusSinceMs,
    sbrPhase: state.sbr?.phase ?? null,
    pendingToPeer: records.pendingFor(peerName),
  })
  let keepaliveInFlight = false
  async function sendKeepalive(): Promise<void> {
    if (!hasPeer || keepaliveInFlight || closed) return
    keepaliveInFlight = true
    try {
      const me = myInfo()
      const client = ctx.peer(peerName, {timeoutMs: Math.max(1000, timing.keepaliveIntervalMs)})
      const peer = await client.get<PeerInfo>('/v1/cluster/keepalive', {
        from: self,
        status: me.status,
        since: me.since,
        sbrPhase: me.sbrPhase ?? '',
        pending: me.pendingToPeer,
      })
      if (!closed)
        dispatch({
          type: 'keepalive',
          peer: {status: peer.status, since: peer.since, sbrPhase: peer.sbrPhase, pendingToPeer: peer.pendingToPeer},
        })
    } catch {
      // Silence is what the role manager measures (tick): nothing to do here.
    } finally {
      keepaliveInFlight = false
    }
  }

  // ---- UC-13 step 2: localhost and the other known servers -------------------------------
  async function checkNetwork(): Promise<void> {
    const addr = appRef?.server.address() as AddressInfo | null | undefined
    const answers = async (t: {name: string; url: string}, gated: boolean) => {
      try {
        // A lab network cut (lab isolate NODE) reaches the known servers too; localhost never.
        if (gated) ctx.faults.checkOutbound(t.name)
        await new AgentClient(t, {timeoutMs: 1000, ca: ctx.config.tls?.caPem}).get('/v1/health')
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
    if (!closed) dispatch({type: 'networkChecked', ...networkFine(localhost, known)})
  }

  // ---- UC-12 / UC-14: telling the peer's role manager ------------------------------------
  let lastHandoverError: UcctlError | undefined
  async function handover(phase: 'notify' | 'commit' | 'demote'): Promise<void> {
    try {
      const {body} = await ctx.peer(peerName).post<{status: ServerStatus; since: number}>('/v1/cluster/handover', {
        from: self,
        phase,
        status: state.status,
        since: state.statusSinceMs,
      })
      lastHandoverError = undefined
      if (phase !== 'commit')
        dispatch({type: 'handoverAnswered', ok: true, peer: {status: body.status, since: body.since, sbrPhase: null, pendingToPeer: 0}})
    } catch (error) {
      lastHandoverError = error instanceof UcctlError ? error : new UnreachableError(String(error))
      if (phase !== 'commit') dispatch({type: 'handoverAnswered', ok: false, error: lastHandoverError.message})
      else emit('RoleManager', `${peerName} did not take Primary (${lastHandoverError.message})`, {rule: 'UC-12'})
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

  const reject = (reply: FastifyReply, rule: string, message: string) => reply.status(429).send({error: {code: 'Rejected', message, rule}})

  /** Why this server takes no call or message now, or undefined when it does. */
  function notTaking(): {rule: string; message: string} | undefined {
    if (!answersCalls(state.status, state.takingCalls)) {
      return state.takingCalls
        ? {rule: 'UC-2', message: `${self} is ${state.status}: it answers no calls`}
        : {rule: 'UC-8', message: `${self} is not taking calls (Stop Taking Calls)`}
    }
    return undefined
  }

  // ---- replication (UC-2, UC-11) -----------------------------------------------------------
  let replicating = false
  async function replicate(): Promise<void> {
    if (!hasPeer || replicating || closed) return
    const peer = state.peerInfo
    if (!peer || state.peerLost || !replicationAllowed(state.status, peer.status).allowed) return
    replicating = true
    try {
      for (;;) {
        const {records: batch, next} = records.batchFor(peerName, REPLICATION_BATCH)
        if (batch.length === 0) {
          records.ack(peerName, next)
          break
        }
        await ctx.peer(peerName, {timeoutMs: 5000}).post('/v1/cluster/replicate', {from: self, status: state.status, records: batch})
        records.ack(peerName, next)
      }
    } catch {
      // The peer refused (statuses changed) or is gone: the cursor stays; sent again later.
    } finally {
      replicating = false
      if (!closed) dispatch({type: 'pending', pendingToPeer: records.pendingFor(peerName)})
    }
  }

  // ---- views -------------------------------------------------------------------------------
  function view() {
    const peerStatus = peerStatusOf(state) ?? null
    const repl = peerStatus ? replicationAllowed(state.status, peerStatus) : {allowed: false, rule: 'UC-5', why: 'no news of the peer yet'}
    const pending = records.pendingFor(peerName)
    const storeUnmounted =
      state.status === 'Split Brain Recovery' &&
      state.sbr !== null &&
      (state.sbr.phase === 'stopped' || (state.sbr.phase === null && state.sbr.inFlight))
    return {
      name: self,
      role,
      status: state.status,
      answersCalls: answersCalls(state.status, state.takingCalls),
      takingCalls: state.takingCalls,
      callsInProgress: calls.size,
      acceptsAdminChanges: statusDefinition(state.status).acceptsAdminChanges,
      degraded: state.down,
      ports: settings.ports ?? null,
      phoneSystemPorts: settings.phoneSystemPorts ?? null,
      integration: settings.integration ?? null,
      mac: settings.mac ?? null,
      licenseMac: settings.licenseMac ?? null,
      lastChange: state.lastChange,
      messageStore: storeUnmounted ? 'unmounted' : 'mounted',
      splitBrainRecoveryPhase: state.sbr?.phase ?? null,
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
        lost: state.peerLost,
        lastKeepalive: state.peerLastHeardMs ? new Date(state.peerLastHeardMs).toISOString() : null,
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

  const manualBody = {
    type: 'object',
    additionalProperties: false,
    properties: {
      dropCalls: {type: 'boolean'},
      drain: {type: 'boolean'},
      drainTimeoutMs: {type: 'integer', minimum: 0, maximum: 86_400_000},
    },
  } as const

  function planFor(action: ManualAction) {
    const peerStatus = peerStatusOf(state)
    return planManualAction(
      action,
      {name: self, role, status: state.status, takingCalls: state.takingCalls, callsInProgress: calls.size},
      peerStatus && peerStatus !== 'Not Functioning' ? {name: peerName, status: peerStatus} : undefined,
    )
  }

  async function manual(
    action: ManualAction,
    body: {dropCalls?: boolean; drain?: boolean; drainTimeoutMs?: number},
    progress: (m: string) => void,
    signal: AbortSignal,
    drain: {waiting: boolean},
  ): Promise<Record<string, unknown>> {
    return withProgress(progress, async () => {
      if (action === 'deactivate' && body.drain) {
        const stopped = state.takingCalls
        if (stopped) dispatch({type: 'manual', action: 'stop-taking-calls'})
        if (calls.size > 0) progress(`waiting for ${calls.size} call(s) in progress to end (UC-8)`)
        const limit = body.drainTimeoutMs ?? 60_000
        drain.waiting = true
        signal.addEventListener('abort', () => {
          for (const l of [...stateListeners]) l()
        })
        try {
          await until(() => calls.size === 0 || signal.aborted, limit, 'the calls in progress to end')
        } catch {
          // Stop Taking Calls changed the server: not a refusal (5) but a wait that ran out (124).
          throw new WaitTimeoutError(
            `${calls.size} call(s) still in progress on ${self} after ${Math.round(limit / 1000)} s: not deactivated; it stays in Stop Taking Calls`,
            {
              rule: 'UC-8',
              hint: `wait longer (--timeout), take calls again (ucctl cluster take-calls ${self}), or deactivate without --drain to drop them`,
              details: {status: state.status, takingCalls: state.takingCalls, callsInProgress: calls.size},
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
      const before = state.status
      dispatch({type: 'manual', action})
      if (action === 'make-primary') {
        await until(() => state.status === 'Primary' || state.handover === null, 30_000, `${self} to become Primary`)
        if (state.status !== 'Primary') throw lastHandoverError ?? new RefusedError(`${peerName} did not give up Primary`, {rule: 'UC-14'})
      }
      if (action === 'activate') {
        await until(() => state.status !== 'Starting', timing.startingMs + timing.keepaliveTimeoutMs + 30_000, `${self} to end Starting`)
      }
      return {
        server: self,
        from: before,
        status: state.status,
        takingCalls: state.takingCalls,
        callsInProgress: calls.size,
        callsDropped: saved.data.callsDropped,
      }
    })
  }

  return {
    // UC-10/UC-12: what stopping critical services of a Primary would change (GET /v1/effects).
    effects(action: EffectAction): ActionEffect[] {
      if (state.status !== 'Primary') return []
      const stopped = servicesWanted(state.status, null, role).filter(
        (n) => has(n) && stopsService(action, n) && ctx.nodeManager.isRunning(n),
      )
      if (stopped.length === 0) return []
      return connectionStopEffect({
        server: self,
        role,
        status: state.status,
        peer: peerName,
        peerStatus: peerStatusOf(state),
        services: stopped,
      })
    },

    nodeInfo: () => ({
      connectionCluster: {status: state.status, answersCalls: answersCalls(state.status, state.takingCalls), peer: peerName},
    }),

    start() {
      emit('ClusterStatus', `${self} is ${state.status} (agent started; the ${role})`, {rule: 'UC-2', to: state.status})
      const tick = setInterval(() => dispatch({type: 'tick'}), Math.min(250, timing.keepaliveIntervalMs))
      const keepalive = setInterval(() => void sendKeepalive(), timing.keepaliveIntervalMs)
      const repl = setInterval(() => void replicate(), timing.keepaliveIntervalMs)
      timers.push(tick, keepalive, repl)
      for (const t of timers) t.unref()
      unsubscribe = ctx.events.subscribe((e) => {
        if (e.type === 'ServiceState') scheduleDownCheck()
      })
      void sendKeepalive()
    },

    async stop() {
      closed = true
      for (const t of timers) clearInterval(t)
      for (const c of calls.values()) clearTimeout(c.timer)
      unsubscribe?.()
      records.close()
    },

    routes(app: FastifyInstance) {
      appRef = app

      app.get('/v1/cluster', async () => view())

      // A keepalive is the peer's state as a read (no audit, no idempotency): it changes only
      // what this server knows about its peer.
      app.get<{Querystring: {from: string; status: ServerStatus; since: number; sbrPhase?: string; pending?: number}}>(
        '/v1/cluster/keepalive',
        {schema: {querystring: keepaliveQuery}},
        async (req) => {
          if (req.query.from !== peerName) throw new UsageError(`${req.query.from} is not the peer of ${self}`, {rule: 'UC-1'})
          const q = req.query
          dispatch({
            type: 'keepalive',
            peer: {status: q.status, since: q.since, sbrPhase: (q.sbrPhase || null) as SbrPhase | null, pendingToPeer: q.pending ?? 0},
          })
          return myInfo()
        },
      )

      app.post<{Body: {from: string; status: ServerStatus; records: ClusterRecord[]}}>(
        '/v1/cluster/replicate',
        {
          bodyLimit: 4 * 1024 * 1024,
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'status', 'records'],
              properties: {
                from: {type: 'string'},
                status: {enum: [...STATUS_NAMES]},
                records: {type: 'array', maxItems: 1000, items: recordSchema},
              },
            },
          },
        },
        async (req) => {
          if (req.body.from !== peerName) throw new UsageError(`${req.body.from} is not the peer of ${self}`, {rule: 'UC-1'})
          const allowed = replicationAllowed(req.body.status, state.status)
          if (!allowed.allowed)
            throw new RefusedError(`no replication from ${req.body.status} to ${state.status}: ${allowed.why}`, {rule: allowed.rule})
          const r = records.receive(req.body.records, peerName)
          return {node: self, ...r}
        },
      )

      app.post<{Body: {from: string; phase: 'notify' | 'commit' | 'demote'; status: ServerStatus; since: number}}>(
        '/v1/cluster/handover',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'phase', 'status', 'since'],
              properties: {
                from: {type: 'string'},
                phase: {enum: ['notify', 'commit', 'demote']},
                status: {enum: [...STATUS_NAMES]},
                since: {type: 'integer', minimum: 0},
              },
            },
          },
        },
        async (req) => {
          if (req.body.from !== peerName) throw new UsageError(`${req.body.from} is not the peer of ${self}`, {rule: 'UC-1'})
          const {phase, status, since} = req.body
          acceptPeerHandover(state, phase)
          dispatch({type: 'peerHandover', phase, peer: {status, since, sbrPhase: null, pendingToPeer: state.peerInfo?.pendingToPeer ?? 0}})
          return {node: self, status: state.status, since: state.statusSinceMs}
        },
      )

      for (const action of MANUAL_ACTIONS) {
        app.post<{Body: {dropCalls?: boolean; drain?: boolean; drainTimeoutMs?: number} | undefined}>(
          `/v1/cluster/${action}`,
          {schema: {body: manualBody}},
          async (req, reply) => {
            const body = req.body ?? {}
            if ((body.drain || body.drainTimeoutMs !== undefined) && action !== 'deactivate')
              throw new UsageError('drain applies to deactivate only')
            const plan = planFor(action) // RefusedError (422) names the rule; nothing changes
            const target = {server: self}
            if (plan.noop)
              return reply
                .status(200)
                .send(ctx.operations.done(`cluster ${action}`, target, plan.rules[0], {server: self, status: state.status, plan}))
            if (action === 'deactivate' && plan.dropsCalls > 0 && !body.dropCalls && !body.drain) {
              throw new RefusedError(`${plan.dropsCalls} call(s) in progress on ${self} would be dropped`, {
                rule: 'UC-8',
                hint: 'confirm dropping them, or drain: Stop Taking Calls, wait for the calls to end, then deactivate (--drain)',
                details: {callsInProgress: plan.dropsCalls},
              })
            }
            // A drain can stop safely while it waits for calls (Take Calls restored); not later.
            const drain = {waiting: false}
            const op = ctx.operations.start(
              `cluster ${action}`,
              target,
              [`cluster:${self}`],
              (progress, signal) => manual(action, body, progress, signal, drain),
              {
                cancellable: () =>
                  drain.waiting
                    ? undefined
                    : body.drain
                      ? `${self} is no longer draining: the deactivation has begun`
                      : `cluster ${action} is not a drain`,
              },
            )
            return reply.status(202).send(op)
          },
        )
      }

      app.post<{Body: {durationMs: number}}>(
        '/v1/calls',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['durationMs'],
              properties: {durationMs: {type: 'integer', minimum: 0, maximum: MAX_CALL_MS}},
            },
          },
        },
        async (req, reply) => {
          const no = notTaking()
          if (no) {
            counters.callsRejected++
            return reject(reply, no.rule, no.message)
          }
          const id = randomUUID()
          const now = Date.now()
          const endsAt = new Date(now + req.body.durationMs).toISOString()
          const timer = setTimeout(() => {
            calls.delete(id)
            for (const l of [...stateListeners]) l()
          }, req.body.durationMs)
          timer.unref()
          calls.set(id, {id, startedAt: new Date(now).toISOString(), endsAt, timer})
          counters.callsAnswered++
          return reply.status(201).send({id, node: self, endsAt})
        },
      )

      app.get('/v1/calls', async () => ({
        node: self,
        callsInProgress: calls.size,
        calls: [...calls.values()].map(({timer: _t, ...c}) => c),
        answered: counters.callsAnswered,
        rejected: counters.callsRejected,
        dropped: saved.data.callsDropped,
      }))

      app.post<{Body: {id?: string; from: string; to: string; text: string}}>(
        '/v1/messages',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['from', 'to', 'text'],
              properties: {
                id: idField,
                from: {type: 'string', minLength: 1, maxLength: 200},
                to: {type: 'string', minLength: 1, maxLength: 200},
                text: {type: 'string', maxLength: 10_000},
              },
            },
          },
        },
        async (req, reply) => {
          const id = req.body.id ?? randomUUID()
          if (records.has(id)) return reply.status(200).send({id, node: self, duplicate: true})
          const no = notTaking()
          // UC-5: until the Secondary learns that the Primary is gone, its users cannot send messages.
          const silent =
            state.status === 'Secondary' && (state.peerLost || Date.now() - (state.peerLastHeardMs ?? 0) > 2 * timing.keepaliveIntervalMs)
          if (no || silent) {
            counters.messagesRejected++
            return reject(
              reply,
              no?.rule ?? 'UC-5',
              no?.message ?? `${self} is Secondary and hears nothing from the Primary: mailbox temporarily unavailable`,
            )
          }
          const {id: _id, ...data} = req.body
          records.add({id, kind: 'message', acceptedBy: self, acceptedAt: new Date().toISOString(), data})
          counters.messagesAccepted++
          setImmediate(() => void replicate())
          return reply.status(201).send({id, node: self})
        },
      )

      app.get<{Querystring: {ids?: string; kind?: 'message' | 'admin'}}>(
        '/v1/messages',
        {
          schema: {
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: {ids: {enum: ['1', '0', 'true', 'false']}, kind: {enum: ['message', 'admin']}},
            },
          },
        },
        async (req) => {
          const kind = req.query.kind ?? 'message'
          const withIds = req.query.ids === '1' || req.query.ids === 'true'
          return {
            node: self,
            kind,
            count: records.count(kind),
            digest: records.digest(kind),
            ...(withIds ? {ids: records.idsOf(kind)} : {}),
          }
        },
      )

      app.post<{Body: {id?: string; object: string; change: Record<string, unknown>}}>(
        '/v1/cluster/admin-changes',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['object', 'change'],
              properties: {id: idField, object: {type: 'string', minLength: 1, maxLength: 200}, change: {type: 'object'}},
            },
          },
        },
        async (req, reply) => {
          const id = req.body.id ?? randomUUID()
          if (records.has(id)) return reply.status(200).send({id, node: self, duplicate: true})
          if (!statusDefinition(state.status).acceptsAdminChanges) {
            throw new RefusedError(`${self} is ${state.status}: it does not accept administrative changes`, {rule: 'UC-2'})
          }
          const {id: _id, ...data} = req.body
          records.add({id, kind: 'admin', acceptedBy: self, acceptedAt: new Date().toISOString(), data})
          setImmediate(() => void replicate())
          return reply.status(201).send({id, node: self})
        },
      )
    },
  }
}
