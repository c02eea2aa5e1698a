// A lab topology file: the nodes of a deployment and their groups. The default ships in the
// package (topologies/default.yaml); `ucctl lab up --topology FILE` takes another.
import {join} from 'node:path'
import {UsageError} from '../errors.js'
import {NODE_IDENTITY_PROPERTIES, type NodeIdentity} from '../node-identity.js'
import {TIMING_CONFIG_SCHEMA, TIMING_PROFILES, type Timing, type TimingProfile} from '../domain/timing.js'
import {PACKAGE_ROOT} from '../paths.js'
import {readYamlFile} from '../yaml-file.js'

export interface TopologyNode extends NodeIdentity {
  /** Product settings handed to the node's agent (node.yaml `settings`). */
  settings?: Record<string, unknown>
}

export interface Topology {
  name: string
  timing: TimingProfile
  /** Settings that differ from the profile, for every node (node.yaml `timing.overrides`). */
  timingOverrides?: Partial<Timing>
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
    // A profile's name, or node.yaml's {profile, overrides}.
    timing: {oneOf: [{enum: [...TIMING_PROFILES]}, TIMING_CONFIG_SCHEMA]},
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
  const t = raw as Omit<Topology, 'timing' | 'groups'> & {
    timing?: TimingProfile | {profile?: TimingProfile; overrides?: Partial<Timing>}
    groups?: Topology['groups']
  }
  const names = new Set<string>()
  for (const n of t.nodes) {
    if (names.has(n.name)) throw new UsageError(`topology ${path}: node "${n.name}" is listed twice`)
    names.add(n.name)
  }
  for (const g of t.groups ?? []) {
    for (const n of g.nodes) if (!names.has(n)) throw new UsageError(`topology ${path}: group ${g.name} names unknown node "${n}"`)
  }
  for (const n of t.nodes) {
    for (const k of knownServersOf(n)) {
      if (typeof k === 'string' && !names.has(k))
        throw new UsageError(`topology ${path}: ${n.name} names unknown known server "${k}"`, {
          hint: 'a node of the topology, or {name, url}',
        })
    }
  }
  const timing = typeof t.timing === 'object' ? t.timing : {profile: t.timing}
  return {
    name: t.name,
    timing: timing.profile ?? 'fast',
    ...(timing.overrides ? {timingOverrides: timing.overrides} : {}),
    nodes: t.nodes,
    groups: t.groups ?? [],
  }
}

type KnownServer = string | {name: string; url: string}

function knownServersOf(n: TopologyNode): KnownServer[] {
  const known = (n.settings?.connection as {knownServers?: unknown} | undefined)?.knownServers
  return Array.isArray(known) ? (known as KnownServer[]) : []
}

/**
 * The settings handed to a node's agent: UC-13's "other known servers" may name nodes of the
 * topology (the Unified CM nodes), which become their lab URLs; a {name, url} (a gateway) stays.
 */
export function agentSettings(n: TopologyNode, urls: ReadonlyMap<string, string>): Record<string, unknown> | undefined {
  const known = knownServersOf(n)
  if (!n.settings || known.length === 0) return n.settings
  const connection = n.settings.connection as Record<string, unknown>
  const knownServers = known.map((k) => (typeof k === 'string' ? {name: k, url: urls.get(k)!} : k))
  return {...n.settings, connection: {...connection, knownServers}}
}

/** Peers of a node: the other nodes of its cluster (role managers and SRM talk to them). */
export function peersOf(t: Topology, node: TopologyNode): TopologyNode[] {
  return t.nodes.filter((n) => n.name !== node.name && n.cluster === node.cluster)
}
