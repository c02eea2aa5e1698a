// Putting the agent on a real host (issue 13): `agent init` writes a commented node.yaml with a
// viewer and an operator token (printed once, kept as SHA-256), `agent token add|list|revoke`
// edit that file keeping its comments, `agent check` names each problem's key and line, and
// `agent serve` refuses what would leak a secret.
import {existsSync, mkdirSync, readFileSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {NotFoundError, UsageError, UcctlError} from '../errors.js'
import {writeFileDurably} from '../durable.js'
import {PRODUCT_SERVICES, type Product, type Role} from '../domain/services.js'
import {yamlProblems} from '../yaml-file.js'
import type {Finding} from '../domain/finding.js'
import {hashToken, newToken, type TokenRole} from '../agent/auth.js'
import {loadNodeConfig, type LoadedNodeConfig, NODE_CONFIG_SCHEMA, type PeerConfig} from '../agent/config.js'

export interface NewToken {
  id: string
  role: TokenRole
  /** Shown once; only its SHA-256 is stored. */
  token: string
}

export interface InitOptions {
  dir: string
  name: string
  product: Product
  role: Role
  peers: PeerConfig[]
  listen: {host: string; port: number}
  stateDir: string
  version?: string
  cluster?: string
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

export const isLoopback = (host: string) => LOOPBACK.test(host)

/** "HOST:PORT" (IPv6 in brackets) as given to --listen. */
export function parseListen(text: string): {host: string; port: number} {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text)
  const port = Number(m?.[3])
  if (!m || port > 65_535) throw new UsageError(`--listen ${text}: expected HOST:PORT (e.g. 0.0.0.0:8443)`)
  return {host: m[1] ?? m[2], port}
}

/** "NAME=URL" as given to --peer. */
export function parsePeer(text: string): PeerConfig {
  const m = /^([a-z0-9][a-z0-9-]{0,62})=(https?:\/\/\S+)$/.exec(text)
  if (!m) throw new UsageError(`--peer ${text}: expected NAME=URL (e.g. cucm-sub=https://cucm-sub.example.net:8443)`)
  return {name: m[1], url: m[2]}
}

/** The lab's node of the same product (and role, when there is one) lends its version and settings. */
async function labExample(product: Product, role: Role) {
  const {loadTopology} = await import('../lab/topology.js')
  const nodes = (await loadTopology()).nodes.filter((n) => n.product === product)
  return nodes.find((n) => n.role === role) ?? nodes[0]
}

const q = (s: string) => JSON.stringify(s)

export async function initNode(o: InitOptions): Promise<{config: string; tokens: NewToken[]}> {
  const config = join(resolve(o.dir), 'node.yaml')
  if (existsSync(config))
    throw new UsageError(`${config} exists: agent init never overwrites a node's configuration`, {
      hint: 'manage its tokens with: ucctl agent token add|list|revoke',
    })
  const example = await labExample(o.product, o.role)
  const settings = structuredClone(example.settings ?? {}) as Record<string, Record<string, unknown>>
  // An IM and Presence node's peer in its redundancy group is one of its peers.
  if (settings.presence && o.peers[0]) settings.presence.peer = o.peers[0].name
  const tokens: NewToken[] = (['viewer', 'operator'] as const).map((role) => ({id: role, role, token: newToken()}))
  const services = PRODUCT_SERVICES[o.product]
  const text = `# ucctl node agent configuration, written by \`ucctl agent init\`.
# Check it with: ucctl agent check --config ${config}
# Run it with:   ucctl agent serve --config ${config}   (or the systemd unit ucctl-agent.service)

# Who this node is.
name: ${q(o.name)}
product: ${q(o.product)}       # cucm | imp | cuc | ctios
role: ${q(o.role)}     # publisher | subscriber
version: ${q(o.version ?? example.version)}     # the product version installed on this host
cluster: ${q(o.cluster ?? example.cluster)}     # the nodes of one cluster share this name
${example.group ? `group: ${q(example.group)}     # its presence redundancy group\n` : ''}
# Where the HTTP API listens. Beyond 127.0.0.1 configure tls below: tokens would travel in clear.
listen: {host: ${q(o.listen.host)}, port: ${o.listen.port}}

# Durable state (statuses, operations, events, audit log), relative to this file's directory.
# The systemd unit lets the agent write nowhere else.
stateDir: ${q(o.stateDir)}

# Timing of the documented durations: documented (the products' published values) or fast.
timing: {profile: documented}

# The other nodes' agents this one talks to (keepalives, replication, failover).
peers:${o.peers.length ? o.peers.map((p) => `\n  - {name: ${q(p.name)}, url: ${q(p.url)}}`).join('') : ' []'}

# HTTPS: this agent's certificate and key, and the CA trusted for its peers' certificates
# (paths relative to this file's directory).
# tls: {cert: agent.pem, key: agent.key, ca: ca.pem}

# Bearer tokens: only their SHA-256 is kept. Manage them with ucctl agent token add|list|revoke.
auth:
  tokens:
${tokens.map((t) => `    - {id: ${t.id}, role: ${t.role}, sha256: ${hashToken(t.token)}}`).join('\n')}
  # The token this agent presents to its peers (an operator token of theirs), here or in the
  # environment variable UCCTL_PEER_TOKEN. Here, it makes this file a secret: mode 0600.
  # peerToken: ...

# Product settings read by the agent's modules (the lab's values as a start; adjust them).
settings: ${JSON.stringify(settings)}

# The processes NodeManager supervises. Without this list the agent supervises the lab's
# stand-ins; list the product's own processes with their command lines:
# services:
${services.map((s) => `#   - {name: ${q(s.name)}, command: [/path/to/program], startup: ${s.startup}${s.critical ? ', critical: true' : ''}${s.console ? ', console: true' : ''}}`).join('\n')}
`
  mkdirSync(o.dir, {recursive: true, mode: 0o750})
  writeFileDurably(config, text, 0o600)
  return {config, tokens}
}

/** node.yaml as a YAML document (comments kept), refusing a file that does not parse. */
async function openConfig(path: string) {
  const {parseDocument} = await import('yaml')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read node config ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new UsageError(`node config ${path} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`)
  const save = () => writeFileDurably(path, doc.toString(), statSync(path).mode & 0o777)
  return {doc, save}
}

export interface TokenEntry {
  id: string
  role: TokenRole
}

export async function listTokens(path: string): Promise<TokenEntry[]> {
  const {doc} = await openConfig(path)
  const tokens = (doc.getIn(['auth', 'tokens']) as {toJSON(): TokenEntry[]} | undefined)?.toJSON() ?? []
  return tokens.map((t) => ({id: t.id, role: t.role}))
}

export async function addToken(path: string, id: string, role: TokenRole): Promise<NewToken> {
  if (!/^[\w.@-]{1,64}$/.test(id)) throw new UsageError(`token id "${id}": letters, digits, . _ @ - only (at most 64)`)
  const {doc, save} = await openConfig(path)
  if ((await listTokens(path)).some((t) => t.id === id))
    throw new UsageError(`a token "${id}" exists already in ${path}`, {
      hint: `revoke it first: ucctl agent token revoke ${id} --config ${path}`,
    })
  const token = newToken()
  const entry = doc.createNode({id, role, sha256: hashToken(token)})
  entry.flow = true
  if (!doc.hasIn(['auth', 'tokens'])) doc.setIn(['auth', 'tokens'], doc.createNode([]))
  doc.addIn(['auth', 'tokens'], entry)
  save()
  return {id, role, token}
}

export async function revokeToken(path: string, id: string): Promise<TokenEntry> {
  const {doc, save} = await openConfig(path)
  const tokens = await listTokens(path)
  const index = tokens.findIndex((t) => t.id === id)
  if (index < 0) throw new NotFoundError(`no token "${id}" in ${path}`, {hint: `tokens: ${tokens.map((t) => t.id).join(', ') || 'none'}`})
  doc.deleteIn(['auth', 'tokens', index])
  save()
  return tokens[index]
}

/** A finding about node.yaml: where in the file rather than which rule (a file's own shape has no SPEC rule). */
export interface ConfigFinding extends Omit<Finding, 'rule'> {
  /** The key concerned, dotted (`listen.host`), '' for the file as a whole. */
  readonly key: string
  readonly line?: number
}

/** What is wrong with a node.yaml: its schema first, then what only the whole file can say. */
export async function checkNodeConfig(path: string): Promise<ConfigFinding[]> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    return [
      {
        severity: 'error',
        key: '',
        message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        fix: 'give the path of node.yaml',
      },
    ]
  }
  const {problems} = await yamlProblems(text, NODE_CONFIG_SCHEMA)
  if (problems.length > 0) return problems.map((p) => ({severity: 'error', ...p}))
  let config: LoadedNodeConfig
  try {
    config = await loadNodeConfig(path)
  } catch (error) {
    if (!(error instanceof UcctlError)) throw error
    return [{severity: 'error', key: '', message: error.message, fix: error.hint ?? ''}]
  }
  return servingFindings(config, path)
}

/** What `agent serve` refuses (errors) or warns about, before it listens. */
export async function servingFindings(config: LoadedNodeConfig, path: string): Promise<ConfigFinding[]> {
  const findings: ConfigFinding[] = []
  const mode = statSync(path).mode
  // The file's own peerToken (config.auth's may come from the environment).
  const {parse} = await import('yaml')
  const secret = typeof (parse(readFileSync(path, 'utf8')) as {auth?: {peerToken?: unknown}}).auth?.peerToken === 'string'
  if (secret && mode & 0o004) {
    findings.push({
      severity: 'error',
      key: 'auth.peerToken',
      message: `${path} holds a token and is readable by every user (mode ${(mode & 0o777).toString(8)})`,
      fix: `chmod 600 ${path} (or move the token to UCCTL_PEER_TOKEN)`,
    })
  }
  if (!config.tls && !isLoopback(config.listen.host)) {
    findings.push({
      severity: 'warning',
      key: 'listen.host',
      message: `listening on ${config.listen.host} without TLS: tokens and data travel in clear`,
      fix: 'configure tls: {cert, key, ca} or listen on 127.0.0.1',
    })
  }
  if (config.tls && statSync(config.tls.key).mode & 0o004) {
    findings.push({
      severity: 'warning',
      key: 'tls.key',
      message: `the TLS key ${config.tls.key} is readable by every user`,
      fix: `chmod 600 ${config.tls.key}`,
    })
  }
  if (!config.auth || config.auth.tokens.length === 0) {
    findings.push({
      severity: 'warning',
      key: 'auth.tokens',
      message: 'no token: every route but /v1/health refuses',
      fix: `ucctl agent token add NAME --role operator --config ${path}`,
    })
  }
  return findings
}
