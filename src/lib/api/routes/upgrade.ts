// Unified CM and IM and Presence partitions (SPEC §5, UPG-1..7): the partitions and their
// history, the upgrade of the inactive partition and the switch of version.
import {Type} from 'typebox'
import {routes} from '../contract.js'
import {Operation, Plan, Time} from '../schemas.js'

const UpgradeAction = Type.Enum(['upgrade', 'switch-version'])

/** One node's partitions and its own upgrade history (domain/upgrade.ts NodePartitions). */
export const PartitionsReport = Type.Object({
  node: Type.String(),
  product: Type.Enum(['cucm', 'imp']),
  role: Type.Enum(['publisher', 'subscriber']),
  cluster: Type.Optional(Type.String()),
  active: Type.String(),
  inactive: Type.Union([Type.String(), Type.Null()]),
  history: Type.Array(
    Type.Object({node: Type.String(), action: UpgradeAction, version: Type.Optional(Type.String()), time: Type.Optional(Time)}),
  ),
  /** The upgrade or switch-version running on this node, if any. */
  operation: Type.Union([Type.Object({id: Type.String(), action: UpgradeAction}), Type.Null()]),
})

const UpgradePreview = (action: 'upgrade' | 'switch-version') =>
  Type.Intersect([Plan, Type.Object({node: Type.String(), action: Type.Literal(action)})])

export const upgradeRoutes = routes({
  'GET /v1/partitions': {summary: "The node's active and inactive partitions and its upgrade history", response: PartitionsReport},
  'POST /v1/node/upgrade': {
    summary: 'Installs a version on the inactive partition (UPG-4: validated against the whole cluster before it runs)',
    body: Type.Object({version: Type.String({minLength: 1, maxLength: 100})}, {additionalProperties: false}),
    response: Operation,
    status: 202,
    preview: UpgradePreview('upgrade'),
    errors: ['Refused', 'Busy'],
  },
  'POST /v1/node/switch-version': {
    summary: 'Makes the inactive partition active and restarts every service (UPG-4: validated first)',
    response: Operation,
    status: 202,
    preview: UpgradePreview('switch-version'),
    errors: ['Refused', 'Busy'],
  },
})
