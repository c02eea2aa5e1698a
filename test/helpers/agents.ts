// Real agents for tests: real HTTP servers on ephemeral loopback ports, real child processes.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {NodeConfig} from '../../src/lib/agent/config.js'
import {standInServices} from '../../src/lib/agent/config.js'
import type {ServiceConfig} from '../../src/lib/agent/node-manager.js'
import {hashToken} from '../../src/lib/agent/auth.js'
import {type Agent, startAgent} from '../../src/lib/agent/server.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {type Timing, timingFor} from '../../src/lib/domain/timing.js'
import {freePort, portFree} from '../../src/lib/lab/launcher.js'

/** Every test agent accepts these (issue 7: every route but /v1/health needs a token). */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef'
export const TEST_VIEWER_TOKEN = 'test-viewer-token-0123456789abcdef'
export const TEST_AUTH = {
  tokens: [
    {id: 'test-operator', role: 'operator' as const, sha256: hashToken(TEST_OPERATOR_TOKEN)},
    {id: 'test-viewer', role: 'viewer' as const, sha256: hashToken(TEST_VIEWER_TOKEN)},
  ],
  peerToken: TEST_OPERATOR_TOKEN,
}
// Clients made in tests act as an operator unless they say otherwise.
AgentClient.credentials = {token: TEST_OPERATOR_TOKEN}

const made: string[] = []
// Whatever a test file forgot (or a failed test left) goes when its process ends.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
})

export function tempDir(prefix = 'ucctl-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** A process that dies as soon as it starts (for the burst limit). */
export const DIES_AT_ONCE: ServiceConfig = {
  name: 'Crasher',
  command: ['sh', '-c', 'exit 3'],
  startup: 'Manual',
  console: false,
  critical: false,
}

/** A process that ignores SIGTERM, so only SIGKILL after the grace period ends it. */
export const IGNORES_SIGTERM: ServiceConfig = {
  name: 'Stubborn',
  command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done'],
  startup: 'Manual',
  console: false,
  critical: false,
}

export interface TestAgent extends Agent {
  stateDir: string
  /** Closes the agent and removes its state (unless kept for a restart). */
  dispose(opts?: {keepState?: boolean}): Promise<void>
}

export async function startTestAgent(
  opts: Partial<Pick<NodeConfig, 'name' | 'product' | 'role' | 'version' | 'cluster' | 'group' | 'peers' | 'settings'>> & {
    services?: ServiceConfig[]
    extraServices?: ServiceConfig[]
    stateDir?: string
    timing?: Partial<Timing>
    /** A fixed port (peers configured before start need it); 0: ephemeral. */
    port?: number
    /** Serve HTTPS with this certificate and key. */
    tls?: {cert: string; key: string}
  } = {},
): Promise<TestAgent> {
  const product = opts.product ?? 'ctios'
  const stateDir = opts.stateDir ?? tempDir()
  const config = {
    name: opts.name ?? 'ctios-a',
    product,
    role: opts.role ?? 'publisher',
    version: opts.version ?? '8.0',
    cluster: opts.cluster ?? 'test',
    listen: {host: '127.0.0.1', port: opts.port ?? 0},
    stateDir,
    ...(opts.group ? {group: opts.group} : {}),
    timing: {profile: 'fast' as const},
    peers: opts.peers ?? [],
    settings: opts.settings ?? {},
    faultInjection: true,
    auth: TEST_AUTH,
    ...(opts.tls ? {tls: opts.tls} : {}),
    services: [...(opts.services ?? standInServices(product)), ...(opts.extraServices ?? [])],
    timingValues: timingFor('fast', opts.timing),
  }
  const agent = await startAgent(config, {logger: false})
  return Object.assign(agent, {
    stateDir,
    async dispose(d: {keepState?: boolean} = {}) {
      await agent.close()
      if (!d.keepState) rmSync(stateDir, {recursive: true, force: true})
    },
  })
}

/**
 * The URL of an agent that is down: a loopback port nothing listens on, and nothing of the suite
 * will (labs take ports from 20000 up, `listen(0)` from the ephemeral range, 32768 up).
 */
export async function downAgentUrl(): Promise<string> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 10_000)
    if (await portFree(port)) return `http://127.0.0.1:${port}`
  }
}

/** A Unity Connection pair (publisher and subscriber) that name each other as peers. */
export async function startConnectionPair(
  settings: {pub?: NodeConfig['settings']; sub?: NodeConfig['settings']} = {},
  timing?: Partial<Timing>,
): Promise<{pub: TestAgent; sub: TestAgent}> {
  const [pa, pb] = [await freePort(), await freePort()]
  const pub = await startTestAgent({
    name: 'cuc-pub',
    product: 'cuc',
    port: pa,
    peers: [{name: 'cuc-sub', url: `http://127.0.0.1:${pb}`}],
    ...(settings.pub ? {settings: settings.pub} : {}),
    timing,
  })
  const sub = await startTestAgent({
    name: 'cuc-sub',
    product: 'cuc',
    role: 'subscriber',
    port: pb,
    peers: [{name: 'cuc-pub', url: `http://127.0.0.1:${pa}`}],
    ...(settings.sub ? {settings: settings.sub} : {}),
    timing,
  })
  return {pub, sub}
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Proves that a service stopped by the operator is not being restarted, without waiting a guessed
 * time: NodeManager decides at each exit, at once, to restart (state Restarting, with its delay)
 * or not (Stopped). So once a later exit was handled (`witness` SIGKILLed and running again with
 * a new pid), the events of `service` since `afterSeq` show every decision taken for it: none of
 * them may be a restart, and it is still Stopped.
 */
export async function assertNotRestarted(agent: Agent, service: string, afterSeq: number, witness: string): Promise<void> {
  const pid = agent.nodeManager.status(witness).pid
  if (pid) process.kill(pid, 'SIGKILL')
  await eventually(
    () => (agent.nodeManager.isRunning(witness) && agent.nodeManager.status(witness).pid !== pid ? true : undefined),
    10_000,
    `NodeManager to restart ${witness} (the later event)`,
  )
  const states = agent.events
    .list({afterSeq})
    .filter((e) => e.type === 'ServiceState' && e.service === service)
    .map((e) => e.data?.to)
  assert.deepEqual(
    states.filter((s) => s !== 'Stopping' && s !== 'Stopped'),
    [],
    `${service} after its stop: ${states.join(' → ')}`,
  )
  assert.equal(agent.nodeManager.status(service).state, 'Stopped')
}
