// Helpers for the presence redundancy tests and bench: a group of two real IM and Presence
// agents (in this process, or as separate OS processes that can be SIGKILLed).
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'
import type {Answer} from '../../src/lib/api/index.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import type {GroupAction} from '../../src/lib/domain/presence-redundancy.js'
import {freePort, labCaPath, labCredentials, readLab} from '../../src/lib/lab/launcher.js'
import type {ServiceConfig} from '../../src/lib/agent/node-manager.js'
import {standInServices} from '../../src/lib/agent/config.js'
import {eventually, isAlive, startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {type CliResult, runCli, writeContext} from '../helpers/cli.js'

export const A = 'imp-pub'
export const B = 'imp-sub'
export const GROUP = 'prg1'
export const USERS = 15_000

export type GroupView = Answer<'GET /v1/presence'>

/**
 * The operator token (and CA) of each lab agent by URL (ProcessPair): several labs, each with its
 * own credentials, can run at once. Agents not listed take the test agents' token.
 */
const labAuth = new Map<string, {token: string; ca?: string}>()

/** A client for the agent at `url`, with the credentials it accepts. */
const client = (url: string, timeoutMs?: number, name = 'x'): AgentClient =>
  new AgentClient({name, url}, {...labAuth.get(url), ...(timeoutMs ? {timeoutMs} : {})})

export const view = (url: string, name = 'x'): Promise<GroupView> => client(url, 5000, name).call('GET /v1/presence')

/** "state / reason" of both nodes as `url` sees them. */
export async function pair(url: string): Promise<Record<string, string>> {
  const v = await view(url)
  return Object.fromEntries(v.status.nodes.map((n) => [n.name, n.state === 'down' ? 'down' : `${n.state} / ${n.reason}`]))
}

/** Waits until the node at `url` sees the PRG-7 row (and, optionally, more). */
export async function waitRow(
  url: string,
  row: number,
  timeoutMs = 20_000,
  also: (v: GroupView) => boolean = () => true,
): Promise<GroupView> {
  return eventually(
    async () => {
      try {
        const v = await view(url)
        return v.status.row === row && !v.srm.initializing && also(v) ? v : undefined
      } catch {
        return undefined
      }
    },
    timeoutMs,
    `PRG-7 row ${row} at ${url}`,
  )
}

export interface Op {
  id: string
  node: string
  state: string
  transitions: {message: string}[]
  error?: {code: string; message: string; rule?: string}
  result?: Record<string, unknown>
}

const ACTION = 'POST /v1/presence/groups/:group/:action'
const submit = (c: AgentClient, action: GroupAction, node?: string): Promise<Op> =>
  c.call(ACTION, {params: {group: GROUP, action}, body: node ? {node} : {}})

/** POSTs a group action to an agent and waits for its operation. */
export async function act(url: string, action: GroupAction, node?: string): Promise<Op> {
  return waitOp(url, await submit(client(url, 30_000), action, node))
}

export async function startOp(url: string, action: GroupAction, node?: string): Promise<Op> {
  return submit(client(url), action, node)
}

/** Waits for the operation to end, or until `until` holds: the agent answers at each new transition. */
export async function waitOp(url: string, op: Op, until: (op: Op) => boolean = () => false): Promise<Op> {
  const c = client(url, 30_000)
  while (op.state === 'running' && !until(op))
    op = await c.call('GET /v1/operations/:id', {
      params: {id: op.id},
      query: {wait: 10_000, seen: op.transitions.length},
      timeoutMs: 20_000,
    })
  return op
}

export interface UsersAnswer {
  /** The stamp of the node's replica of the user table. */
  version: number
  nodes: {name: string; users: number; assignedUsers: number}[]
  users?: {id: string; node: string; assignedNode: string}[]
}

export const usersOn = (url: string, node: string): Promise<UsersAnswer> =>
  client(url, 10_000).call('GET /v1/presence/groups/:group/users', {
    params: {group: GROUP},
    query: {node},
  })

/**
 * Each user on exactly one node: every node answers for itself from its own durable replica;
 * the answers together hold every user once. Compared at one version of the table: a replica
 * learns the peer's last batch of a move by the next heartbeat, and until then still places
 * those users where they were (that lag doubled users in a check made just after a takeover).
 */
export async function userProblems(urls: Record<string, string>): Promise<string[]> {
  const nodes = Object.entries(urls)
  let versions: number[] = []
  const answers = await eventually(
    async () => {
      const all = await Promise.all(nodes.map(([node, url]) => usersOn(url, node)))
      versions = all.map((a) => a.version)
      return versions.every((v) => v === versions[0]) ? all : undefined
    },
    10_000,
    `the user tables of ${nodes.map(([n]) => n).join(', ')} at one version`,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last seen: ${versions.join(', ')})`)
  })
  const seen = new Map<string, string>()
  const problems: string[] = []
  for (const [i, [node]] of nodes.entries()) {
    const a = answers[i]
    for (const u of a.users ?? []) {
      const other = seen.get(u.id)
      if (other) problems.push(`${u.id} on ${other} and ${node}`)
      seen.set(u.id, node)
    }
  }
  if (seen.size !== USERS) problems.push(`${USERS - seen.size} users on no node`)
  return problems.slice(0, 10)
}

export interface PairOptions {
  settings?: Record<string, unknown>
  /** Per-node service list (default: the IM and Presence stand-ins). */
  services?: Partial<Record<string, ServiceConfig[]>>
  timing?: Record<string, number>
  /** Leave HA out of the configuration (PRG-9/ADM-9 run time: then it is off). */
  haUnset?: boolean
}

/** Two IM and Presence agents of group prg1 in this process, on fixed ports so they can restart. */
export class InProcessPair {
  agents: Record<string, TestAgent> = {}
  ports: Record<string, number> = {}
  dirs: Record<string, string> = {}

  constructor(private readonly opts: PairOptions = {}) {}

  url(n: string): string {
    return `http://127.0.0.1:${this.ports[n]}`
  }

  async start(): Promise<this> {
    this.ports = {[A]: await freePort(), [B]: await freePort()}
    this.dirs = {[A]: tempDir(), [B]: tempDir()}
    await Promise.all([this.boot(A), this.boot(B)])
    if (this.opts.haUnset) return this
    await waitRow(this.url(A), 1)
    await waitRow(this.url(B), 1)
    return this
  }

  async boot(n: string): Promise<TestAgent> {
    const peer = n === A ? B : A
    const agent = await startTestAgent({
      name: n,
      product: 'imp',
      role: n === A ? 'publisher' : 'subscriber',
      version: '8.6.4.10000-10',
      cluster: 'cucm1',
      group: GROUP,
      port: this.ports[n],
      stateDir: this.dirs[n],
      peers: [{name: peer, url: this.url(peer)}],
      // The lab's topology says HA is on explicitly (PRG-9/ADM-9 run time: off otherwise).
      settings: {presence: {peer, users: USERS, ...(this.opts.haUnset ? {} : {haEnabled: true}), ...this.opts.settings}},
      services: this.opts.services?.[n] ?? standInServices('imp'),
      timing: this.opts.timing as never,
    })
    this.agents[n] = agent
    return agent
  }

  /** A graceful restart of the node's agent (SIGTERM-like: it announces its reboot). */
  async restart(n: string): Promise<TestAgent> {
    await this.agents[n].dispose({keepState: true})
    return this.boot(n)
  }

  async dispose(): Promise<void> {
    await Promise.all(Object.values(this.agents).map((a) => a.dispose()))
  }
}

/** Two IM and Presence agents as separate OS processes (SIGKILL-able), through `ucctl lab up`. */
export class ProcessPair {
  readonly home = tempDir('ucctl-prg-')
  readonly env: NodeJS.ProcessEnv

  constructor(private readonly settings: Record<string, unknown> = {}) {
    this.env = {...process.env, UCCTL_HOME: this.home, NO_COLOR: '1'}
  }

  /** ucctl on this lab (asynchronous: tests running beside it go on meanwhile). */
  cli(args: string[]): Promise<CliResult> {
    return runCli(args, {UCCTL_HOME: this.home})
  }

  /** Starts the lab and waits until both nodes see row 1. */
  async up(): Promise<void> {
    const topology = join(this.home, 'topology.yaml')
    const node = (name: string, role: string, peer: string) => ({
      name,
      product: 'imp',
      role,
      version: '8.6.4.10000-10',
      cluster: 'cucm1',
      group: GROUP,
      settings: {presence: {peer, users: USERS, haEnabled: true, ...this.settings}},
    })
    writeFileSync(
      topology,
      stringify({
        name: 'prg',
        timing: 'fast',
        nodes: [node(A, 'publisher', B), node(B, 'subscriber', A)],
        groups: [{name: GROUP, nodes: [A, B]}],
      }),
    )
    await this.runLabUp(['--topology', topology])
    await waitRow(this.url(A), 1)
    await waitRow(this.url(B), 1)
  }

  /** Starts the stopped agents again (their state stays). */
  restartStopped(): Promise<void> {
    return this.runLabUp([])
  }

  private async runLabUp(args: string[]): Promise<void> {
    const r = await this.cli(['lab', 'up', ...args])
    if (r.code !== 0) throw new Error(`lab up: ${r.stderr}`)
    // This process talks to the lab's agents as its CLI does: the lab's operator token and CA.
    const lab = readLab(this.env)!
    const auth = {
      token: labCredentials(this.env)!.operator,
      ...(lab.tls ? {ca: readFileSync(labCaPath(this.env), 'utf8')} : {}),
    }
    for (const n of lab.nodes) labAuth.set(n.url, auth)
  }

  /** The nodes as the lab records them (lab.json): URL, and the pid of the running agent. */
  private node(n: string): {url: string; pid?: number} {
    return readLab(this.env)!.nodes.find((x) => x.name === n)!
  }

  url(n: string): string {
    return this.node(n).url
  }

  urls(): Record<string, string> {
    return {[A]: this.url(A), [B]: this.url(B)}
  }

  /** SIGKILL of the node's agent; resolves once the process is gone (so `lab up` restarts it). */
  async kill(n: string): Promise<void> {
    const pid = this.node(n).pid!
    process.kill(pid, 'SIGKILL')
    await eventually(() => (isAlive(pid) ? undefined : true), 10_000, `agent ${pid} gone`)
  }

  /** Stops the lab's agents and removes its home. */
  async dispose(): Promise<void> {
    const urls = readLab(this.env)?.nodes.map((n) => n.url) ?? []
    await this.cli(['lab', 'down'])
    for (const u of urls) labAuth.delete(u)
    rmSync(this.home, {recursive: true, force: true})
  }
}

/** Two in-process IM and Presence agents and a CLI context logged in to them. */
export async function pairWithCli(opts: PairOptions = {}): Promise<{
  p: InProcessPair
  home: string
  cli: (...args: string[]) => Promise<CliResult>
  dispose(): Promise<void>
}> {
  const p = await new InProcessPair(opts).start()
  const home = tempDir()
  writeContext(home, 't', [
    {name: A, url: p.url(A)},
    {name: B, url: p.url(B)},
  ])
  return {
    p,
    home,
    cli: (...args) => runCli(args, {UCCTL_HOME: home}),
    async dispose() {
      await p.dispose()
      rmSync(home, {recursive: true, force: true})
    },
  }
}
