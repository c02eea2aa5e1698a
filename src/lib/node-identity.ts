// Who a node is: the fields shared by node.yaml and the nodes of a topology file. A module of
// its own so the CLI can read topologies without loading the agent's configuration code.
import {PRODUCTS, type Product, type Role, ROLES} from './domain/services.js'

/** Who a node is (node.yaml, and each node of a topology file). */
export interface NodeIdentity {
  name: string
  product: Product
  role: Role
  version: string
  cluster: string
  /** Its presence redundancy group (IM and Presence). */
  group?: string
}

/** Who a node is: shared by node.yaml and the nodes of a topology file. */
export const NODE_IDENTITY_PROPERTIES = {
  name: {type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$'},
  product: {enum: [...PRODUCTS]},
  role: {enum: [...ROLES]},
  version: {type: 'string', minLength: 1},
  cluster: {type: 'string', minLength: 1},
  group: {type: 'string', minLength: 1},
  /** Product settings read by the agent's modules (each validates its own part). */
  settings: {type: 'object'},
} as const
