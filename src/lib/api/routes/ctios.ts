// The CTI OS node's routes (SPEC §2, CTI-1..7; LOAD-5): its environment, the faults of related
// components, the softphones (one event stream each) and the desktop connection profile.
import {Type} from 'typebox'
import {AGENT_STATUSES, COMPONENTS, CTI_RULES, FAULT_ACTIONS} from '../../domain/cti-failover.js'
import {SERVICE_STATES} from '../../domain/services.js'
import {routes} from '../contract.js'
import {Operation, Plan, Time} from '../schemas.js'

const CONNECTIONS = ['connected', 'Offline', 'disconnected'] as const
const SENDS = ['Offline', 'Snapshot', 'Connected', 'AgentState', 'Disconnect'] as const
// An enum, not literals: a typed schema lets fastify coerce "0" into 0.
const ZeroOne = Type.Enum([0, 1])
const SoftphoneId = Type.String({minLength: 1, maxLength: 100})
const IdParams = Type.Object({id: SoftphoneId})
const Rule = Type.Enum(CTI_RULES)
const UpDown = Type.Union([Type.Literal('up'), Type.Literal('down')])

/** The last snapshot the CTI OS server sent (CTI-2, CTI-3). */
export const SnapshotRecord = Type.Object({
  time: Time,
  rule: Type.Optional(Rule),
  agents: Type.Integer(),
  devices: Type.Integer(),
  calls: Type.Integer(),
  softphones: Type.Integer(),
})

/** The last CTI OS server failure (CTI-3), as its softphones lived it. */
export const FailoverRecord = Type.Object({
  server: Type.String(),
  time: Time,
  disconnected: Type.Integer(),
  reconnectedToPeer: Type.Integer(),
  offline: Type.Integer(),
  snapshot: Type.Integer(),
  online: Type.Union([Time, Type.Null()]),
})

/** One component of the environment: pairs have sides, the server its process, switches agents. */
const ComponentStatus = Type.Object({
  component: Type.Enum(COMPONENTS),
  id: Type.String(),
  state: Type.String(),
  activeSide: Type.Optional(Type.Enum(['A', 'B'])),
  sides: Type.Optional(Type.Object({A: UpDown, B: UpDown})),
  process: Type.Optional(
    Type.Object({
      name: Type.String(),
      state: Type.Enum(SERVICE_STATES),
      pid: Type.Union([Type.Integer(), Type.Null()]),
      restarts: Type.Integer(),
    }),
  ),
  capacity: Type.Optional(Type.Integer()),
  softphones: Type.Optional(Type.Integer()),
  agents: Type.Optional(Type.Integer()),
})

export const CtiosStatus = Type.Object({
  node: Type.String(),
  components: Type.Array(ComponentStatus),
  ipPhones: Type.Object({total: Type.Integer(), outOfService: Type.Integer()}),
  clients: Type.Object({
    softphones: Type.Integer(),
    connected: Type.Integer(),
    Offline: Type.Integer(),
    disconnected: Type.Integer(),
    onPeer: Type.Integer(),
  }),
  agents: Type.Record(Type.String(), Type.Integer()),
  lastSnapshot: Type.Union([SnapshotRecord, Type.Null()]),
  lastFailover: Type.Union([FailoverRecord, Type.Null()]),
  /** LOAD-2 (run time): how agents come back after the next failover. */
  afterFailover: Type.Object({
    agentState: Type.Enum(['Not Ready', 'CTI-7']),
    rule: Type.String(),
    loadInEffect: Type.Union([ZeroOne, Type.Null()]),
  }),
  desktopConnectionProfile: Type.Object({rejectIfAlreadyLoggedIn: ZeroOne}),
  /** LOAD-5: agents whose desktop went away while logged in. */
  loggedInWithoutDesktop: Type.Array(Type.String()),
})

export const Softphone = Type.Object({
  id: Type.String(),
  agentState: Type.Enum(AGENT_STATUSES),
  phone: Type.String(),
  switch: Type.String(),
  connection: Type.Enum(CONNECTIONS),
  server: Type.Union([Type.String(), Type.Null()]),
  offline: Type.Array(Type.Object({rule: Rule, reason: Type.String()})),
})

const AgentView = Type.Object({id: Type.String(), state: Type.Enum(AGENT_STATUSES), phone: Type.String(), switch: Type.String()})

/** What a softphone receives on its connection (domain/cti-failover.ts softphoneEvent). */
export const SoftphoneEvent = Type.Union([
  Type.Object({type: Type.Literal('Connected'), server: Type.String(), agent: AgentView, rule: Type.Optional(Rule)}),
  Type.Object({type: Type.Literal('Offline'), rule: Type.Optional(Rule), reason: Type.String(), agent: AgentView}),
  Type.Object({
    type: Type.Literal('Snapshot'),
    rule: Type.Optional(Rule),
    server: Type.String(),
    agent: AgentView,
    devices: Type.Array(Type.Object({device: Type.String(), kind: Type.Enum(['IP phone', 'switch']), inService: Type.Boolean()})),
    calls: Type.Array(Type.Object({agent: Type.String(), phone: Type.String()})),
  }),
  Type.Object({type: Type.Literal('AgentState'), agent: AgentView, rule: Type.Optional(Rule)}),
])

/** What softphones would get, by kind of event (a fault's preview and its result). */
export const SendSummary = Type.Object({
  send: Type.Enum(SENDS),
  rule: Type.Optional(Rule),
  reason: Type.Optional(Type.String()),
  softphones: Type.Integer(),
})

export const CtiosSettings = Type.Object({node: Type.String(), desktopConnectionProfile: Type.Object({rejectIfAlreadyLoggedIn: ZeroOne})})

export const ctiosRoutes = routes({
  'GET /v1/ctios': {
    summary: "The CTI OS node's environment: components, softphones, agents, last snapshot and failover",
    response: CtiosStatus,
  },
  'GET /v1/ctios/softphones': {
    summary: 'The softphones (one per agent), by IP phone, switch or connection',
    query: Type.Object(
      {
        phone: Type.Optional(Type.String({maxLength: 100})),
        switch: Type.Optional(Type.String({maxLength: 100})),
        connection: Type.Optional(Type.Enum(CONNECTIONS)),
      },
      {additionalProperties: false},
    ),
    response: Type.Object({node: Type.String(), softphones: Type.Array(Softphone)}),
    errors: ['NotFound'],
  },
  'GET /v1/ctios/softphones/:id/events': {
    summary: "A softphone's connection: always a stream of what it receives (it reconnects when the stream ends)",
    params: IdParams,
    response: SoftphoneEvent,
    stream: SoftphoneEvent,
    errors: ['NotFound', 'Refused', 'Busy'],
  },
  'POST /v1/ctios/softphones/:id/state': {
    summary: "A softphone's agent state request (log in, ready, not ready, log out)",
    params: IdParams,
    body: Type.Object({state: Type.Enum(AGENT_STATUSES)}, {additionalProperties: false}),
    response: Type.Object({node: Type.String(), softphone: Softphone}),
    errors: ['NotFound', 'Refused'],
    traffic: true,
  },
  'POST /v1/ctios/agents/:id/logout': {
    summary: "The supervisor's logout of an agent (LOAD-5: after a desktop crash, its only way back in)",
    params: IdParams,
    response: Operation,
    errors: ['NotFound'],
  },
  'POST /v1/ctios/faults': {
    summary: 'Injects a fault of a related component (CTI-1..5; lab and test agents only)',
    body: Type.Object(
      {
        component: Type.Enum(COMPONENTS),
        action: Type.Enum(FAULT_ACTIONS),
        id: Type.Optional(Type.String({minLength: 1, maxLength: 100})),
      },
      {additionalProperties: false},
    ),
    response: Operation,
    status: [200, 202],
    preview: Type.Intersect([
      Plan,
      Type.Object({node: Type.String(), action: Type.String(), failover: Type.Boolean(), sends: Type.Array(SendSummary)}),
    ]),
    errors: ['Refused', 'Busy'],
  },
  'GET /v1/ctios/settings': {summary: "The CTI OS server's desktop connection profile (LOAD-5)", response: CtiosSettings},
  'PUT /v1/ctios/settings': {
    summary: "Sets the desktop connection profile's RejectIfAlreadyLoggedIn (LOAD-5)",
    body: Type.Object({rejectIfAlreadyLoggedIn: ZeroOne}, {additionalProperties: false}),
    response: CtiosSettings,
    preview: Type.Intersect([Plan, Type.Object({node: Type.String(), action: Type.Literal('ctios settings')})]),
  },
})
