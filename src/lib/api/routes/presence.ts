// The routes of an IM and Presence node (SPEC §6): its presence redundancy group as its Server
// Recovery Manager sees it, the group's users and the end user presence viewer, the operator's
// group actions, and what the two SRMs of a group tell each other (heartbeat, lease, reboot).
import {type Static, type TProperties, Type} from 'typebox'
import {GROUP_ACTIONS, LEASE_TTL_MS} from '../../domain/presence-plan.js'
import {NODE_STATES, REASONS} from '../../domain/presence-tables.js'
import {PRESENCE_STATUSES} from '../../domain/presence-viewer.js'
import {routes} from '../contract.js'
import {Name, Operation, Plan} from '../schemas.js'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
const GroupParams = Type.Object({group: Name})
const UserId = Type.String({minLength: 1, maxLength: 256})

/** A node of the group as the machine holds it (domain/presence-group.ts PresenceNode). */
const NodeState = Type.Enum(NODE_STATES.map((s) => s.state))
const Reason = Type.Enum(REASONS.map((r) => r.reason))
const PresenceNode = Type.Object({
  name: Type.String(),
  state: Nullable(NodeState),
  reason: Nullable(Reason),
  up: Type.Boolean(),
  criticalServicesRunning: Type.Boolean(),
  criticalServicesDownSinceMs: Nullable(Type.Number()),
  users: Type.Integer(),
  assignedUsers: Type.Integer(),
})

/** The group's state (domain/presence-group.ts GroupState). */
const GroupState = Type.Object({
  name: Type.String(),
  haEnabled: Type.Boolean(),
  autoFallback: Type.Boolean(),
  replicationReady: Type.Boolean(),
  nodes: Type.Immutable(Type.Tuple([PresenceNode, PresenceNode])),
  node1: Nullable(Type.Union([Type.Literal(0), Type.Literal(1)])),
  healthySinceMs: Nullable(Type.Number()),
})

/** A presence redundancy group as one of its SRMs sees it (`pcluster status` reads it from every member). */
const RedundancyGroupView = Type.Object({
  node: Type.String(),
  group: Type.String(),
  peer: Type.String(),
  /** How much of the group's history this SRM has seen (the freshest view has the highest). */
  version: Type.Integer(),
  srm: Type.Object({running: Type.Boolean(), initializing: Type.Boolean()}),
  state: GroupState,
  status: Type.Object({
    name: Type.String(),
    haEnabled: Type.Boolean(),
    autoFallback: Type.Boolean(),
    recommendedAction: Type.String(),
    row: Nullable(Type.Integer()),
    allowedActions: Type.Array(Type.String()),
    nodes: Type.Array(
      Type.Object({
        name: Type.String(),
        state: Type.String(),
        reason: Nullable(Type.String()),
        users: Type.Integer(),
        assignedUsers: Type.Integer(),
        up: Type.Boolean(),
      }),
    ),
  }),
  criticalServices: Type.Array(Type.Object({name: Type.String(), state: Type.String(), critical: Type.Boolean()})),
  move: Nullable(Type.Object({from: Type.String(), to: Type.String(), moved: Type.Integer(), total: Type.Integer()})),
  facts: Type.Object({
    capacity: Type.Optional(Type.Integer()),
    cpuPercent: Type.Optional(Type.Number()),
    wan: Type.Optional(Type.Object({bandwidthMbps: Type.Number(), roundTripMs: Type.Number()})),
  }),
})

const UserCounts = Type.Object({name: Type.String(), users: Type.Integer(), assignedUsers: Type.Integer()})

const Status = Type.Enum(PRESENCE_STATUSES)
const Statuses = Type.Record(Type.String(), Status)

/** The end user presence viewer of one user (seed 003; the CLI's PresenceView kind). */
const PresenceView = Type.Object({
  group: Type.String(),
  user: Type.String(),
  status: Status,
  customText: Type.Optional(Type.String()),
  perspective: Nullable(Type.String()),
  contacts: Type.Object({
    count: Type.Integer(),
    groups: Type.Array(Type.Object({name: Type.String(), contacts: Type.Array(Type.String())})),
    ungrouped: Type.Array(Type.String()),
    statuses: Statuses,
  }),
  watchers: Type.Object({
    count: Type.Integer(),
    groups: Type.Array(Type.Object({name: Type.String(), watchers: Type.Array(Type.String())})),
    ungrouped: Type.Array(Type.String()),
    statuses: Statuses,
  }),
  server: Type.Object({assigned: Type.String(), signedInTo: Type.String()}),
  prerequisites: Type.Array(Type.Object({name: Type.String(), ok: Type.Boolean(), detail: Type.String()})),
  warnings: Type.Array(Type.String()),
})

const Node = {node: Type.String()}
const event = <T extends string, P extends TProperties>(type: T, props: P) => Type.Object({type: Type.Literal(type), ...props})
/** An event of the group machine (domain/presence-group.ts HaEvent), as the replicas exchange them. */
const HaEvent = Type.Union([
  event('failover', Node),
  event('fallback', Node),
  event('recover', {}),
  event('haEnable', {}),
  event('haDisable', {}),
  event('criticalServiceDown', {...Node, sinceMs: Type.Optional(Type.Number())}),
  event('databaseFailure', Node),
  event('peerHeartbeatLost', Node),
  event('peerRebootAnnounced', Node),
  event('srmRestarted', Node),
  event('nodeBoot', {...Node, servicesUp: Type.Optional(Type.Boolean())}),
  event('servicesBack', Node),
  event('userMoveFailed', {}),
  event('peerNotSeenAtInit', Node),
  event('takeoverComplete', {}),
  event('takebackComplete', {}),
  event('tick', {}),
])
const Entry = Type.Object({stamp: Type.Number(), node: Type.String(), event: HaEvent})
const Digits = Type.String({pattern: '^[01]*$'})

/** What two SRMs tell each other with every heartbeat (agent/srm-peer.ts). */
export const SrmMessage = Type.Object(
  {
    from: Type.String({minLength: 1}),
    group: Type.String({minLength: 1}),
    initializing: Type.Boolean(),
    /** Each start of the sender's SRM has its own id; `initKind` says whether the node booted. */
    initId: Type.String(),
    initKind: Type.Union([Type.Literal('boot'), Type.Literal('restart'), Type.Literal('planned')]),
    /** The last start of the receiver's SRM that the sender has handled (PRG-3: the peer records it). */
    seenInit: Nullable(Type.String()),
    servicesUp: Type.Boolean(),
    sync: Type.Object(
      {
        entries: Type.Immutable(Type.Array(Entry)),
        base: Type.Optional(Type.Object({group: GroupState, stamp: Type.Number()})),
        maxFrom: Type.Record(Type.String(), Type.Number()),
      },
      {additionalProperties: false},
    ),
    table: Type.Object(
      {
        stamp: Type.Number(),
        data: Type.Optional(
          Type.Object(
            {stamp: Type.Number(), home: Digits, at: Digits, revision: Type.Optional(Type.Number())},
            {additionalProperties: false},
          ),
        ),
      },
      {additionalProperties: false},
    ),
  },
  {additionalProperties: false},
)
export type SrmMessage = Static<typeof SrmMessage>

export const presenceRoutes = routes({
  'GET /v1/presence': {
    summary: "This node's presence redundancy group as its Server Recovery Manager sees it (PRG-5..7)",
    response: RedundancyGroupView,
    errors: ['NotFound'],
  },
  'GET /v1/presence/groups/:group': {
    summary: 'The named presence redundancy group as this node sees it',
    params: GroupParams,
    response: RedundancyGroupView,
    errors: ['NotFound'],
  },
  'GET /v1/presence/groups/:group/users': {
    summary: "The group's users per node, as this node's replica holds them; with node, that node's users (PRG-2, PRG-10)",
    params: GroupParams,
    query: Type.Object({node: Type.Optional(Type.String({minLength: 1}))}, {additionalProperties: false}),
    response: Type.Object({
      node: Type.String(),
      group: Type.String(),
      version: Type.Number(),
      nodes: Type.Array(UserCounts),
      users: Type.Optional(Type.Array(Type.Object({id: Type.String(), node: Type.String(), assignedNode: Type.String()}))),
    }),
    errors: ['NotFound'],
  },
  'GET /v1/presence/users/:id': {
    summary: 'The end user presence viewer of one user; with as, as that watcher sees it (seed 003, ADM-7)',
    params: Type.Object({id: UserId}),
    query: Type.Object({as: Type.Optional(UserId)}, {additionalProperties: false}),
    response: PresenceView,
    errors: ['NotFound'],
  },
  'GET /v1/presence/over-limits': {
    summary: 'Users over the Maximum Contact List Size or Maximum Watchers (user check)',
    response: Type.Object({
      limits: Type.Object({maxContacts: Type.Integer(), maxWatchers: Type.Integer()}),
      users: Type.Array(Type.Object({id: Type.String(), contacts: Type.Integer(), watchers: Type.Integer()})),
    }),
  },
  'POST /v1/presence/groups/:group/:action': {
    summary:
      'A group action (failover, fallback, recover, HA enable or disable, rebalance): performed by the SRM the action names (PRG-3), the request forwarded to it',
    params: Type.Object({group: Name, action: Type.Enum(GROUP_ACTIONS)}),
    body: Type.Object({node: Type.Optional(Type.String({minLength: 1}))}, {additionalProperties: false}),
    response: Type.Intersect([Operation, Type.Object({group: Type.Optional(Type.String())})]),
    status: [200, 202],
    preview: Type.Intersect([
      Plan,
      Type.Object({
        group: Type.String(),
        action: Type.Enum(GROUP_ACTIONS),
        node: Type.Optional(Type.String()),
        currentState: Type.String(),
        impact: Type.Optional(Type.Array(Type.Object({subject: Type.String(), impact: Type.String(), rule: Type.Literal('PRG-11')}))),
      }),
    ]),
    errors: ['NotFound', 'Refused', 'Busy', 'Unreachable'],
  },
  'POST /v1/presence/groups/:group/heartbeat': {
    summary: "Peer: the SRM's heartbeat, carrying what the peer has not seen; answered with this SRM's own (PRG-3)",
    // Several a second (fast profile), some carrying the whole user table: auditing each and
    // keeping it for idempotency rewrote two files durably per heartbeat. Receiving one twice is
    // harmless (what it carries is merged by stamp).
    traffic: true,
    params: GroupParams,
    body: SrmMessage,
    response: SrmMessage,
    errors: ['NotFound', 'Refused'],
    bodyLimit: 4 * 1024 * 1024,
  },
  'POST /v1/presence/groups/:group/reboot': {
    summary: 'Peer: the peer node is going down on purpose (PRG-7 row 17)',
    params: GroupParams,
    body: Type.Object({from: Type.String()}, {additionalProperties: false}),
    response: Type.Object({accepted: Type.Boolean()}),
    errors: ['NotFound', 'Refused'],
  },
  'POST /v1/presence/groups/:group/lease': {
    summary: "Peer: holds the group's lock for the peer's group action (one operator action per group, PRG-8)",
    params: GroupParams,
    body: Type.Object(
      {
        token: Type.String({minLength: 1, maxLength: 100}),
        holder: Type.String({minLength: 1}),
        ttlMs: Type.Optional(Type.Integer({minimum: 1, maximum: LEASE_TTL_MS})),
      },
      {additionalProperties: false},
    ),
    response: Type.Object({group: Type.String(), holder: Type.String()}),
    errors: ['NotFound', 'Refused', 'Busy'],
  },
  'POST /v1/presence/groups/:group/lease/release': {
    summary: "Peer: releases the group's lock the peer held",
    params: GroupParams,
    body: Type.Object({token: Type.String()}, {additionalProperties: false}),
    response: Type.Object({group: Type.String()}),
    errors: ['NotFound'],
  },
})
