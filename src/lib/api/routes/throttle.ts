// Call throttling and Code Yellow on Unified CM nodes (SPEC §7, THR-1..7): the monitor's state
// and counters, and its service parameters.
import {Type} from 'typebox'
import {THROTTLE_PARAMETERS} from '../../domain/throttle.js'
import {routes} from '../contract.js'
import {Plan, Time} from '../schemas.js'

const ThrottleState = Type.Enum(['Normal', 'Code Yellow', 'Code Red'])

export const ThrottleParams = Type.Object({
  codeYellowEntryLatencyMs: Type.Integer(),
  codeYellowExitLatencyPercent: Type.Integer(),
  codeYellowDurationMin: Type.Integer(),
  systemThrottleSampleSizeSec: Type.Integer(),
})

export const ThrottleParamFinding = Type.Object({
  rule: Type.String(),
  severity: Type.Enum(['error', 'warning']),
  message: Type.String(),
  fix: Type.String(),
  parameter: Type.String(),
})

export const ThrottleStatus = Type.Object({
  node: Type.String(),
  state: ThrottleState,
  averageExpectedDelayMs: Type.Number(),
  throttlingSampleActivity: Type.Integer(),
  callsRejected: Type.Integer(),
  sampleSize: Type.Integer(),
  enabled: Type.Boolean(),
  thresholds: Type.Object({entryMs: Type.Number(), exitMs: Type.Number()}),
  /** The monitor's perfmon counters and the agent's call counts. */
  counters: Type.Record(Type.String(), Type.Number()),
  params: ThrottleParams,
  codeYellowSince: Type.Union([Time, Type.Null()]),
  lastCodeRed: Type.Union([
    Type.Object({
      time: Time,
      dump: Type.String(),
      pidBefore: Type.Union([Type.Integer(), Type.Null()]),
      pidAfter: Type.Union([Type.Integer(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  latencyFaultMs: Type.Integer(),
  sampleIntervalMs: Type.Number(),
  minuteMs: Type.Number(),
  recentSamples: Type.Array(Type.Object({time: Time, delayMs: Type.Number()})),
})

export const throttleRoutes = routes({
  'GET /v1/throttle': {
    summary: 'The call throttling monitor: state, average expected delay, counters, parameters',
    response: ThrottleStatus,
  },
  'PUT /v1/throttle/params': {
    summary: 'Changes throttle service parameters (THR-7: discouraged unless Cisco support recommends it)',
    // Types here; ranges by the domain's check, so the answer names the rule (THR-2..5).
    body: Type.Object(Object.fromEntries(THROTTLE_PARAMETERS.map((r) => [r.key, Type.Optional(Type.Integer())])), {
      additionalProperties: false,
      minProperties: 1,
    }),
    response: Type.Object({
      node: Type.String(),
      params: ThrottleParams,
      changes: Type.Array(Type.String()),
      findings: Type.Array(ThrottleParamFinding),
    }),
    preview: Type.Intersect([
      Plan,
      Type.Object({node: Type.String(), action: Type.Literal('throttle params'), findings: Type.Array(ThrottleParamFinding)}),
    ]),
  },
})
