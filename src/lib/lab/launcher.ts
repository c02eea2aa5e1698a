// The embedded lab: one agent OS process per node on 127.0.0.1 (so a node can really be
// killed), each with its own node.yaml and state under $UCCTL_HOME (or the XDG state dir).
import {execFileSync, spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient} from '../client/agent-client.js'
import {readJsonFile, writeFileDurably} from '../durable.js'
import {InternalError, UsageError} from '../errors.js'
import type {TimingProfile} from '../domain/timing.js'
import {PACKAGE_ROOT, stateDir} from '../paths.js'
import type {TopologyNode} from './topology.js'

export interface LabNode extends TopologyNode {
  url: string
  pid: number
  config: string
  log: string
}

export interface LabState {
  name: string
  topology: string
  timing: TimingProfile
  /** Agents serve HTTPS with certificates of the lab's own CA (lab/tls/ca.pem). */
  tls?: boolean
  startedAt: string
  nodes: LabNode[]
}

export type LabNodeState = 'running' | 'stopped'

const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000

export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'lab')
}

const labFile = (env?: NodeJS.ProcessEnv) => join(labDir(env), 'lab.json')
/** The URLs of the last lab that was up (kept by lab down, reused by lab up). */
const lastUrlsFile = (env?: NodeJS.ProcessEnv) => join(labDir(env), 'last-urls.json')
const credentialsFile = (env?: NodeJS.ProcessEnv) => join(labDir(env), 'credentials.json')

/** The lab's own tokens: operator (the CLI's), viewer (to try a read-only role), peer. */
export interface LabCredentials {
  operator: string
  viewer: string
  peer: string
}

export function labCredentials(env?: NodeJS.ProcessEnv): LabCredentials | undefined {
  return readJsonFile<LabCredentials>(credentialsFile(env))
}

function ensureLabCredentials(newToken: () => string): LabCredentials {
  const existing = labCredentials()
  if (existing) return existing
  const creds: LabCredentials = {operator: newToken(), viewer: newToken(), peer: newToken()}
  writeFileDurably(credentialsFile(), JSON.stringify(creds, null, 2) + '\n', 0o600)
  return creds
}

export function readLab(env?: NodeJS.ProcessEnv): LabState | undefined {
  return readJsonFile<LabState>(labFile(env))
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function nodeState(n: LabNode): LabNodeState {
  return isAlive(n.pid) ? 'running' : 'stopped'
}

/** A free loopback port (the lab fixes ports before start so peers can name each other). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    })
  })
}

/** The lab's CA (made once with openssl): what a context trusts with --ca. */
export function labCaPath(env?: NodeJS.ProcessEnv): string {
  return join(labDir(env), 'tls', 'ca.pem')
}

function openssl(cwd: string, ...args: string[]): void {
  try {
    execFileSync('openssl', args, {cwd, stdio: 'pipe'})
  } catch (error) {
    const e = error as NodeJS.ErrnoException & {stderr?: Buffer}
    if (e.code === 'ENOENT') throw new UsageError('lab up --tls needs the openssl command', {hint: 'install it (Debian: apt-get install openssl)'})
    throw new InternalError(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`)
  }
}

function ensureLabCa(dir: string): {pem: string; dir: string} {
  const tlsDir = join(dir, 'tls')
  mkdirSync(tlsDir, {recursive: true, mode: 0o700})
  if (!existsSync(join(tlsDir, 'ca.pem'))) {
    openssl(tlsDir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '365', '-subj', '/CN=ucctl lab CA')
  }
  return {pem: readFileSync(join(tlsDir, 'ca.pem'), 'utf8'), dir: tlsDir}
}

/** A certificate for 127.0.0.1 and localhost, signed by the lab CA; the node trusts the CA for its peers. */
function ensureNodeCertificate(dir: string, node: string, ca: {dir: string}): {cert: string; key: string; ca: string} {
  const nodeDir = join(dir, node)
  const cert = join(nodeDir, 'agent.pem')
  const key = join(nodeDir, 'agent.key')
  if (!existsSync(cert)) {
    openssl(nodeDir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'agent.key', '-out', 'agent.csr', '-subj', `/CN=${node}`)
    writeFileSync(join(nodeDir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
    openssl(nodeDir, 'x509', '-req', '-in', 'agent.csr', '-CA', join(ca.dir, 'ca.pem'), '-CAkey', join(ca.dir, 'ca.key'), '-CAcreateserial', '-out', 'agent.pem', '-days', '365', '-extfile', 'san.cnf')
  }
  return {cert, key, ca: join(ca.dir, 'ca.pem')}
}

/** Serialises lab up/down between concurrent ucctl processes. */
async function withLabLock<T>(fn: () => Promise<T>): Promise<T> {
  const dir = labDir()
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const lock = join(dir, '.lock')
  const deadline = Date.now() + READY_TIMEOUT_MS * 2
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A lock older than a whole start-up belongs to a process that died holding it.
      try {
        if (Date.now() - statSync(lock).mtimeMs > READY_TIMEOUT_MS * 2) unlinkSync(lock)
      } catch {}
      if (Date.now() > deadline) throw new InternalError(`the lab lock ${lock} is held by another ucctl`)
      await sleep(50)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, {force: true})
  }
}

async function waitReady(n: LabNode, deadline: number, ca: string | undefined): Promise<void> {
  // /v1/health needs no token.
  const client = new AgentClient(n, {timeoutMs: 1000, ca})
  for (;;) {
    try {
      await client.get('/v1/health')
      return
    } catch (error) {
      if (!isAlive(n.pid)) throw new InternalError(`the agent of ${n.name} exited during start-up; see ${n.log}`)
      if (Date.now() > deadline) throw new InternalError(`the agent of ${n.name} did not answer within ${READY_TIMEOUT_MS} ms; see ${n.log}`, {cause: error})
      await sleep(25)
    }
  }
}

/**
 * Starts every node of the topology that is not already running; running ones are kept (their
 * ports too, so peers' URLs stay valid). Idempotent.
 */
export async function labUp(opts: {topology?: string; timing?: TimingProfile; tls?: boolean; onProgress?: (m: string) => void} = {}): Promise<LabState> {
  return withLabLock(async () => {
    const previous = readLab()
    // Loaded here only: every other command reads lab.json and needs no topology code.
    const {agentSettings, DEFAULT_TOPOLOGY, loadTopology, peersOf} = await import('./topology.js')
    const tls = opts.tls ?? previous?.tls ?? false
    if (previous && (previous.tls ?? false) !== tls && previous.nodes.some((n) => isAlive(n.pid))) {
      throw new UsageError(`the lab is running ${previous.tls ? 'with' : 'without'} TLS`, {hint: 'stop it first: ucctl lab down'})
    }
    const topologyPath = opts.topology ?? previous?.topology ?? DEFAULT_TOPOLOGY
    const topology = await loadTopology(topologyPath)
    const timing = opts.timing ?? topology.timing
    const dir = labDir()
    const urls = new Map<string, string>()
    const lastUrls = readJsonFile<Array<{name: string; url: string}>>(lastUrlsFile()) ?? []
    for (const n of topology.nodes) {
      const old = previous?.nodes.find((p) => p.name === n.name) ?? lastUrls.find((p) => p.name === n.name)
      const keep = old && old.url.startsWith(tls ? 'https:' : 'http:')
      urls.set(n.name, keep ? old.url : `${tls ? 'https' : 'http'}://127.0.0.1:${await freePort()}`)
    }
    const [{stringify}, {hashToken, newToken}] = await Promise.all([import('yaml'), import('../agent/auth.js')])
    const creds = ensureLabCredentials(newToken)
    const auth = {
      tokens: [
        {id: 'lab-operator', role: 'operator', sha256: hashToken(creds.operator)},
        {id: 'lab-viewer', role: 'viewer', sha256: hashToken(creds.viewer)},
        {id: 'lab-peer', role: 'operator', sha256: hashToken(creds.peer)},
      ],
    }
    const ca = tls ? ensureLabCa(dir) : undefined
    const nodes: LabNode[] = []
    const started: LabNode[] = []
    for (const n of topology.nodes) {
      const old = previous?.nodes.find((p) => p.name === n.name)
      const nodeDir = join(dir, n.name)
      mkdirSync(nodeDir, {recursive: true, mode: 0o700})
      const url = urls.get(n.name)!
      const config = join(nodeDir, 'node.yaml')
      const log = join(nodeDir, 'agent.log')
      if (old && isAlive(old.pid)) {
        nodes.push({...old, ...n})
        continue
      }
      const nodeConfig = {
        name: n.name,
        product: n.product,
        role: n.role,
        version: n.version,
        cluster: n.cluster,
        ...(n.group ? {group: n.group} : {}),
        ...(n.settings ? {settings: agentSettings(n, urls)} : {}),
        listen: {host: '127.0.0.1', port: Number(new URL(url).port)},
        stateDir: '.',
        faultInjection: true,
        auth,
        ...(ca ? {tls: ensureNodeCertificate(dir, n.name, ca)} : {}),
        timing: {profile: timing},
        peers: peersOf(topology, n).map((p) => ({name: p.name, url: urls.get(p.name)!})),
      }
      writeFileDurably(config, `# written by ucctl lab up from ${topologyPath}\n${stringify(nodeConfig)}`)
      const logFd = openSync(log, 'a', 0o600)
      const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), 'agent', 'serve', '--config', config], {
        detached: true,
        stdio: ['ignore', 'ignore', logFd],
        // The peer token reaches the agent by its environment: no token in node.yaml.
        env: {...process.env, UCCTL_PEER_TOKEN: creds.peer},
      })
      closeSync(logFd)
      child.unref()
      const ln: LabNode = {...n, url, pid: child.pid!, config, log}
      nodes.push(ln)
      started.push(ln)
      opts.onProgress?.(`${n.name}: agent started (pid ${child.pid}) on ${url}`)
    }
    const deadline = Date.now() + READY_TIMEOUT_MS
    await Promise.all(started.map((n) => waitReady(n, deadline, ca?.pem)))
    const state: LabState = {
      name: topology.name,
      topology: topologyPath,
      timing,
      tls,
      startedAt: started.length > 0 || !previous ? new Date().toISOString() : previous.startedAt,
      nodes,
    }
    writeFileDurably(labFile(), JSON.stringify(state, null, 2) + '\n')
    return state
  })
}

/** Stops every agent (SIGTERM: each stops its services and flushes its state). */
export async function labDown(opts: {purge?: boolean; onProgress?: (m: string) => void} = {}): Promise<LabState | undefined> {
  return withLabLock(async () => {
    const lab = readLab()
    if (lab) {
      await Promise.all(
        lab.nodes.map(async (n) => {
          if (!isAlive(n.pid)) return
          process.kill(n.pid, 'SIGTERM')
          const deadline = Date.now() + STOP_TIMEOUT_MS
          while (isAlive(n.pid) && Date.now() < deadline) await sleep(25)
          if (isAlive(n.pid)) process.kill(n.pid, 'SIGKILL')
          opts.onProgress?.(`${n.name}: agent stopped`)
        }),
      )
      // The next lab up reuses the nodes' URLs, so a context made from them stays valid.
      writeFileDurably(lastUrlsFile(), JSON.stringify(lab.nodes.map((n) => ({name: n.name, url: n.url}))) + '\n')
      rmSync(labFile(), {force: true})
    }
    if (opts.purge) {
      rmSync(lastUrlsFile(), {force: true})
      rmSync(credentialsFile(), {force: true})
      rmSync(join(labDir(), 'tls'), {recursive: true, force: true})
      for (const n of lab?.nodes ?? []) rmSync(join(labDir(), n.name), {recursive: true, force: true})
    }
    return lab
  })
}
