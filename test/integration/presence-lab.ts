// Helpers for the presence redundancy tests and bench: a group of two real IM and Presence
// agents (in this process, or as separate OS processes that can be SIGKILLed).
import {spawn, spawnSync} from 'node:child_process'
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
import {BIN, type CliResult, runCli, writeContext} from '../helpers/cli.js'

export const A = 'imp-pub'
export const B = 'imp-sub'
export const GROUP = 'prg1'
export const USERS = 15_000

export type GroupView = Answer<'GET /v1/presence'>

export const view = (url: string, name = 'x'): Promise<GroupView> =>
  new AgentClient({name, url}, {timeoutMs: 5000}).call('GET /v1/presence')

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
  return waitOp(url, await submit(new AgentClient({name: 'x', url}, {timeoutMs: 30_000}), action, node))
}

export async function startOp(url: string, action: GroupAction, node?: string): Promise<Op> {
  return submit(new AgentClient({name: 'x', url}), action, node)
}

/** Waits for the operation to end, or until `until` holds: the agent answers at each new transition. */
export async function waitOp(url: string, op: Op, until: (op: Op) => boolean = () => false): Promise<Op> {
  const c = new AgentClient({name: 'x', url}, {timeoutMs: 30_000})
  while (op.state === 'running' && !until(op))
    op = await c.call('GET /v1/operations/:id', {
      params: {id: op.id},
      query: {wait: 10_000, seen: op.transitions.length},
      timeoutMs: 20_000,
    })
  return op
}

export interface UsersAnswer {
  nodes: {name: string; users: number; assignedUsers: number}[]
  users?: {id: string; node: string; assignedNode: string}[]
}

export const usersOn = (url: string, node: string): Promise<UsersAnswer> =>
  new AgentClient({name: 'x', url}, {timeoutMs: 10_000}).call('GET /v1/presence/groups/:group/users', {
    params: {group: GROUP},
    query: {node},
  })

/**
 * Each user on exactly one node: every node answers for itself from its own durable replica;
 * the answers together hold every user once.
 */
export async function userProblems(urls: Record<string, string>): Promise<string[]> {
  const seen = new Map<string, string>()
  const problems: string[] = []
  for (const [node, url] of Object.entries(urls)) {
    const a = await usersOn(url, node)
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

  cli(args: string[]): {code: number; stdout: string; stderr: string; json: any} {
    const r = spawnSync(process.execPath, [BIN, ...args], {env: this.env, encoding: 'utf8'})
    let json: any
    try {
      json = JSON.parse(r.stdout)
    } catch {}
    return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json}
  }

  async cliAsync(args: string[]): Promise<{code: number; stdout: string; stderr: string; json: any}> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {env: this.env})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (code) => {
        let json: any
        try {
          json = JSON.parse(stdout)
        } catch {}
        resolve({code: code ?? -1, stdout, stderr, json})
      })
    })
  }

  up(): void {
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
    const r = this.cli(['lab', 'up', '--topology', topology])
    if (r.code !== 0) throw new Error(`lab up: ${r.stderr}`)
    // This process talks to the lab's agents as its CLI does: the lab's operator token and CA.
    const lab = readLab(this.env)!
    AgentClient.credentials = {
      token: labCredentials(this.env)!.operator,
      ...(lab.tls ? {ca: readFileSync(labCaPath(this.env), 'utf8')} : {}),
    }
  }

  /** Starts the stopped agents again (their state stays). */
  restartStopped(): void {
    const r = this.cli(['lab', 'up'])
    if (r.code !== 0) throw new Error(`lab up: ${r.stderr}`)
  }

  nodes(): Record<string, {url: string; pid: number}> {
    const r = this.cli(['lab', 'status', '--json'])
    return Object.fromEntries(r.json.nodes.map((n: {name: string; url: string; pid: number}) => [n.name, {url: n.url, pid: n.pid}]))
  }

  /** SIGKILL of the node's agent; resolves once the process is gone (so `lab up` restarts it). */
  async kill(n: string): Promise<void> {
    const pid = this.nodes()[n].pid
    process.kill(pid, 'SIGKILL')
    await eventually(() => (isAlive(pid) ? undefined : true), 10_000, `agent ${pid} gone`)
  }

  async down(): Promise<void> {
    this.cli(['lab', 'down'])
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
