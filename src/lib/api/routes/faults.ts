// The lab's faults (lab and test agents only, faultInjection: true): a real network fault between
// peers, and added latency on a Unified CM agent's message processing (THR-2).
import {Type} from 'typebox'
import {MAX_LATENCY_FAULT_MS} from '../../domain/throttle.js'
import {routes} from '../contract.js'
import {Plan} from '../schemas.js'

const Peers = Type.Object({peers: Type.Optional(Type.Array(Type.String({minLength: 1}), {maxItems: 64}))}, {additionalProperties: false})
const NetworkFault = Type.Object({isolatedFrom: Type.Array(Type.String()), cutOff: Type.Boolean()})
const LatencyFault = Type.Object({node: Type.String(), latencyMs: Type.Integer()})

export const faultRoutes = routes({
  'GET /v1/faults/network': {
    summary: 'Which peers this node is isolated from (or cut off from everything)',
    response: Type.Object({isolatedFrom: Type.Array(Type.String()), cutOff: Type.Boolean(), peers: Type.Array(Type.String())}),
  },
  'POST /v1/faults/network/isolate': {
    summary: 'Isolates the node from the named peers, or from everything (UC-13: its other known servers too)',
    body: Peers,
    response: NetworkFault,
  },
  'POST /v1/faults/network/heal': {
    summary: 'Heals the isolation from the named peers, or from everything',
    body: Peers,
    response: NetworkFault,
  },
  'POST /v1/faults/latency': {
    summary: 'Adds latency to every internal message and call attempt of a Unified CM agent (0 clears it)',
    body: Type.Object({ms: Type.Integer({minimum: 0, maximum: MAX_LATENCY_FAULT_MS})}, {additionalProperties: false}),
    response: LatencyFault,
    preview: Type.Intersect([Plan, Type.Object({node: Type.String(), action: Type.Literal('lab latency')})]),
  },
})
