// node.yaml `settings.presence` of an IM and Presence node: its peer, users, HA and the limits
// its Server Recovery Manager and presence viewer work with.
import {DEFAULT_PRESENCE_LIMITS} from '../domain/presence-viewer.js'
import {UsageError} from '../errors.js'

/** node.yaml `settings.presence` of an IM and Presence node. */
export interface PresenceSettings {
  /** The other node of this node's presence redundancy group. */
  peer: string
  /** Users of the group (the lab: 15,000, half assigned to each node). */
  users: number
  haEnabled: boolean
  autoFallback: boolean
  /** PRG-9: replication is set up in the IM and Presence cluster. */
  replicationReady: boolean
  /** A service whose failure is the node's database failure (PRG-7 row 13). */
  databaseService?: string
  /** PRG-10: users the node can hold, and its CPU load. */
  capacity?: number
  cpuPercent?: number
  /** PRG-1: the WAN link of the IM and Presence cluster, when it spans one. */
  wan?: {bandwidthMbps: number; roundTripMs: number}
  /** Presence viewer warnings: Maximum Contact List Size and Maximum Watchers per user. */
  maxContacts: number
  maxWatchers: number
  /** Users moved per durable batch, and a pause between batches (tests slow a move down with it). */
  moveBatchSize: number
  moveBatchPauseMs: number
}

const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['peer'],
  properties: {
    peer: {type: 'string', minLength: 1},
    users: {type: 'integer', minimum: 0, maximum: 99_999},
    haEnabled: {type: 'boolean'},
    autoFallback: {type: 'boolean'},
    replicationReady: {type: 'boolean'},
    databaseService: {type: 'string', minLength: 1},
    capacity: {type: 'integer', minimum: 1},
    cpuPercent: {type: 'number', minimum: 0, maximum: 100},
    wan: {
      type: 'object',
      additionalProperties: false,
      required: ['bandwidthMbps', 'roundTripMs'],
      properties: {bandwidthMbps: {type: 'number', minimum: 0}, roundTripMs: {type: 'number', minimum: 0}},
    },
    maxContacts: {type: 'integer', minimum: 1},
    maxWatchers: {type: 'integer', minimum: 1},
    moveBatchSize: {type: 'integer', minimum: 1},
    moveBatchPauseMs: {type: 'integer', minimum: 0},
  },
} as const

export async function readSettings(raw: unknown, where: string): Promise<PresenceSettings> {
  const {validatorOf, describeErrors} = await import('../schema.js')
  const validate = await validatorOf(SETTINGS_SCHEMA)
  if (!validate(raw)) throw new UsageError(`${where} settings.presence is invalid: ${describeErrors(validate.errors)}`)
  const r = raw as Partial<PresenceSettings> & {peer: string}
  return {
    users: 0,
    // PRG-9/ADM-9 (run time): HA is off unless the configuration says it is on.
    haEnabled: false,
    autoFallback: false,
    replicationReady: true,
    moveBatchSize: 1000,
    moveBatchPauseMs: 0,
    ...DEFAULT_PRESENCE_LIMITS,
    ...r,
  }
}
