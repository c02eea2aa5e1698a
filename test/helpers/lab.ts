// The lab's agent processes as the system sees them (/proc), independently of the lab's own
// records: what tests of the launcher check by pid.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {TestContext} from 'node:test'
import {eventually, isAlive, tempDir} from './agents.js'
import {BIN, runCli} from './cli.js'

/** Pids of every process serving an agent configuration under `home`, by configuration path. */
export function agentProcesses(home: string): Map<string, number[]> {
  const found = new Map<string, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const config = configOf(entry)
    // A child an agent forked for a service carries the agent's command line until its exec.
    if (config?.startsWith(home + '/') && configOf(parentOf(entry)) !== config)
      found.set(config, [...(found.get(config) ?? []), Number(entry)])
  }
  return found
}

function commandLine(pid: string | number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return []
  }
}

function configOf(pid: string | number): string | undefined {
  const argv = commandLine(pid)
  const i = argv.indexOf('--config')
  return i > 0 ? argv[i + 1] : undefined
}

function parentOf(pid: string | number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return 0
  }
}

export const allPids = (m: Map<string, number[]>) => [...m.values()].flat()

/** Not running: gone, or a zombie nobody reaped yet (it serves nothing). */
export function running(pid: number): boolean {
  if (!isAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export function topology(dir: string, nodes: Array<{name: string; settings?: object}>): string {
  const file = join(dir, 'topology.yaml')
  const lines = nodes.map(
    (n, i) =>
      `  - {name: ${n.name}, product: cucm, role: ${i % 3 === 0 ? 'publisher' : 'subscriber'}, version: 8.6.2.10000-30, cluster: c${Math.floor(i / 3)}${n.settings ? `, settings: ${JSON.stringify(n.settings)}` : ''}}`,
  )
  writeFileSync(file, `name: recovery\ntiming: fast\nnodes:\n${lines.join('\n')}\n`)
  return file
}

export const SIX = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((name) => ({name}))

export function recordedPids(home: string): number[] {
  try {
    const lab = JSON.parse(readFileSync(join(home, 'state', 'lab', 'lab.json'), 'utf8'))
    return lab.nodes.flatMap((n: {pid?: number}) => (n.pid === undefined ? [] : [n.pid]))
  } catch {
    return []
  }
}

/**
 * Starts `lab up` and SIGKILLs it once it has started at least one agent and before it is done;
 * returns once no agent it forked is still before its exec (it shows the CLI's command line until
 * then, and becomes an agent after the kill).
 */
export async function killedLabUp(env: Record<string, string>, topologyFile: string): Promise<void> {
  const argv = [process.execPath, BIN, 'lab', 'up', '--topology', topologyFile]
  const cli: ChildProcess = spawn(argv[0], argv.slice(1), {env: {...process.env, ...env}, stdio: 'ignore'})
  const exited = new Promise((resolve) => cli.once('exit', resolve))
  await eventually(() => (recordedPids(env.UCCTL_HOME).length > 0 ? true : undefined), 60_000, 'lab up to record its first agent')
  cli.kill('SIGKILL')
  assert.equal(await exited, null, 'lab up was killed before it finished')
  const forking = () => readdirSync('/proc').some((p) => /^\d+$/.test(p) && commandLine(p).join('\0') === `${argv.join('\0')}\0`)
  await eventually(() => (forking() ? undefined : true), 10_000, "the killed lab up's children to exec")
}

/** A UCCTL_HOME of the test's own; after the test, its lab is stopped and the home removed. */
export function labHome(t: TestContext): {home: string; env: Record<string, string>} {
  const home = tempDir('ucctl-lab-')
  const env = {UCCTL_HOME: home}
  t.after(async () => {
    await runCli(['lab', 'down'], env)
    rmSync(home, {recursive: true, force: true})
  })
  return {home, env}
}
