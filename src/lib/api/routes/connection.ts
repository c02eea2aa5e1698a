// A Unity Connection agent's routes (SPEC §4, UC-1..16): the cluster's status and its manual
// changes, the role managers' peer-to-peer messages (keepalive, handover, replicate), and the
// simulated traffic (calls, voice messages, administrative changes) that replicates.
import {Type} from 'typebox'
import {INTEGRATIONS} from '../../domain/connection-checks.js'
import {MANUAL_ACTIONS} from '../../domain/connection-cluster.js'
import {HANDOVER_PHASES} from '../../domain/connection-role.js'
import {RECORD_KINDS, SBR_PHASES, STATUS_NAMES} from '../../domain/connection-statuses.js'
import {ROLES} from '../../domain/services.js'
import {routes} from '../contract.js'
import {Operation, Plan, Time} from '../schemas.js'

const MAX_CALL_MS = 3_600_000
const Status = Type.Enum(STATUS_NAMES)
const Phase = Type.Union([Type.Enum(SBR_PHASES), Type.Null()])
const Count = Type.Integer({minimum: 0})
/** A caller's id of a message or change: a retry with it stores nothing twice. */
const RecordId = Type.String({minLength: 1, maxLength: 200, pattern: '^[\\w.:@-]+$'})
const Data = Type.Record(Type.String(), Type.Unknown())

/** A voice message or an administrative change, as the servers replicate it (connection-messages.ts). */
export const ClusterRecord = Type.Object(
  {
    id: Type.String({minLength: 1, maxLength: 200}),
    kind: Type.Enum(RECORD_KINDS),
    /** The server that accepted it from a caller or an administrator. */
    acceptedBy: Type.String(),
    acceptedAt: Type.String(),
    /** Set on the copy a peer replicated here. */
    receivedFrom: Type.Optional(Type.String()),
    data: Data,
  },
  {additionalProperties: false},
)

/** What one role manager tells the other of itself (UC-5). */
export const PeerState = Type.Object({status: Status, since: Count, sbrPhase: Phase, pendingToPeer: Count})

const StatusChange = Type.Object({time: Time, from: Status, to: Status, reason: Type.String(), rule: Type.String()})

/** GET /v1/cluster: one server of the cluster as it tells itself (UC-2). */
export const ConnectionServer = Type.Object({
  name: Type.String(),
  role: Type.Enum(ROLES),
  status: Status,
  answersCalls: Type.Boolean(),
  takingCalls: Type.Boolean(),
  callsInProgress: Count,
  acceptsAdminChanges: Type.Boolean(),
  degraded: Type.Array(Type.String()),
  ports: Type.Union([Count, Type.Null()]),
  phoneSystemPorts: Type.Union([Count, Type.Null()]),
  integration: Type.Union([Type.Enum(INTEGRATIONS), Type.Null()]),
  mac: Type.Union([Type.String(), Type.Null()]),
  licenseMac: Type.Union([Type.String(), Type.Null()]),
  lastChange: Type.Union([StatusChange, Type.Null()]),
  messageStore: Type.Union([Type.Literal('mounted'), Type.Literal('unmounted')]),
  splitBrainRecoveryPhase: Phase,
  replication: Type.Object({
    state: Type.Union([Type.Literal('not replicating'), Type.Literal('replicating'), Type.Literal('in sync')]),
    allowed: Type.Boolean(),
    rule: Type.String(),
    why: Type.String(),
    pendingToPeer: Count,
    messages: Count,
    adminChanges: Count,
  }),
  peer: Type.Object({
    name: Type.String(),
    status: Type.Union([Status, Type.Null()]),
    lost: Type.Boolean(),
    lastKeepalive: Type.Union([Time, Type.Null()]),
  }),
  counters: Type.Object({
    callsAnswered: Count,
    callsRejected: Count,
    messagesAccepted: Count,
    messagesRejected: Count,
    callsDropped: Count,
  }),
})

const Stored = Type.Object({id: Type.String(), node: Type.String(), duplicate: Type.Optional(Type.Literal(true))})

export const connectionRoutes = routes({
  'GET /v1/cluster': {
    summary: 'This Unity Connection server: its status, calls, ports, replication and peer (UC-2)',
    response: ConnectionServer,
  },
  'POST /v1/cluster/:action': {
    summary: 'A manual status change: make-primary (UC-14), activate (UC-4), deactivate (UC-7, UC-8), stop-taking-calls, take-calls',
    params: Type.Object({action: Type.Enum(MANUAL_ACTIONS)}),
    body: Type.Object(
      {
        /** UC-8: the operator confirmed dropping the calls in progress. */
        dropCalls: Type.Optional(Type.Boolean()),
        /** Stop Taking Calls, wait for the calls to end (up to drainTimeoutMs), then deactivate. */
        drain: Type.Optional(Type.Boolean()),
        drainTimeoutMs: Type.Optional(Type.Integer({minimum: 0, maximum: 86_400_000})),
      },
      {additionalProperties: false},
    ),
    response: Operation,
    status: [200, 202],
    preview: Type.Intersect([
      Plan,
      Type.Object({
        node: Type.String(),
        action: Type.String(),
        currentStatus: Status,
        /** What the operator should know first (calls that would be dropped, UC-8). */
        warnings: Type.Array(Type.String()),
        /** Calls in progress the action drops (UC-8): the CLI asks before. */
        dropsCalls: Count,
      }),
    ]),
    errors: ['Refused', 'Busy', 'Timeout'],
  },
  'GET /v1/cluster/keepalive': {
    summary: "A keepalive from the peer's role manager: its state in, this server's out (UC-5)",
    query: Type.Object(
      {
        from: Type.String({minLength: 1, maxLength: 63}),
        status: Status,
        since: Count,
        sbrPhase: Type.Optional(Type.Enum([...SBR_PHASES, ''])),
        pending: Type.Optional(Count),
      },
      {additionalProperties: false},
    ),
    response: PeerState,
  },
  'POST /v1/cluster/handover': {
    summary: "The peer's role manager gives up or asks for Primary (UC-12 notify and commit, UC-14 demote)",
    body: Type.Object(
      {from: Type.String(), phase: Type.Enum(HANDOVER_PHASES), status: Status, since: Count},
      {additionalProperties: false},
    ),
    response: Type.Object({node: Type.String(), status: Status, since: Count}),
    errors: ['Refused'],
  },
  'POST /v1/cluster/replicate': {
    summary: "The peer's voice messages and administrative changes (UC-2; refused where the statuses do not replicate, UC-11)",
    body: Type.Object(
      {from: Type.String(), status: Status, records: Type.Array(ClusterRecord, {maxItems: 1000})},
      {additionalProperties: false},
    ),
    response: Type.Object({node: Type.String(), stored: Count, duplicates: Count}),
    errors: ['Refused'],
    bodyLimit: 4 * 1024 * 1024,
  },
  'POST /v1/cluster/admin-changes': {
    summary: 'An administrative change (UC-2: only where the status accepts them); replicated to the peer',
    body: Type.Object(
      {id: Type.Optional(RecordId), object: Type.String({minLength: 1, maxLength: 200}), change: Data},
      {additionalProperties: false},
    ),
    response: Stored,
    status: [200, 201],
    errors: ['Refused'],
  },
  // Served by Unity Connection (UC-2, UC-8) and by Unified CM (call throttling, THR-1): one route,
  // the same wire (201 answered; 429 Rejected with the rule when the node takes no call).
  'POST /v1/calls': {
    summary:
      'A simulated call: answered (201) or rejected (429 Rejected, with the rule: UC-2 on Unity Connection, THR-1/THR-4 on Unified CM)',
    traffic: true,
    body: Type.Object({durationMs: Type.Optional(Type.Integer({minimum: 0, maximum: MAX_CALL_MS}))}, {additionalProperties: false}),
    response: Type.Object({
      id: Type.String(),
      node: Type.String(),
      endsAt: Type.Optional(Time),
      admitted: Type.Optional(Type.Literal(true)),
      state: Type.Optional(Type.String()),
      durationMs: Type.Optional(Count),
      time: Type.Optional(Time),
    }),
    status: 201,
    errors: ['Refused', 'Rejected'],
  },
  'GET /v1/calls': {
    summary: 'Calls in progress on this server, and those answered, rejected and dropped (UC-8)',
    response: Type.Object({
      node: Type.String(),
      callsInProgress: Count,
      calls: Type.Array(Type.Object({id: Type.String(), startedAt: Time, endsAt: Time})),
      answered: Count,
      rejected: Count,
      dropped: Count,
    }),
  },
  'POST /v1/messages': {
    summary: 'A voice message (201 accepted, 200 already here; 429 Rejected where the status takes none); replicated to the peer',
    body: Type.Object(
      {
        id: Type.Optional(RecordId),
        from: Type.String({minLength: 1, maxLength: 200}),
        to: Type.String({minLength: 1, maxLength: 200}),
        text: Type.String({maxLength: 10_000}),
      },
      {additionalProperties: false},
    ),
    response: Stored,
    status: [200, 201],
  },
  'GET /v1/messages': {
    summary: 'The voice messages (or administrative changes) this server holds: a count and a digest of their ids, the ids on request',
    query: Type.Object(
      {ids: Type.Optional(Type.Enum(['1', '0', 'true', 'false'])), kind: Type.Optional(Type.Enum(RECORD_KINDS))},
      {additionalProperties: false},
    ),
    response: Type.Object({
      node: Type.String(),
      kind: Type.Enum(RECORD_KINDS),
      count: Count,
      digest: Type.String(),
      ids: Type.Optional(Type.Array(Type.String())),
    }),
  },
})
