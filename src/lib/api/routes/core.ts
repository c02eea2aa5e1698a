// Every agent's own routes: health, the node, its services and their operations, events, audit.
import {Type} from 'typebox'
import {PRODUCTS, ROLES} from '../../domain/services.js'
import {TIMING_PROFILES} from '../../domain/timing.js'
import {routes} from '../contract.js'
import {AgentEvent, Id, IdParams, Name, NameParams, Operation, Plan, ServiceStatus, Time} from '../schemas.js'

export const SERVICE_ACTIONS = ['start', 'stop', 'cycle'] as const
const MAX_WAIT_MS = 30_000

const Peer = Type.Object({name: Type.String(), url: Type.String()})

/** What GET /v1/node says of every node; product modules add their own parts (optional here). */
export const NodeInfo = Type.Object({
  name: Type.String(),
  product: Type.Enum(PRODUCTS),
  productName: Type.String(),
  role: Type.Enum(ROLES),
  version: Type.String(),
  cluster: Type.String(),
  group: Type.Optional(Type.String()),
  peers: Type.Array(Peer),
  timing: Type.Enum(TIMING_PROFILES),
  health: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  services: Type.Object({running: Type.Integer(), total: Type.Integer(), failed: Type.Integer()}),
  pid: Type.Integer(),
  startedAt: Time,
  configuration: Type.Optional(
    Type.Object({
      publisher: Type.Boolean(),
      schemaVersion: Type.Optional(Type.Integer()),
      /** A subscriber's publisher, once found (null before). */
      readsFrom: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    }),
  ),
  connectionCluster: Type.Optional(Type.Object({status: Type.String(), answersCalls: Type.Boolean(), peer: Type.String()})),
  ctios: Type.Optional(Type.Object({server: Type.Union([Type.Literal('online'), Type.Literal('offline')]), softphones: Type.Integer()})),
  partitions: Type.Optional(Type.Object({active: Type.String(), inactive: Type.Union([Type.String(), Type.Null()])})),
  peripheral: Type.Optional(Type.Object({pg: Type.String(), loadInEffect: Type.Integer(), pending: Type.Boolean()})),
  presence: Type.Optional(
    Type.Object({group: Type.String(), peer: Type.String(), state: Type.String(), reason: Type.Union([Type.String(), Type.Null()])}),
  ),
  throttle: Type.Optional(Type.Object({state: Type.String(), averageExpectedDelayMs: Type.Number()})),
})

export const AuditRecord = Type.Object({
  time: Time,
  tokenId: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Null()]),
  method: Type.String(),
  route: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  body: Type.Optional(Type.Unknown()),
  status: Type.Integer(),
  operation: Type.Optional(Type.String()),
  idempotencyKey: Type.Optional(Type.String()),
})

const OperationSummary = Type.Object({
  id: Type.String(),
  node: Type.String(),
  action: Type.String(),
  target: Type.Optional(Type.Record(Type.String(), Type.String())),
  state: Operation.properties.state,
  createdAt: Time,
  updatedAt: Time,
  error: Operation.properties.error,
  last: Type.Union([Type.String(), Type.Null()]),
})

export const coreRoutes = routes({
  'GET /v1/health': {
    summary: 'Whether the agent serves (the only route without a token); its pid tells a launcher its own agent',
    response: Type.Object({status: Type.Literal('ok'), node: Type.String(), pid: Type.Integer(), time: Time}),
  },
  'GET /v1/openapi.json': {
    summary: 'This contract, as an OpenAPI 3.1 document',
    response: Type.Object({
      openapi: Type.String(),
      info: Type.Object({title: Type.String(), version: Type.String()}),
      paths: Type.Object({}),
    }),
  },
  'GET /v1/audit': {
    summary: 'Who did what on this node (operator tokens only)',
    query: Type.Object({limit: Type.Optional(Type.Integer({minimum: 1, maximum: 10_000}))}, {additionalProperties: false}),
    response: Type.Object({node: Type.String(), records: Type.Array(AuditRecord)}),
  },
  'GET /v1/node': {summary: 'The node: product, role, version, health and what its product modules report', response: NodeInfo},
  'GET /v1/services': {
    summary: "The node's services (Control Center)",
    response: Type.Object({node: Type.String(), services: Type.Array(ServiceStatus)}),
  },
  'GET /v1/services/:name': {
    summary: 'One service',
    params: NameParams,
    response: Type.Object({node: Type.String(), service: ServiceStatus}),
    errors: ['NotFound'],
  },
  'POST /v1/services/:name/:action': {
    summary: 'Starts, stops or restarts a service (an operation; done at once when already there)',
    params: Type.Object({name: Name, action: Type.Enum(SERVICE_ACTIONS)}),
    response: Operation,
    status: [200, 202],
    preview: Type.Intersect([
      Plan,
      Type.Object({
        node: Type.String(),
        action: Type.Enum(SERVICE_ACTIONS),
        service: Type.String(),
        currentState: ServiceStatus.properties.state,
      }),
    ]),
    errors: ['NotFound', 'Busy'],
  },
  'PUT /v1/services/:name/startup': {
    summary: "Sets a service's startup type",
    params: NameParams,
    body: Type.Object({startup: ServiceStatus.properties.startup}, {additionalProperties: false}),
    response: Type.Object({node: Type.String(), service: ServiceStatus}),
    errors: ['NotFound'],
  },
  'POST /v1/node/restart': {
    summary: 'Restarts every service of the node (SVC-5)',
    response: Operation,
    preview: Type.Intersect([Plan, Type.Object({node: Type.String(), action: Type.Literal('restart')})]),
    status: 202,
    errors: ['Busy'],
  },
  'GET /v1/operations': {
    summary: 'The operations this node keeps, running and recent',
    response: Type.Object({node: Type.String(), operations: Type.Array(OperationSummary)}),
  },
  'GET /v1/operations/:id': {
    summary: 'An operation; with wait, answers when it changes past seen transitions (long poll)',
    params: IdParams,
    query: Type.Object(
      {wait: Type.Optional(Type.Integer({minimum: 0, maximum: MAX_WAIT_MS})), seen: Type.Optional(Type.Integer({minimum: 0}))},
      {additionalProperties: false},
    ),
    response: Operation,
    errors: ['NotFound'],
  },
  'POST /v1/operations/:id/cancel': {
    summary: 'Cancels an operation where it can stop safely',
    params: Type.Object({id: Id}),
    response: Operation,
    status: 202,
    errors: ['NotFound', 'Refused'],
  },
  'GET /v1/events': {
    summary: "The node's events; with follow, a stream of them (Last-Event-ID resumes)",
    query: Type.Object(
      {
        since: Type.Optional(Time),
        after: Type.Optional(Type.Integer({minimum: 0})),
        limit: Type.Optional(Type.Integer({minimum: 1, maximum: 10_000})),
        follow: Type.Optional(Type.Enum(['1', '0', 'true', 'false'])),
      },
      {additionalProperties: false},
    ),
    response: Type.Object({node: Type.String(), events: Type.Array(AgentEvent)}),
    stream: AgentEvent,
  },
})
