// The node agent's configuration file (node.yaml): who the node is, where it listens, where
// its state lives, its timing profile, its peers and the commands of its service processes.
import {readFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {UsageError} from '../errors.js'
import {NODE_IDENTITY_PROPERTIES, type NodeIdentity} from '../node-identity.js'
import {readYamlFile} from '../yaml-file.js'
import {PRODUCT_SERVICES, type Product, STARTUP_TYPES} from '../domain/services.js'
import {type Timing, TIMING_CONFIG_SCHEMA, type TimingProfile, timingFor} from '../domain/timing.js'
import {AUTH_CONFIG_SCHEMA, type AuthConfig} from './auth.js'
import type {ServiceConfig} from './node-manager.js'

export interface PeerConfig {
  name: string
  url: string
}

export interface NodeConfig extends NodeIdentity {
  listen: {host: string; port: number}
  stateDir: string
  timing: {profile: TimingProfile; overrides?: Partial<Timing>}
  peers: PeerConfig[]
  services: ServiceConfig[]
  /** Product settings read by the agent's modules (each validates its own part). */
  settings: Record<string, unknown>
  /** Accept fault injection (lab and tests only; never on a production node). */
  faultInjection: boolean
  /** Bearer tokens (hashes) and roles; required in node.yaml (every route but /v1/health). */
  auth?: AuthConfig
  /** HTTPS: certificate and key files; `ca` is the CA trusted for peers' certificates. */
  tls?: {cert: string; key: string; ca?: string; caPem?: string}
}

export const NODE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'product', 'role', 'version', 'cluster', 'stateDir', 'auth'],
  properties: {
    ...NODE_IDENTITY_PROPERTIES,
    listen: {
      type: 'object',
      additionalProperties: false,
      properties: {host: {type: 'string'}, port: {type: 'integer', minimum: 0, maximum: 65535}},
    },
    stateDir: {type: 'string', minLength: 1},
    faultInjection: {type: 'boolean'},
    auth: AUTH_CONFIG_SCHEMA,
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: {cert: {type: 'string'}, key: {type: 'string'}, ca: {type: 'string'}},
    },
    timing: TIMING_CONFIG_SCHEMA,
    peers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'url'],
        properties: {name: {type: 'string'}, url: {type: 'string', pattern: '^https?://'}},
      },
    },
    services: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'command'],
        properties: {
          name: {type: 'string', minLength: 1},
          description: {type: 'string'},
          command: {type: 'array', minItems: 1, items: {type: 'string', minLength: 1}},
          argv0: {type: 'string'},
          startup: {enum: [...STARTUP_TYPES]},
          console: {type: 'boolean'},
          critical: {type: 'boolean'},
        },
      },
    },
  },
} as const

/**
 * The lab's stand-in for a product process: `cat` blocks on its stdin pipe, costs nothing, and
 * exits when the agent holding the pipe dies, so a SIGKILLed agent leaves no orphans.
 */
export function standInServices(product: Product): ServiceConfig[] {
  return PRODUCT_SERVICES[product].map((d) => ({
    name: d.name,
    description: d.description,
    command: ['cat'],
    argv0: d.name,
    startup: d.startup,
    console: d.console,
    critical: d.critical,
  }))
}

/** A node config with its timing profile resolved to values. */
export type LoadedNodeConfig = NodeConfig & {timingValues: Timing}

function resolveTls(dir: string, tls: NonNullable<NodeConfig['tls']>): NonNullable<NodeConfig['tls']> {
  const abs = (f: string) => resolve(dir, f)
  for (const f of [tls.cert, tls.key, ...(tls.ca ? [tls.ca] : [])]) {
    try {
      readFileSync(abs(f))
    } catch (error) {
      throw new UsageError(`cannot read TLS file ${abs(f)}: ${(error as NodeJS.ErrnoException).code ?? error}`)
    }
  }
  return {cert: abs(tls.cert), key: abs(tls.key), ...(tls.ca ? {ca: abs(tls.ca), caPem: readFileSync(abs(tls.ca), 'utf8')} : {})}
}

export async function loadNodeConfig(path: string): Promise<LoadedNodeConfig> {
  const raw = await readYamlFile(path, NODE_CONFIG_SCHEMA, 'node config')
  const r = raw as Partial<NodeConfig> & Pick<NodeConfig, 'name' | 'product' | 'role' | 'version' | 'cluster' | 'stateDir'>
  const timing = {profile: r.timing?.profile ?? 'fast', overrides: r.timing?.overrides}
  const config: NodeConfig = {
    ...r,
    listen: {host: r.listen?.host ?? '127.0.0.1', port: r.listen?.port ?? 0},
    stateDir: resolve(dirname(path), r.stateDir),
    timing,
    peers: r.peers ?? [],
    settings: r.settings ?? {},
    faultInjection: r.faultInjection ?? false,
    // A peer token may come from the environment (the lab's way), keeping it out of node.yaml.
    ...(r.auth ? {auth: {...r.auth, peerToken: r.auth.peerToken ?? process.env.UCCTL_PEER_TOKEN}} : {}),
    ...(r.tls ? {tls: resolveTls(dirname(path), r.tls)} : {}),
    services: (r.services ?? standInServices(r.product)).map((s) => ({
      ...s,
      startup: s.startup ?? 'Automatic',
      console: s.console ?? false,
      critical: s.critical ?? false,
    })),
  }
  const names = new Set<string>()
  for (const s of config.services) {
    if (names.has(s.name)) throw new UsageError(`node config ${path}: service "${s.name}" is listed twice`)
    names.add(s.name)
  }
  return {...config, timingValues: timingFor(timing.profile, timing.overrides)}
}
