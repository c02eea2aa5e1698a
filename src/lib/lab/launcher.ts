// The embedded lab: one agent OS process per node on 127.0.0.1 (so a node can really be
// killed), each with its own node.yaml and state under $UCCTL_HOME (or the XDG state dir).
import {execFileSync, spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {type AddressInfo, createServer, type Server} from 'node:net'
import {availableParallelism, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import type {Readable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import {READY_FD_ENV} from '../host/readiness.js'
import {readJsonFile, writeFileAtomically, writeFileDurably} from '../durable.js'
import {InternalError, UsageError} from '../errors.js'
import type {TimingProfile} from '../domain/timing.js'
import {PACKAGE_ROOT, stateDir} from '../paths.js'
import {withFileLock} from './lock.js'
import {agentsUnder, isAgentOf, isAlive, stopProcess} from './processes.js'
import type {TopologyNode} from './topology.js'

export {isAlive} from './processes.js'

export interface LabNode extends TopologyNode {
  url: string
  /** The agent's process: recorded as soon as it is started, absent while none runs. */
  pid?: number
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

/** Absolute: agents are known by the configuration path on their command line. */
export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(stateDir(env), 'lab')
}

const labFile = (env?: NodeJS.ProcessEnv) => join(labDir(env), 'lab.json')
/** The URLs of the last lab that was up (kept by lab down, reused by lab up). */
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

/** The lab as it is: lab.json, plus agents a killed launcher started but could not record. */
export function observeLab(env?: NodeJS.ProcessEnv): LabState | undefined {
  const lab = readLab(env)
  if (!lab || lab.nodes.every((n) => nodeState(n) === 'running')) return lab
  const found = agentsUnder(labDir(env))
  return {...lab, nodes: lab.nodes.map((n) => (nodeState(n) === 'running' ? n : {...n, pid: found.get(n.config)?.[0] ?? n.pid}))}
}

/** Running only while its recorded pid is still its agent (a reused pid is not). */
/** The nodes of a LabStatus document (lab status, up and down): each node's identity, URL, agent pid and state. */
export function labStatusNodes(lab: LabState | undefined, stateOf: (n: LabNode) => LabNodeState = nodeState) {
  return (lab?.nodes ?? []).map((n) => ({
    name: n.name,
    product: n.product,
    role: n.role,
    url: n.url,
    pid: n.pid ?? null,
    state: stateOf(n),
  }))
}

export function nodeState(n: LabNode): LabNodeState {
  return isAgentOf(n.pid, n.config) ? 'running' : 'stopped'
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(port, '127.0.0.1', () => resolve(srv))
  })
}

const close = (srv: Server) => new Promise<void>((resolve) => srv.close(() => resolve()))
const portOf = (srv: Server) => (srv.address() as AddressInfo).port

/** A free loopback port (the lab fixes ports before start so peers can name each other). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]
}

/**
 * Where lab ports come from: below the system's ephemeral range (Linux 32768-60999, macOS from
 * 49152), which every `listen(0)` and outgoing connection draws from, so that nothing takes a
 * chosen port in the minute a large lab needs to start its agents.
 */
const LAB_PORTS = {first: 20_000, last: 32_767}

/**
 * Ports that labs of this user chose lately, kept until their agents have surely bound them: a
 * port is free from its choice until its agent listens, and two labs starting at once (two
 * users' demos, tests side by side) would otherwise each take it.
 */
const RECENTLY_CHOSEN = join(tmpdir(), `ucctl-lab-ports-${process.getuid?.() ?? 'user'}.json`)
const CHOSEN_FOR_MS = 60_000

/**
 * `count` distinct free loopback ports, none in `taken` nor chosen by another lab lately: all
 * held open until all are chosen (a port just closed could be chosen again).
 */
export async function freePorts(count: number, taken: ReadonlySet<number> = new Set()): Promise<number[]> {
  return withFileLock(
    `${RECENTLY_CHOSEN}.lock`,
    () => {},
    async () => {
      const now = Date.now()
      const recent = recentlyChosen().filter((r) => r.until > now)
      const ports = await choosePorts(count, new Set([...taken, ...recent.map((r) => r.port)]))
      writeFileAtomically(RECENTLY_CHOSEN, JSON.stringify([...recent, ...ports.map((port) => ({port, until: now + CHOSEN_FOR_MS}))]))
      return ports
    },
  )
}

function recentlyChosen(): Array<{port: number; until: number}> {
  try {
    const list = readJsonFile<unknown>(RECENTLY_CHOSEN)
    return Array.isArray(list) ? list.filter((r) => Number.isInteger(r?.port) && typeof r?.until === 'number') : []
  } catch {
    // Unreadable: as if no lab had chosen any (the choice then checks each port as before).
    return []
  }
}

async function choosePorts(count: number, taken: ReadonlySet<number>): Promise<number[]> {
  const held: Server[] = []
  const tried = new Set(taken)
  try {
    while (held.length < count) {
      if (tried.size > LAB_PORTS.last - LAB_PORTS.first)
        throw new InternalError(`no free port left in ${LAB_PORTS.first}-${LAB_PORTS.last} on 127.0.0.1`)
      const port = LAB_PORTS.first + Math.floor(Math.random() * (LAB_PORTS.last - LAB_PORTS.first + 1))
      if (tried.has(port)) continue
      tried.add(port)
      try {
        held.push(await listen(port))
      } catch {
        // In use: another one.
      }
    }
    return held.map(portOf)
  } finally {
    await Promise.all(held.map(close))
  }
}

/** Whether a kept port is still free to serve on (another program may have taken it meanwhile). */
export function portFree(port: number): Promise<boolean> {
  return listen(port).then(
    (srv) => close(srv).then(() => true),
    () => false,
  )
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
    if (e.code === 'ENOENT')
      throw new UsageError('lab up --tls needs the openssl command', {hint: 'install it (Debian: apt-get install openssl)'})
    throw new InternalError(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`)
  }
}

const EC_PARAMS = 'ec-params.pem'

function ensureLabCa(dir: string): {pem: string; dir: string} {
  const tlsDir = join(dir, 'tls')
  mkdirSync(tlsDir, {recursive: true, mode: 0o700})
  // P-256 keys: made in milliseconds where an RSA-2048 key takes a third of a second of CPU, and
  // a parameters file (rather than -pkeyopt) is what OpenSSL and LibreSSL both take. A lab whose
  // CA came before keeps it.
  if (!existsSync(join(tlsDir, EC_PARAMS))) openssl(tlsDir, 'ecparam', '-name', 'prime256v1', '-out', EC_PARAMS)
  if (!existsSync(join(tlsDir, 'ca.pem'))) {
    openssl(
      tlsDir,
      'req',
      '-x509',
      '-newkey',
      `ec:${EC_PARAMS}`,
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '365',
      '-subj',
      '/CN=ucctl lab CA',
    )
  }
  return {pem: readFileSync(join(tlsDir, 'ca.pem'), 'utf8'), dir: tlsDir}
}

/** A certificate for 127.0.0.1 and localhost, signed by the lab CA; the node trusts the CA for its peers. */
function ensureNodeCertificate(dir: string, node: string, ca: {dir: string}): {cert: string; key: string; ca: string} {
  const nodeDir = join(dir, node)
  const cert = join(nodeDir, 'agent.pem')
  const key = join(nodeDir, 'agent.key')
  if (!existsSync(cert)) {
    openssl(
      nodeDir,
      'req',
      '-newkey',
      `ec:${join(ca.dir, EC_PARAMS)}`,
      '-nodes',
      '-keyout',
      'agent.key',
      '-out',
      'agent.csr',
      '-subj',
      `/CN=${node}`,
    )
    writeFileSync(join(nodeDir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
    openssl(
      nodeDir,
      'x509',
      '-req',
      '-in',
      'agent.csr',
      '-CA',
      join(ca.dir, 'ca.pem'),
      '-CAkey',
      join(ca.dir, 'ca.key'),
      '-CAcreateserial',
      '-out',
      'agent.pem',
      '-days',
      '365',
      '-extfile',
      'san.cnf',
    )
  }
  return {cert, key, ca: join(ca.dir, 'ca.pem')}
}

/**
 * How long one agent may take from its start to its "ready" line. Counted per agent, and at most
 * `parallelism` agents start at once, so the whole wait grows with the topology.
 */
const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000
/** The lean agent entry: the lab's agents do not load the CLI framework. */
const AGENT_MAIN = join(PACKAGE_ROOT, 'dist', 'src', 'agent-main.js')

/**
 * Agents started at once: about one per core (a start is mostly CPU: loading modules), plus two
 * to use the time starts spend waiting on the disk (fsync of their state) and on spawning their
 * service processes. On a loaded 2-core machine 4 at a time started the default lab in 0.6x the
 * time of 2 at a time.
 */
export function labParallelism(): number {
  return availableParallelism() + 2
}

/** Serialises lab up/down between concurrent ucctl processes. */
function withLabLock<T>(onProgress: ((m: string) => void) | undefined, fn: () => Promise<T>): Promise<T> {
  const dir = labDir()
  mkdirSync(dir, {recursive: true, mode: 0o700})
  return withFileLock(join(dir, '.lock'), (pid) => onProgress?.(`waiting for ucctl (pid ${pid}), which holds the lab lock`), fn)
}

/** Every agent process of the lab: its records, and (where /proc lists processes) any it never recorded. */
function labAgents(lab: LabState | undefined): Map<string, number[]> {
  const found = agentsUnder(labDir())
  for (const n of lab?.nodes ?? []) {
    const pids = found.get(n.config) ?? []
    if (n.pid !== undefined && !pids.includes(n.pid) && isAgentOf(n.pid, n.config)) found.set(n.config, [...pids, n.pid])
  }
  return found
}

// lab.json and node.yaml survive a killed CLI; a power loss ends the agents they describe too.
function saveLab(state: LabState): void {
  writeFileAtomically(labFile(), JSON.stringify(state, null, 2) + '\n')
}

/** Starts the agent of `n`; resolves when it says it serves, rejects if it exits or stays silent. */
function startAgentProcess(n: LabNode, peerToken: string, record: (pid: number) => void): Promise<void> {
  const logFd = openSync(n.log, 'a', 0o600)
  const child = spawn(process.execPath, [AGENT_MAIN, '--config', n.config], {
    detached: true,
    // fd 3: the agent's readiness line (READY_FD_ENV).
    stdio: ['ignore', 'ignore', logFd, 'pipe'],
    // The peer token reaches the agent by its environment: no token in node.yaml.
    env: {...process.env, UCCTL_PEER_TOKEN: peerToken, [READY_FD_ENV]: '3'},
  })
  closeSync(logFd)
  return new Promise<void>((resolve, reject) => {
    const pipe = child.stdio[3] as Readable
    let said = ''
    const finish = (error?: Error) => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      pipe.removeAllListeners('data')
      pipe.destroy()
      // The agent outlives this CLI.
      child.unref()
      if (error) reject(error)
      else resolve()
    }
    const timer = setTimeout(() => finish(new Error(`did not say it was ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS)
    pipe.on('error', () => {})
    pipe.on('data', (d: Buffer) => {
      said += d.toString()
      if (said.includes('\n')) finish()
    })
    child.once('error', (error) => finish(error))
    child.once('exit', (code, signal) => finish(new Error(`exited during start-up (${signal ?? `exit code ${code}`})`)))
    // Durably recorded before any waiting: whatever happens next, lab down finds it.
    if (child.pid !== undefined) record(child.pid)
  })
}

/** An agent a previous attempt left: ours if its health endpoint names this node and this pid. */
async function adopt(n: LabNode, pids: number[], ca: string | undefined): Promise<number | undefined> {
  const {AgentClient} = await import('../client/agent-client.js')
  const client = new AgentClient(n, {timeoutMs: 1000, ca})
  // It may still be starting (its launcher died before it was ready): give it the time a start has.
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline && pids.some(isAlive)) {
    try {
      const health = await client.call('GET /v1/health')
      return health.node === n.name ? pids.find((p) => p === health.pid) : undefined
    } catch {
      await sleep(50)
    }
  }
  return undefined
}

const NOT_STARTED = 'not started'

/**
 * Starts every node of the topology that is not already running; running ones are adopted (their
 * ports are kept, across lab down too, so peers' URLs and contexts stay valid). Idempotent: agents
 * a failed or killed attempt left are adopted or stopped, never duplicated.
 */
export async function labUp(
  opts: {topology?: string; timing?: TimingProfile; tls?: boolean; onProgress?: (m: string) => void} = {},
): Promise<LabState> {
  return withLabLock(opts.onProgress, async () => {
    const previous = readLab()
    // Loaded here only: every other command reads lab.json and needs no topology code.
    const {agentSettings, DEFAULT_TOPOLOGY, loadTopology, peersOf} = await import('./topology.js')
    const running = labAgents(previous)
    const tls = opts.tls ?? previous?.tls ?? false
    if (previous && (previous.tls ?? false) !== tls && running.size > 0) {
      throw new UsageError(`the lab is running ${previous.tls ? 'with' : 'without'} TLS`, {hint: 'stop it first: ucctl lab down'})
    }
    const topologyPath = opts.topology ?? previous?.topology ?? DEFAULT_TOPOLOGY
    const topology = await loadTopology(topologyPath)
    const timing = opts.timing ?? topology.timing
    const dir = labDir()
    const configOf = (name: string) => join(dir, name, 'node.yaml')
    // Agents of nodes the topology no longer has: stopped, not orphaned.
    const wanted = new Set(topology.nodes.map((n) => configOf(n.name)))
    await Promise.all(
      [...running].filter(([config]) => !wanted.has(config)).flatMap(([, pids]) => pids.map((p) => stopProcess(p, STOP_TIMEOUT_MS))),
    )

    // Ports are kept (contexts made from the lab stay valid) unless another program took one.
    const scheme = tls ? 'https:' : 'http:'
    const kept = new Map<string, number>()
    for (const n of topology.nodes) {
      const old = previous?.nodes.find((p) => p.name === n.name)
      const port = old?.url.startsWith(scheme) ? Number(new URL(old.url).port) : undefined
      if (port === undefined) continue
      if (running.has(configOf(n.name)) || (await portFree(port))) kept.set(n.name, port)
      else opts.onProgress?.(`${n.name}: port ${port} is taken by another program; ${n.name} gets a new one`)
    }
    const fresh = await freePorts(topology.nodes.length - kept.size, new Set(kept.values()))
    const nodes: LabNode[] = topology.nodes.map((n) => ({
      ...n,
      url: `${scheme}//127.0.0.1:${kept.get(n.name) ?? fresh.pop()}`,
      pid: previous?.nodes.find((p) => p.name === n.name)?.pid,
      config: configOf(n.name),
      log: join(dir, n.name, 'agent.log'),
    }))
    const state: LabState = {
      name: topology.name,
      topology: topologyPath,
      timing,
      tls,
      startedAt: previous?.startedAt ?? new Date().toISOString(),
      nodes,
    }
    // Every node's configuration path is on record before any agent starts.
    saveLab(state)

    const [{hashToken, newToken}, {fanOut}] = await Promise.all([import('../agent/auth.js'), import('../client/agent-client.js')])
    const creds = ensureLabCredentials(newToken)
    const auth = {
      tokens: [
        {id: 'lab-operator', role: 'operator', sha256: hashToken(creds.operator)},
        {id: 'lab-viewer', role: 'viewer', sha256: hashToken(creds.viewer)},
        {id: 'lab-peer', role: 'operator', sha256: hashToken(creds.peer)},
      ],
    }
    const ca = tls ? ensureLabCa(dir) : undefined
    const urls = new Map(nodes.map((n) => [n.name, n.url]))
    let stopStarting = false
    let ready = 0
    const bring = async (ln: LabNode): Promise<'adopted' | 'started'> => {
      const n = topology.nodes.find((t) => t.name === ln.name)!
      const found = running.get(ln.config) ?? []
      if (found.length > 0) {
        // Only where its port is on record can an agent be asked who it is.
        const pid = kept.has(ln.name) ? await adopt(ln, found, ca?.pem) : undefined
        await Promise.all(found.filter((p) => p !== pid).map((p) => stopProcess(p, STOP_TIMEOUT_MS)))
        ln.pid = pid
        saveLab(state)
        if (pid !== undefined) return 'adopted'
      }
      // After the first failure no new agent starts: the error says which are up, a new lab up goes on.
      if (stopStarting) throw new Error(NOT_STARTED)
      mkdirSync(join(dir, n.name), {recursive: true, mode: 0o700})
      const nodeConfig = {
        name: n.name,
        product: n.product,
        role: n.role,
        version: n.version,
        cluster: n.cluster,
        ...(n.group ? {group: n.group} : {}),
        ...(n.settings ? {settings: agentSettings(n, urls)} : {}),
        listen: {host: '127.0.0.1', port: Number(new URL(ln.url).port)},
        stateDir: '.',
        faultInjection: true,
        auth,
        ...(ca ? {tls: ensureNodeCertificate(dir, n.name, ca)} : {}),
        timing: {profile: timing, ...(topology.timingOverrides ? {overrides: topology.timingOverrides} : {})},
        peers: peersOf(topology, n).map((p) => ({name: p.name, url: urls.get(p.name)!})),
      }
      // JSON, which is YAML too: the agent reads it without loading a YAML parser.
      writeFileAtomically(ln.config, JSON.stringify(nodeConfig, null, 2) + '\n')
      try {
        await startAgentProcess(ln, creds.peer, (pid) => {
          ln.pid = pid
          saveLab(state)
        })
      } catch (error) {
        stopStarting = true
        // Half-started is no state to leave: stopped, so the next lab up starts it afresh.
        if (ln.pid !== undefined) await stopProcess(ln.pid, STOP_TIMEOUT_MS)
        ln.pid = undefined
        saveLab(state)
        throw new Error(`${(error as Error).message}; see ${ln.log}`)
      }
      return 'started'
    }
    const t0 = Date.now()
    const outcomes = await fanOut(
      nodes,
      async (ref) => {
        const ln = nodes.find((x) => x.name === ref.name)!
        const how = await bring(ln)
        ready++
        opts.onProgress?.(
          `${ln.name}: ${how === 'adopted' ? 'already running' : 'ready'} (pid ${ln.pid}, ${ln.url}) [${ready}/${nodes.length}, ${((Date.now() - t0) / 1000).toFixed(1)} s]`,
        )
        return how
      },
      labParallelism(),
    )
    if (outcomes.some((o) => o.ok && o.value === 'started')) state.startedAt = new Date().toISOString()
    saveLab(state)
    const notUp = outcomes.flatMap((o) => (o.ok ? [] : [{node: o.node.name, reason: (o.error as Error).message}]))
    if (notUp.length > 0) {
      const up = outcomes.filter((o) => o.ok).map((o) => o.node.name)
      const failed = notUp.filter((f) => f.reason !== NOT_STARTED).map((f) => `${f.node} (${f.reason})`)
      const waiting = notUp.filter((f) => f.reason === NOT_STARTED).map((f) => f.node)
      throw new InternalError(
        `the lab is not up: ${up.length} of ${nodes.length} nodes up; not up: ${failed.join(', ')}${waiting.length > 0 ? `; not started: ${waiting.join(', ')}` : ''}`,
        {hint: 'ucctl lab up starts the missing nodes; ucctl lab down stops every agent of the lab', details: {up, notUp}},
      )
    }
    return state
  })
}

/**
 * Stops every agent of the lab, recorded or not (SIGTERM: each stops its services and flushes its
 * state). The ports stay on record for the next lab up; --purge forgets them with the state.
 */
export async function labDown(
  opts: {purge?: boolean; onProgress?: (m: string) => void} = {},
): Promise<{lab: LabState | undefined; stopped: number}> {
  return withLabLock(opts.onProgress, async () => {
    const lab = readLab()
    const nameOf = (config: string) => lab?.nodes.find((n) => n.config === config)?.name ?? config
    const agents = [...labAgents(lab)].flatMap(([config, pids]) => pids.map((pid) => ({config, pid})))
    await Promise.all(
      agents.map(async ({config, pid}) => {
        await stopProcess(pid, STOP_TIMEOUT_MS)
        opts.onProgress?.(`${nameOf(config)}: agent stopped (pid ${pid})`)
      }),
    )
    if (lab && !opts.purge) saveLab({...lab, nodes: lab.nodes.map(({pid: _, ...n}) => n)})
    if (opts.purge) {
      rmSync(labFile(), {force: true})
      rmSync(credentialsFile(), {force: true})
      rmSync(join(labDir(), 'tls'), {recursive: true, force: true})
      for (const n of lab?.nodes ?? []) rmSync(join(labDir(), n.name), {recursive: true, force: true})
    }
    return {lab, stopped: agents.length}
  })
}
