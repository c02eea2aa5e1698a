// Call throttling and Code Yellow in the Unified CM agent (SPEC §7, THR-1..7; seed 004).
//
// What is measured: the agent's own internal-message processing delay. An internal message
// is posted every PROBE_INTERVAL_MS; its delay is the time from when it was due until its
// handling ended, so whatever holds the event loop (call attempts, a slow disk, the lab's
// latency fault) shows up for real. Once per sample interval (timing throttleSampleIntervalMs:
// 1 s documented) the mean delay of that interval, less the timer resolution, rounded to the
// ms, is one sample for the pure monitor of ../domain/throttle.ts. The sample size counts
// samples, whatever the interval; a Code Yellow Duration minute lasts codeYellowMinuteMs.
import {performance} from 'node:perf_hooks'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {FastifyInstance} from 'fastify'
import {JsonStore, writeFileDurably} from '../durable.js'
import {ConflictError, ForbiddenError, RefusedError, RejectedError, UsageError} from '../errors.js'
import {
  admitCall,
  DEFAULT_THROTTLE_PARAMS,
  describeThrottleChanges,
  exitLatencyMs,
  initialThrottleState,
  resolveThrottleParams,
  stepThrottle,
  type ThrottleEvent,
  type ThrottleParams,
  throttleStateAfterRestart,
  validateThrottleParams,
} from '../domain/throttle.js'
import type {AgentContext, AgentModule} from './module.js'
import {serve} from './route.js'

export const CALLMANAGER_SERVICE = 'Cisco CallManager'
/** How often an internal message is posted (not a documented duration: the probe's rate). */
export const PROBE_INTERVAL_MS = 50
/** Delays within the timer's resolution are no delay: an idle node samples 0 (THR-6). */
export const TIMER_RESOLUTION_MS = 1
const RECENT_SAMPLES = 60

const ALARM_RULE: Record<ThrottleEvent['type'], string> = {CodeYellowEntry: 'THR-2', CodeYellowExit: 'THR-3', CodeRedEntry: 'THR-4'}

/** Holds the event loop for `ms`, as slow message processing would. */
function busyWait(ms: number): void {
  if (ms <= 0) return
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

export async function throttleModule(ctx: AgentContext): Promise<AgentModule> {
  const node = ctx.config.name
  const timing = ctx.config.timingValues
  const dir = ctx.stateDir('throttle')
  // Settings may set initial parameters (validated); values changed later are kept durably.
  const initial = resolveThrottleParams((ctx.config.settings.throttle as Record<string, unknown> | undefined) ?? {})
  const store = new JsonStore<{params: ThrottleParams}>(dir, 'params.json', {params: initial})
  store.data.params = {...DEFAULT_THROTTLE_PARAMS, ...store.data.params}

  let state = initialThrottleState()
  let latencyFaultMs = 0
  let lastCodeRed: {time: string; dump: string; pidBefore: number | null; pidAfter: number | null} | null = null
  let restarting: Promise<void> | null = null
  const recent: Array<{time: string; delayMs: number}> = []
  const counts = {CallsAttempted: 0, CallsAdmitted: 0, CallsInProgress: 0}
  // The current sample interval's internal messages.
  let bucket = {sum: 0, n: 0}
  let lastTick = performance.now()
  let probeTimer: NodeJS.Timeout | null = null
  let sampleTimer: NodeJS.Timeout | null = null
  const callTimers = new Set<NodeJS.Timeout>()

  const probe = () => {
    const due = performance.now() + PROBE_INTERVAL_MS
    probeTimer = setTimeout(() => {
      busyWait(latencyFaultMs)
      bucket.sum += performance.now() - due
      bucket.n++
      probe()
    }, PROBE_INTERVAL_MS)
    probeTimer.unref()
  }

  const alarm = (e: ThrottleEvent) =>
    ctx.events.emit({
      type: 'Alarm',
      service: CALLMANAGER_SERVICE,
      message: `${e.type}: ${e.message}`,
      data: {alarm: e.type, rule: ALARM_RULE[e.type], averageExpectedDelayMs: e.averageExpectedDelayMs, state: state.state},
    })

  /**
   * The restart is an operation under the service's lock, like an operator's `service cycle`:
   * one that is running is waited for, never raced.
   */
  const restartUnderLock = async (): Promise<number | null> => {
    for (;;) {
      let op: ReturnType<typeof ctx.operations.start>
      try {
        op = ctx.operations.start(
          'code-red-restart',
          {service: CALLMANAGER_SERVICE},
          [`service:${CALLMANAGER_SERVICE}`],
          async (progress) => {
            progress(`Code Red (THR-4): restarting ${CALLMANAGER_SERVICE}`)
            return {service: await ctx.nodeManager.cycle(CALLMANAGER_SERVICE)}
          },
        )
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error
        await sleep(100)
        continue
      }
      while (op.state === 'running') op = await ctx.operations.waitForChange(op.id, op.transitions.length, 1000)
      if (op.state === 'failed') throw new Error(op.error?.message ?? 'restart failed')
      return ctx.nodeManager.status(CALLMANAGER_SERVICE).pid
    }
  }

  /** THR-4: Code Red restarts the Cisco CallManager service and writes a memory dump. */
  const codeRed = async (e: ThrottleEvent) => {
    const time = new Date().toISOString()
    const has = ctx.nodeManager.names().includes(CALLMANAGER_SERVICE)
    const pidBefore = has ? ctx.nodeManager.status(CALLMANAGER_SERVICE).pid : null
    const dump = join(dir, `codered-${time.replaceAll(':', '-')}.json`)
    writeFileDurably(
      dump,
      JSON.stringify(
        {
          node,
          time,
          reason: e.message,
          rule: 'THR-4',
          service: CALLMANAGER_SERVICE,
          pid: pidBefore,
          params: store.data.params,
          counters: state.counters,
          codeYellowSinceMs: state.codeYellowSinceMs,
          latencyFaultMs,
          recentSamples: recent,
        },
        null,
        2,
      ),
    )
    ctx.events.emit({
      type: 'MemoryDump',
      service: CALLMANAGER_SERVICE,
      message: `Code Red: memory dump written to ${dump} (THR-4)`,
      data: {file: dump, rule: 'THR-4'},
    })
    let pidAfter: number | null = null
    if (has) {
      try {
        pidAfter = await restartUnderLock()
      } catch (error) {
        ctx.log.error({err: error}, 'Code Red restart of Cisco CallManager failed')
      }
    }
    lastCodeRed = {time, dump, pidBefore, pidAfter}
    // The service started over: so does its monitor (perfmon counters count from its start).
    state = throttleStateAfterRestart()
  }

  const sample = () => {
    const now = performance.now()
    // No message handled this interval: the loop was held all along; the tick's own lateness says how long.
    const raw = bucket.n > 0 ? bucket.sum / bucket.n : Math.max(0, now - lastTick - timing.throttleSampleIntervalMs)
    lastTick = now
    bucket = {sum: 0, n: 0}
    const delayMs = Math.max(0, Math.round(raw - TIMER_RESOLUTION_MS))
    recent.push({time: new Date().toISOString(), delayMs})
    if (recent.length > RECENT_SAMPLES) recent.shift()
    const r = stepThrottle(state, {timeMs: now, delayMs}, store.data.params, {minuteMs: timing.codeYellowMinuteMs})
    state = r.state
    for (const e of r.events) {
      alarm(e)
      if (e.type === 'CodeRedEntry' && !restarting) restarting = codeRed(e).finally(() => (restarting = null))
    }
  }

  const status = () => {
    const p = store.data.params
    const c = state.counters
    const since = state.codeYellowSinceMs
    return {
      node,
      state: state.state,
      averageExpectedDelayMs: c.AverageExpectedDelay,
      throttlingSampleActivity: c.ThrottlingSampleActivity,
      callsRejected: c.CallsRejectedDueToThrottling,
      sampleSize: p.systemThrottleSampleSizeSec,
      enabled: p.systemThrottleSampleSizeSec > 0,
      thresholds: {entryMs: p.codeYellowEntryLatencyMs, exitMs: exitLatencyMs(p)},
      counters: {...c, ...counts},
      params: p,
      codeYellowSince: since === null ? null : new Date(Date.now() - (performance.now() - since)).toISOString(),
      lastCodeRed,
      latencyFaultMs,
      sampleIntervalMs: timing.throttleSampleIntervalMs,
      minuteMs: timing.codeYellowMinuteMs,
      recentSamples: recent.slice(-20),
    }
  }

  return {
    nodeInfo: () => ({throttle: {state: state.state, averageExpectedDelayMs: state.counters.AverageExpectedDelay}}),
    start() {
      lastTick = performance.now()
      probe()
      sampleTimer = setInterval(sample, timing.throttleSampleIntervalMs)
      sampleTimer.unref()
    },
    async stop() {
      if (probeTimer) clearTimeout(probeTimer)
      if (sampleTimer) clearInterval(sampleTimer)
      for (const t of callTimers) clearTimeout(t)
      await restarting
    },
    routes(app: FastifyInstance) {
      serve(app, 'GET /v1/throttle', async () => status())

      /** THR-2..5 ranges (the answer names the rule), then what would change. */
      const checkParams = (values: Partial<ThrottleParams>) => {
        const check = validateThrottleParams(values)
        const errors = check.findings.filter((f) => f.severity === 'error')
        if (errors.length > 0) throw new UsageError(errors.map((f) => f.message).join('; '), {rule: errors[0].rule, hint: errors[0].fix})
        return {changes: describeThrottleChanges(store.data.params, values), findings: [...check.findings]}
      }
      serve(
        app,
        'PUT /v1/throttle/params',
        async (req) => {
          const {changes, findings} = checkParams(req.body)
          store.data.params = {...store.data.params, ...req.body}
          store.save()
          ctx.events.emit({
            type: 'ThrottleParams',
            service: CALLMANAGER_SERVICE,
            message: `throttle parameters changed: ${changes.join('; ')} (THR-7: discouraged unless Cisco support recommends it)`,
            data: {changes: req.body, rule: 'THR-7'},
          })
          return {node, params: store.data.params, changes, findings}
        },
        async (req) => {
          const {changes, findings} = checkParams(req.body)
          const warnings = findings.filter((f) => f.severity === 'warning')
          return {node, action: 'throttle params', changes, rules: [...new Set(warnings.map((w) => `${w.rule}: ${w.message}`))], findings}
        },
      )

      const faultsAllowed = () => {
        if (!ctx.config.faultInjection) {
          throw new ForbiddenError('fault injection is disabled on this node', {
            hint: 'only lab and test agents (faultInjection: true) accept faults',
          })
        }
      }
      serve(
        app,
        'POST /v1/faults/latency',
        async (req) => {
          faultsAllowed()
          const from = latencyFaultMs
          latencyFaultMs = req.body.ms
          if (from !== latencyFaultMs) {
            ctx.events.emit({
              type: 'Fault',
              message:
                latencyFaultMs === 0
                  ? 'lab fault cleared: no added latency'
                  : `lab fault: every internal message and call attempt takes ${latencyFaultMs} ms longer`,
              data: {fault: 'latency', from, to: latencyFaultMs},
            })
          }
          return {node, latencyMs: latencyFaultMs}
        },
        async (req) => {
          faultsAllowed()
          return {
            node,
            action: 'lab latency',
            changes: [`added latency per message on ${node}: ${latencyFaultMs} → ${req.body.ms} ms`],
            rules: ['THR-2: the average expected delay rises with it; above the entry latency the node enters Code Yellow'],
          }
        },
      )

      // THR-1: a new call attempt; in Code Yellow the caller hears reorder tone.
      serve(app, 'POST /v1/calls', async (req, reply) => {
        busyWait(latencyFaultMs)
        counts.CallsAttempted++
        const r = admitCall(state)
        state = r.state
        if (!r.admitted) {
          const red = state.state === 'Code Red'
          throw new RejectedError(
            red
              ? `call attempt rejected on ${node}: reorder tone (Code Red: ${CALLMANAGER_SERVICE} restarting)`
              : `call attempt rejected on ${node}: reorder tone (Code Yellow)`,
            {rule: red ? 'THR-4' : 'THR-1', details: {state: state.state, averageExpectedDelayMs: state.counters.AverageExpectedDelay}},
          )
        }
        if (ctx.nodeManager.names().includes(CALLMANAGER_SERVICE) && !ctx.nodeManager.isRunning(CALLMANAGER_SERVICE)) {
          throw new RefusedError(`${CALLMANAGER_SERVICE} is not Running on ${node}: no call processing`, {
            hint: `ucctl service start "${CALLMANAGER_SERVICE}" --node ${node}`,
          })
        }
        counts.CallsAdmitted++
        const durationMs = req.body?.durationMs ?? 0
        const id = `${node}-${counts.CallsAttempted}`
        if (durationMs > 0) {
          counts.CallsInProgress++
          const t = setTimeout(() => {
            callTimers.delete(t)
            counts.CallsInProgress--
          }, durationMs)
          t.unref()
          callTimers.add(t)
        }
        reply.code(201)
        return {id, node, admitted: true as const, state: state.state, durationMs, time: new Date().toISOString()}
      })
    },
  }
}
