// Call throttling and Code Yellow (SPEC 7: THR-2..7; seed 004). A pure monitor: the caller
// feeds one delay sample per second with its time; nothing here reads a clock.

import {UsageError} from '../errors.js'
import type {Finding} from './finding.js'

export interface ThrottleParams {
  /** Code Yellow Entry Latency (ms). */
  readonly codeYellowEntryLatencyMs: number
  /** Code Yellow Exit Latency (% of the entry latency). */
  readonly codeYellowExitLatencyPercent: number
  /** Code Yellow Duration (minutes); CODE_YELLOW_DURATION_NEVER means never Code Red. */
  readonly codeYellowDurationMin: number
  /** System Throttle Sample Size (seconds); 0 disables throttling. */
  readonly systemThrottleSampleSizeSec: number
}

export const CODE_YELLOW_DURATION_NEVER = 99999

/** How long a minute of Code Yellow Duration lasts; the lab's fast profile shortens it. */
export const MINUTE_MS = 60_000

/** The lab's latency fault (ucctl lab latency): at most this much extra processing per message. */
export const MAX_LATENCY_FAULT_MS = 1000

export interface ThrottleParamRow {
  readonly key: keyof ThrottleParams
  /** The service parameter's name in Cisco Unified CM Administration. */
  readonly name: string
  readonly unit: 'ms' | '%' | 'min' | 's'
  readonly default: number
  readonly min: number
  readonly max: number
  readonly rule: string
  readonly description: string
}

/**
 * Used for validation and for display. Ranges: entry 5–500 ms and exit 1–100 % are the
 * published ones. Duration 1–99999 min is our choice: 99999 is the documented "never", and
 * 0 would restart the service on the first Code Yellow. Sample size 0–300 s is our choice:
 * 0 is the documented "disabled", 10 the value the documents use, and five minutes of
 * consecutive delay is already far past any dial-tone complaint. Default duration 99999:
 * the documents give none, and an automatic service restart must be asked for.
 */
export const THROTTLE_PARAMETERS: readonly ThrottleParamRow[] = [
  {
    key: 'codeYellowEntryLatencyMs',
    name: 'Code Yellow Entry Latency',
    unit: 'ms',
    default: 20,
    min: 5,
    max: 500,
    rule: 'THR-2',
    description: 'enter Code Yellow (throttle new calls) when the average expected delay exceeds this',
  },
  {
    key: 'codeYellowExitLatencyPercent',
    name: 'Code Yellow Exit Latency',
    unit: '%',
    default: 40,
    min: 1,
    max: 100,
    rule: 'THR-3',
    description: 'leave Code Yellow when the average expected delay falls to entry × this % or below',
  },
  {
    key: 'codeYellowDurationMin',
    name: 'Code Yellow Duration',
    unit: 'min',
    default: CODE_YELLOW_DURATION_NEVER,
    min: 1,
    max: CODE_YELLOW_DURATION_NEVER,
    rule: 'THR-4',
    description: 'still in Code Yellow after this long: Code Red (service restart and memory dump); 99999 = never',
  },
  {
    key: 'systemThrottleSampleSizeSec',
    name: 'System Throttle Sample Size',
    unit: 's',
    default: 10,
    min: 0,
    max: 300,
    rule: 'THR-5',
    description: 'consecutive seconds of non-zero delay before the average is computed; 0 disables throttling',
  },
]

export const DEFAULT_THROTTLE_PARAMS: ThrottleParams = Object.fromEntries(
  THROTTLE_PARAMETERS.map((r) => [r.key, r.default]),
) as unknown as ThrottleParams

export interface ThrottleParamFinding extends Finding {
  readonly parameter: string
}

export interface ThrottleParamCheck {
  readonly ok: boolean
  readonly findings: readonly ThrottleParamFinding[]
}

/** The row of a parameter named by its key or its service-parameter name (any case). */
export function throttleParamRow(name: string): ThrottleParamRow | undefined {
  return rowFor(name)
}

function rowFor(name: string): ThrottleParamRow | undefined {
  const lower = name.trim().toLowerCase()
  return THROTTLE_PARAMETERS.find((r) => r.key.toLowerCase() === lower || r.name.toLowerCase() === lower)
}

/**
 * Validates a partial set, keyed by `key` or by service-parameter `name`. Errors: unknown
 * name, not an integer, out of range. Warnings: THR-7 for any value other than the default
 * (changing them is discouraged unless Cisco support recommends it), THR-5 for 0 (disables).
 */
export function validateThrottleParams(partial: Readonly<Record<string, unknown>>): ThrottleParamCheck {
  const findings: ThrottleParamFinding[] = []
  for (const [name, raw] of Object.entries(partial)) {
    const row = rowFor(name)
    if (!row) {
      findings.push({
        rule: 'THR-7',
        severity: 'error',
        parameter: name,
        message: `unknown throttle parameter "${name}"`,
        fix: `use one of: ${THROTTLE_PARAMETERS.map((r) => r.key).join(', ')}`,
      })
      continue
    }
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      findings.push({
        rule: row.rule,
        severity: 'error',
        parameter: row.key,
        message: `${row.name}: ${JSON.stringify(raw)} is not an integer (${row.unit})`,
        fix: `give an integer from ${row.min} to ${row.max} ${row.unit}`,
      })
      continue
    }
    if (value < row.min || value > row.max) {
      findings.push({
        rule: row.rule,
        severity: 'error',
        parameter: row.key,
        message: `${row.name}: ${value} ${row.unit} is out of range ${row.min}–${row.max} ${row.unit}`,
        fix: `give a value from ${row.min} to ${row.max} ${row.unit} (default ${row.default})`,
      })
      continue
    }
    if (row.key === 'systemThrottleSampleSizeSec' && value === 0) {
      findings.push({
        rule: 'THR-5',
        severity: 'warning',
        parameter: row.key,
        message: `${row.name} 0 disables call throttling, which is not advised`,
        fix: `keep ${row.default} unless Cisco support says otherwise`,
      })
    }
    if (value !== row.default) {
      findings.push({
        rule: 'THR-7',
        severity: 'warning',
        parameter: row.key,
        message: `${row.name} ${value} ${row.unit} differs from the default ${row.default}: changing it is discouraged unless Cisco support recommends it`,
        fix: `keep ${row.default} ${row.unit} unless support recommends the change`,
      })
    }
  }
  return {ok: findings.every((f) => f.severity !== 'error'), findings}
}

/** Defaults overlaid with `partial`; throws UsageError (naming every error) when invalid. */
export function resolveThrottleParams(partial: Readonly<Record<string, unknown>> = {}): ThrottleParams {
  const check = validateThrottleParams(partial)
  const errors = check.findings.filter((f) => f.severity === 'error')
  if (errors.length > 0) {
    throw new UsageError(errors.map((e) => e.message).join('; '), {rule: errors[0].rule, hint: errors[0].fix})
  }
  const out: Record<string, number> = {...DEFAULT_THROTTLE_PARAMS}
  for (const [name, raw] of Object.entries(partial)) out[rowFor(name)!.key] = Number(raw)
  return out as unknown as ThrottleParams
}

/** THR-3: entry × exit% (20 ms × 40 % = 8 ms). */
export function exitLatencyMs(params: ThrottleParams): number {
  return (params.codeYellowEntryLatencyMs * params.codeYellowExitLatencyPercent) / 100
}

// ---------------------------------------------------------------------------------------
// State machine

export type ThrottleStateName = 'Normal' | 'Code Yellow' | 'Code Red'

export interface ThrottleCounters {
  /** ms; the last computed average (0 after a zero sample). */
  readonly AverageExpectedDelay: number
  /** Consecutive non-zero samples, capped at the sample size; 0 after a zero sample. */
  readonly ThrottlingSampleActivity: number
  readonly CallsRejectedDueToThrottling: number
  /** Code Yellow entries since the service started. */
  readonly TotalCodeYellowEntry: number
  /** 1 while in Code Yellow (entry), 0 after it (exit). */
  readonly CodeYellowEntryExit: 0 | 1
  /** 1 once in Code Red (entry), 0 otherwise. */
  readonly CodeRedEntryExit: 0 | 1
}

export interface ThrottleState {
  readonly state: ThrottleStateName
  /** The current run of consecutive non-zero delays, at most sample-size long (newest last). */
  readonly window: readonly number[]
  /** When Code Yellow was entered, for THR-4; null outside Code Yellow. */
  readonly codeYellowSinceMs: number | null
  readonly lastTimeMs: number | null
  readonly counters: ThrottleCounters
}

export type ThrottleEvent =
  | {readonly type: 'CodeYellowEntry'; readonly timeMs: number; readonly averageExpectedDelayMs: number; readonly message: string}
  | {readonly type: 'CodeYellowExit'; readonly timeMs: number; readonly averageExpectedDelayMs: number; readonly message: string}
  | {
      readonly type: 'CodeRedEntry'
      readonly timeMs: number
      readonly averageExpectedDelayMs: number
      readonly message: string
      /** What the caller must do now (THR-4). */
      readonly actions: readonly ['restart-service', 'write-memory-dump']
      readonly service: 'Cisco CallManager'
    }

export interface DelaySample {
  readonly timeMs: number
  /** Expected delay of internal (SDL) message processing measured this second. */
  readonly delayMs: number
}

/** The monitor of a freshly started Cisco CallManager service. */
export function initialThrottleState(): ThrottleState {
  return {
    state: 'Normal',
    window: [],
    codeYellowSinceMs: null,
    lastTimeMs: null,
    counters: {
      AverageExpectedDelay: 0,
      ThrottlingSampleActivity: 0,
      CallsRejectedDueToThrottling: 0,
      TotalCodeYellowEntry: 0,
      CodeYellowEntryExit: 0,
      CodeRedEntryExit: 0,
    },
  }
}

/**
 * After Code Red the Cisco CallManager service restarts (THR-4), so the monitor starts over:
 * back to Normal with an empty window, a zero average and the counters of a new process
 * (perfmon counters count from the start of the service). Until the caller reports the
 * restart by calling this, stepThrottle keeps the node in Code Red and ignores samples.
 */
export function throttleStateAfterRestart(): ThrottleState {
  return initialThrottleState()
}

function assertSample(sample: DelaySample, state: ThrottleState): void {
  if (!Number.isFinite(sample.timeMs)) throw new UsageError(`sample time ${String(sample.timeMs)} is not a number`)
  if (!Number.isFinite(sample.delayMs) || sample.delayMs < 0) {
    throw new UsageError(`sample delay ${String(sample.delayMs)} ms is not a non-negative number`)
  }
  if (state.lastTimeMs !== null && sample.timeMs < state.lastTimeMs) {
    throw new UsageError(`sample time ${sample.timeMs} is before the previous sample (${state.lastTimeMs})`)
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/**
 * Feeds one sample (one a second). Rules:
 * - THR-5/THR-6: a non-zero delay extends the run of consecutive non-zero samples
 *   (ThrottlingSampleActivity, capped at the sample size); a zero delay resets it. The
 *   average is computed over the last sample-size delays only once the run is that long.
 *   A zero sample also sets the average to 0: no delay is expected now, which lets a node
 *   leave Code Yellow (otherwise a quiet node could never compute a new average).
 * - THR-2: Normal → Code Yellow when the average exceeds the entry latency (strictly).
 * - THR-3: Code Yellow → Normal when the average is at or below entry × exit%: seed 004
 *   says "8 ミリ秒以下に低下すると … 終了" (falls to 8 ms or below), where the SPEC says "below".
 * - THR-4: Code Yellow → Code Red when, at a sample, it has lasted the duration (unless
 *   99999); the CodeRedEntry event tells the caller to restart the service and write a dump.
 *   A minute lasts `opts.minuteMs` (MINUTE_MS; the lab's fast profile makes it shorter).
 * - THR-5: sample size 0 disables throttling: nothing is computed and the node stays
 *   (or returns, with CodeYellowExit) to Normal.
 */
export function stepThrottle(
  state: ThrottleState,
  sample: DelaySample,
  params: ThrottleParams = DEFAULT_THROTTLE_PARAMS,
  opts: {readonly minuteMs?: number} = {},
): {state: ThrottleState; events: ThrottleEvent[]} {
  assertSample(sample, state)
  const t = sample.timeMs
  if (state.state === 'Code Red') return {state: {...state, lastTimeMs: t}, events: []}

  const size = params.systemThrottleSampleSizeSec
  const events: ThrottleEvent[] = []
  if (size === 0) {
    if (state.state === 'Code Yellow') {
      events.push({
        type: 'CodeYellowExit',
        timeMs: t,
        averageExpectedDelayMs: 0,
        message: 'throttling disabled (System Throttle Sample Size 0)',
      })
    }
    const counters = {...state.counters, AverageExpectedDelay: 0, ThrottlingSampleActivity: 0, CodeYellowEntryExit: 0 as const}
    return {state: {...state, state: 'Normal', window: [], codeYellowSinceMs: null, lastTimeMs: t, counters}, events}
  }

  const window = sample.delayMs > 0 ? [...state.window, sample.delayMs].slice(-size) : []
  let average: number | null = null
  if (sample.delayMs === 0) average = 0
  else if (window.length === size) average = mean(window)

  let next: ThrottleState = {
    ...state,
    window,
    lastTimeMs: t,
    counters: {
      ...state.counters,
      ThrottlingSampleActivity: window.length,
      AverageExpectedDelay: average ?? state.counters.AverageExpectedDelay,
    },
  }
  const avg = next.counters.AverageExpectedDelay
  const exitAt = exitLatencyMs(params)

  if (next.state === 'Normal' && average !== null && average > params.codeYellowEntryLatencyMs) {
    next = {
      ...next,
      state: 'Code Yellow',
      codeYellowSinceMs: t,
      counters: {...next.counters, TotalCodeYellowEntry: next.counters.TotalCodeYellowEntry + 1, CodeYellowEntryExit: 1},
    }
    events.push({
      type: 'CodeYellowEntry',
      timeMs: t,
      averageExpectedDelayMs: avg,
      message: `average expected delay ${fmt(avg)} ms exceeds Code Yellow Entry Latency ${params.codeYellowEntryLatencyMs} ms: throttling new calls`,
    })
  } else if (next.state === 'Code Yellow' && average !== null && average <= exitAt) {
    next = {...next, state: 'Normal', codeYellowSinceMs: null, counters: {...next.counters, CodeYellowEntryExit: 0}}
    events.push({
      type: 'CodeYellowExit',
      timeMs: t,
      averageExpectedDelayMs: avg,
      message: `average expected delay ${fmt(avg)} ms is at or below the exit latency ${fmt(exitAt)} ms: accepting new calls`,
    })
  } else if (
    next.state === 'Code Yellow' &&
    params.codeYellowDurationMin !== CODE_YELLOW_DURATION_NEVER &&
    next.codeYellowSinceMs !== null &&
    t - next.codeYellowSinceMs >= params.codeYellowDurationMin * (opts.minuteMs ?? MINUTE_MS)
  ) {
    next = {...next, state: 'Code Red', counters: {...next.counters, CodeRedEntryExit: 1}}
    events.push({
      type: 'CodeRedEntry',
      timeMs: t,
      averageExpectedDelayMs: avg,
      message: `still in Code Yellow after ${params.codeYellowDurationMin} min (Code Yellow Duration): Code Red; restart the Cisco CallManager service and write a memory dump`,
      actions: ['restart-service', 'write-memory-dump'],
      service: 'Cisco CallManager',
    })
  }
  return {state: next, events}
}

const fmt = (ms: number) => String(Math.round(ms * 100) / 100)

/**
 * A new call attempt: admitted in Normal; rejected in Code Yellow (the caller hears reorder
 * tone; CallsRejectedDueToThrottling + 1); rejected in Code Red without counting, since the
 * service is restarting rather than throttling.
 */
export function admitCall(state: ThrottleState): {admitted: boolean; state: ThrottleState} {
  if (state.state === 'Normal') return {admitted: true, state}
  if (state.state === 'Code Red') return {admitted: false, state}
  const counters = {...state.counters, CallsRejectedDueToThrottling: state.counters.CallsRejectedDueToThrottling + 1}
  return {admitted: false, state: {...state, counters}}
}

/**
 * `name=value` assignments of the command line (`--set codeYellowEntryLatencyMs=30`, or the
 * service-parameter name: `--set "Code Yellow Entry Latency=30"`). Throws UsageError on an
 * assignment without `=`, and on a parameter given twice. Values are validated separately.
 */
export function parseThrottleAssignments(assignments: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  const seen = new Map<string, string>()
  for (const a of assignments) {
    const eq = a.indexOf('=')
    if (eq <= 0) throw new UsageError(`"${a}" is not name=value`, {hint: `names: ${THROTTLE_PARAMETERS.map((r) => r.key).join(', ')}`})
    const name = a.slice(0, eq).trim()
    const key = rowFor(name)?.key ?? name
    if (seen.has(key)) throw new UsageError(`${key} is set twice (${seen.get(key)} and ${a})`)
    seen.set(key, a)
    out[key] = a.slice(eq + 1).trim()
  }
  return out
}

/** What setting `partial` (already validated) changes, in the documents' words. */
export function describeThrottleChanges(current: ThrottleParams, partial: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(partial).map(([name, raw]) => {
    const row = rowFor(name)!
    const from = current[row.key]
    const to = Number(raw)
    return from === to ? `${row.name}: ${to} ${row.unit} (unchanged)` : `${row.name}: ${from} → ${to} ${row.unit} (${row.rule})`
  })
}

// ---------------------------------------------------------------------------------------
// THR-1 (run time): the documents' investigation (seed 004, "troubleshooting call throttling").

/** Causes of overload to examine, in the document's order. */
export const THROTTLE_CAUSES = [
  'heavy call activity',
  'low CPU available to Unified CM',
  'routing loops',
  'disk I/O limits',
  'disk fragmentation',
] as const

/** Code Yellow entries from which throttling "repeats". */
export const REPEATED_CODE_YELLOW_ENTRIES = 2

export interface ThrottleInvestigation {
  rule: 'THR-1'
  /** Why it applies now. */
  why: string
  steps: string[]
}

/**
 * THR-1 (run time): the investigation, while a node is in Code Yellow (or Code Red) or has
 * entered Code Yellow repeatedly; null otherwise. Repeated throttling adds the support step.
 */
export function throttleInvestigation(s: {
  state: ThrottleStateName
  counters: {TotalCodeYellowEntry: number}
}): ThrottleInvestigation | null {
  const entries = s.counters.TotalCodeYellowEntry
  const repeated = entries >= REPEATED_CODE_YELLOW_ENTRIES
  if (s.state === 'Normal' && !repeated) return null
  const steps = [
    `examine the causes of overload: ${THROTTLE_CAUSES.join(', ')}`,
    'collect the CCM/SDI and SDL trace files: they record the throttling events',
    'watch ThrottlingSampleActivity (Cisco CallManager System Performance): frequent non-zero values signal overload',
  ]
  if (repeated) steps.push('throttling repeats: contact the Cisco Technical Assistance Center (TAC) with the trace files')
  const why =
    s.state !== 'Normal' ? `in ${s.state}${repeated ? ` (${entries} Code Yellow entries)` : ''}` : `${entries} Code Yellow entries`
  return {rule: 'THR-1', why, steps}
}
