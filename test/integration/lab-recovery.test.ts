// Issue 18: the lab never loses track of an agent. The launching CLI is SIGKILLed in the middle
// of `lab up`, a start fails, two `lab up` race: `lab down` still stops every agent, checked by
// pid from /proc (independently of the lab's own records).
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, afterEach, before, describe, it} from 'node:test'
import {eventually, isAlive, tempDir} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems} from '../helpers/cli.js'

/** Pids of every process serving an agent configuration under `home`, by configuration path. */
function agentProcesses(home: string): Map<string, number[]> {
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

const allPids = (m: Map<string, number[]>) => [...m.values()].flat()

/** Not running: gone, or a zombie nobody reaped yet (it serves nothing). */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

function topology(dir: string, nodes: Array<{name: string; settings?: object}>): string {
  const file = join(dir, 'topology.yaml')
  const lines = nodes.map(
    (n, i) =>
      `  - {name: ${n.name}, product: cucm, role: ${i % 3 === 0 ? 'publisher' : 'subscriber'}, version: 8.6.2.10000-30, cluster: c${Math.floor(i / 3)}${n.settings ? `, settings: ${JSON.stringify(n.settings)}` : ''}}`,
  )
  writeFileSync(file, `name: recovery\ntiming: fast\nnodes:\n${lines.join('\n')}\n`)
  return file
}

const SIX = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((name) => ({name}))

function recordedPids(home: string): number[] {
  try {
    const lab = JSON.parse(readFileSync(join(home, 'state', 'lab', 'lab.json'), 'utf8'))
    return lab.nodes.flatMap((n: {pid?: number}) => (n.pid === undefined ? [] : [n.pid]))
  } catch {
    return []
  }
}

/** Starts `lab up` and SIGKILLs it once it has started at least one agent and before it is done. */
async function killedLabUp(env: Record<string, string>, topologyFile: string): Promise<void> {
  const cli: ChildProcess = spawn(process.execPath, [BIN, 'lab', 'up', '--topology', topologyFile], {env: {...process.env, ...env}, stdio: 'ignore'})
  const exited = new Promise((resolve) => cli.once('exit', resolve))
  await eventually(() => (recordedPids(env.UCCTL_HOME).length > 0 ? true : undefined), 60_000, 'lab up to record its first agent')
  cli.kill('SIGKILL')
  assert.equal(await exited, null, 'lab up was killed before it finished')
}

describe('the lab never loses track of an agent (issue 18)', () => {
  let home: string
  let env: Record<string, string>
  before(() => {
    home = tempDir('ucctl-labrec-')
    env = {UCCTL_HOME: home}
  })
  afterEach(async () => {
    await runCli(['lab', 'down', '--purge'], env)
  })
  after(() => rmSync(home, {recursive: true, force: true}))

  it('SIGKILL of the launching CLI in the middle of lab up, then lab down: no agent process of the lab remains', async () => {
    await killedLabUp(env, topology(home, SIX))
    const left = allPids(agentProcesses(home))
    assert.ok(left.length > 0, 'the killed lab up had started agents')
    for (const pid of recordedPids(home)) assert.ok(left.includes(pid), `recorded pid ${pid} is an agent of the lab`)
    const status = await runCli(['lab', 'status', '--json'], env)
    assert.deepEqual(schemaProblems(status.json), [])
    const known = status.json.nodes.filter((n: any) => n.state === 'running').map((n: any) => n.pid)
    assert.deepEqual([...known].sort(), [...left].sort(), 'lab status knows every agent started')

    const down = await runCli(['lab', 'down', '--json'], env)
    assert.equal(down.code, 0, down.stderr)
    for (const pid of left) assert.equal(running(pid), false, `agent pid ${pid} still runs`)
    assert.deepEqual(allPids(agentProcesses(home)).filter(running), [])
  })

  it('lab up after a SIGKILLed lab up adopts the agents it left: one agent per node, no duplicates', async () => {
    await killedLabUp(env, topology(home, SIX))
    const left = allPids(agentProcesses(home))
    const up = await runCli(['lab', 'up', '--json'], env)
    assert.equal(up.code, 0, up.stderr)
    assert.deepEqual(schemaProblems(up.json), [])
    const agents = agentProcesses(home)
    assert.equal(agents.size, SIX.length)
    for (const [config, pids] of agents) assert.equal(pids.filter(running).length, 1, `one agent for ${config}`)
    for (const pid of left) assert.ok(up.json.nodes.some((n: any) => n.pid === pid), `agent ${pid} was adopted, not replaced`)
    assert.ok(up.json.nodes.every((n: any) => n.state === 'running'))
    const status = await runCli(['status', '--json'], env)
    assert.equal(status.code, 0, status.stderr)
    assert.ok(status.json.nodes.every((n: any) => n.health === 'ok'), JSON.stringify(status.json.nodes))
  })

  it('a failed lab up says which nodes are up and which not, exits non-zero, and lab down stops what it started', async () => {
    // n3's agent refuses its settings and exits at start-up.
    const file = topology(home, [{name: 'n1'}, {name: 'n2'}, {name: 'n3', settings: {inactiveVersion: 5}}, {name: 'n4'}, {name: 'n5'}, {name: 'n6'}])
    const up = await runCli(['lab', 'up', '--topology', file, '--json'], env)
    assert.equal(up.code, 1, up.stderr)
    assert.deepEqual(schemaProblems(up.json), [])
    assert.match(up.json.error.message, /the lab is not up: \d of 6 nodes up; not up: n3 \(exited during start-up/)
    const {up: upNodes, notUp} = up.json.error.details
    assert.ok(upNodes.includes('n1') && upNodes.includes('n2'), JSON.stringify(upNodes))
    assert.deepEqual(notUp.find((f: any) => f.node === 'n3').reason.match(/exited during start-up/)?.[0], 'exited during start-up')
    assert.equal(upNodes.length + notUp.length, 6, 'every node is either up or not')

    const status = await runCli(['lab', 'status', '--json'], env)
    assert.equal(status.code, 3)
    const byName = new Map(status.json.nodes.map((n: any) => [n.name, n]))
    for (const n of upNodes) assert.equal((byName.get(n) as any).state, 'running', n)
    for (const f of notUp) assert.equal((byName.get(f.node) as any).state, 'stopped', f.node)
    const left = allPids(agentProcesses(home)).filter(running)
    assert.equal(left.length, upNodes.length)

    const down = await runCli(['lab', 'down'], env)
    assert.equal(down.code, 0, down.stderr)
    for (const pid of left) assert.equal(running(pid), false, `agent pid ${pid} still runs`)
  })

  it('a recorded pid that now belongs to another process is not the agent: lab status, down and up leave that process alone', async () => {
    const file = topology(home, SIX.slice(0, 3))
    assert.equal((await runCli(['lab', 'up', '--topology', file], env)).code, 0)
    assert.equal((await runCli(['lab', 'down'], env)).code, 0)
    // The pid of n1's stopped agent, as if the system had handed it to another program.
    const other = spawn('sleep', ['600'], {stdio: 'ignore'})
    try {
      const labFile = join(home, 'state', 'lab', 'lab.json')
      const lab = JSON.parse(readFileSync(labFile, 'utf8'))
      lab.nodes[0].pid = other.pid
      writeFileSync(labFile, JSON.stringify(lab))
      const status = await runCli(['lab', 'status', '--json'], env)
      assert.equal(status.json.nodes[0].state, 'stopped')
      assert.equal((await runCli(['lab', 'down'], env)).code, 0)
      assert.ok(running(other.pid!), 'lab down did not signal a process that is not its agent')
      const up = await runCli(['lab', 'up', '--json'], env)
      assert.equal(up.code, 0, up.stderr)
      assert.notEqual(up.json.nodes[0].pid, other.pid)
      assert.equal(up.json.nodes[0].state, 'running')
      assert.ok(running(other.pid!))
    } finally {
      other.kill()
    }
  })

  it('two concurrent lab up start each agent once (one lab lock); lab down after lab up keeps the ports', async () => {
    const file = topology(home, SIX)
    const [a, b] = await Promise.all([runCli(['lab', 'up', '--topology', file, '--json'], env), runCli(['lab', 'up', '--topology', file, '--json'], env)])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    const agents = agentProcesses(home)
    assert.equal(allPids(agents).filter(running).length, SIX.length)
    assert.deepEqual(
      a.json.nodes.map((n: any) => [n.name, n.pid, n.url]),
      b.json.nodes.map((n: any) => [n.name, n.pid, n.url]),
    )
    // Issue 10 wants contexts made from the lab to stay valid: the same URLs after down and up.
    assert.equal((await runCli(['lab', 'down'], env)).code, 0)
    const again = await runCli(['lab', 'up', '--json'], env)
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(
      again.json.nodes.map((n: any) => n.url),
      a.json.nodes.map((n: any) => n.url),
    )
    // Agents on 127.0.0.1: no plain-HTTP warning for a context made from them.
    const add = await runCli(['context', 'add', 'local', ...again.json.nodes.flatMap((n: any) => ['--agent', n.url])], env)
    assert.equal(add.code, 0, add.stderr)
    assert.doesNotMatch(add.stderr, /plain http/)
  })
})
