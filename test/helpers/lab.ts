// The lab's agent processes as the system sees them (/proc), independently of the lab's own
// records: what tests of the launcher check by pid.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, afterEach, before} from 'node:test'
import {eventually, isAlive, tempDir} from './agents.js'
import {BIN, runCli} from './cli.js'

/** Pids of every process serving an agent configuration under `home`, by configuration path. */
export function agentProcesses(home: string): Map<string, number[]> {
  const found = new Map<string, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    const i = argv.indexOf('--config')
    if (i > 0 && argv[i + 1]?.startsWith(home + '/')) found.set(argv[i + 1], [...(found.get(argv[i + 1]) ?? []), Number(entry)])
  }
  return found
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

/** Starts `lab up` and SIGKILLs it once it has started at least one agent and before it is done. */
export async function killedLabUp(env: Record<string, string>, topologyFile: string): Promise<void> {
  const cli: ChildProcess = spawn(process.execPath, [BIN, 'lab', 'up', '--topology', topologyFile], {
    env: {...process.env, ...env},
    stdio: 'ignore',
  })
  const exited = new Promise((resolve) => cli.once('exit', resolve))
  await eventually(() => (recordedPids(env.UCCTL_HOME).length > 0 ? true : undefined), 60_000, 'lab up to record its first agent')
  cli.kill('SIGKILL')
  assert.equal(await exited, null, 'lab up was killed before it finished')
}

/** A UCCTL_HOME for the tests of a suite; after each, the lab is stopped and forgotten. */
export function labHome(): {home: string; env: Record<string, string>} {
  const lab = {home: '', env: {} as Record<string, string>}
  before(() => {
    lab.home = tempDir('ucctl-labrec-')
    lab.env = {UCCTL_HOME: lab.home}
  })
  afterEach(async () => {
    await runCli(['lab', 'down', '--purge'], lab.env)
  })
  after(() => rmSync(lab.home, {recursive: true, force: true}))
  return lab
}
