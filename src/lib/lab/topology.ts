// A lab topology file: the nodes of a deployment and their groups. The default ships in the
// package (topologies/default.yaml); `ucctl lab up --topology FILE` takes another.
import {join} from 'node:path'
import {UsageError} from '../errors.js'
import {NODE_IDENTITY_PROPERTIES, type NodeIdentity} from '../node-identity.js'
import {TIMING_PROFILES, type TimingProfile} from '../domain/timing.js'
import {PACKAGE_ROOT} from '../paths.js'
import {readYamlFile} from '../yaml-file.js'

export interface TopologyNode extends NodeIdentity {
  /** Product settings handed to the node's agent (node.yaml `settings`). */
  settings?: Record<string, unknown>
}

export interface Topology {
  name: string
  timing: TimingProfile
  nodes: TopologyNode[]
  groups: Array<{name: string; nodes: string[]}>
}

export const DEFAULT_TOPOLOGY = join(PACKAGE_ROOT, 'topologies', 'default.yaml')

const TOPOLOGY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'nodes'],
  properties: {
    name: {type: 'string', minLength: 1},
    timing: {enum: [...TIMING_PROFILES]},
    nodes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'product', 'role', 'version', 'cluster'],
        properties: NODE_IDENTITY_PROPERTIES,
      },
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'nodes'],
        properties: {name: {type: 'string'}, nodes: {type: 'array', items: {type: 'string'}}},
      },
    },
  },
} as const

export async function loadTopology(path = DEFAULT_TOPOLOGY): Promise<Topology> {
  const raw = await readYamlFile(path, TOPOLOGY_SCHEMA, 'topology')
  const t = raw as Omit<Topology, 'timing' | 'groups'> & Partial<Topology>
  const names = new Set<string>()
  for (const n of t.nodes) {
    if (names.has(n.name)) throw new UsageError(`topology ${path}: node "${n.name}" is listed twice`)
    names.add(n.name)
  }
  for (const g of t.groups ?? []) {
    for (const n of g.nodes) if (!names.has(n)) throw new UsageError(`topology ${path}: group ${g.name} names unknown node "${n}"`)
  }
  return {name: t.name, timing: t.timing ?? 'fast', nodes: t.nodes, groups: t.groups ?? []}
}

/** Peers of a node: the other nodes of its cluster (role managers and SRM talk to them). */
export function peersOf(t: Topology, node: TopologyNode): TopologyNode[] {
  return t.nodes.filter((n) => n.name !== node.name && n.cluster === node.cluster)
}
