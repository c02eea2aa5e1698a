// Issue 18: the lab never loses track of an agent. The launching CLI is SIGKILLed in the middle
// of `lab up`, a start fails: `lab down` still stops every agent, checked by pid from /proc
// (independently of the lab's own records).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {agentsUnder, commandLine} from '../../src/lib/lab/processes.js'
import {eventually, tempDir} from '../helpers/agents.js'
import {runCli, schemaProblems} from '../helpers/cli.js'
import {agentProcesses, allPids, killedLabUp, labHome, recordedPids, running, SIX, topology} from '../helpers/lab.js'

// Each test has a lab of its own: they run at once.
describe('the lab never loses track of an agent: SIGKILL of lab up, a failed start (issue 18)', {concurrency: 3}, () => {
  it('SIGKILL of the launching CLI in the middle of lab up, then lab down: no agent process of the lab remains', async (t) => {
    const lab = labHome(t)
    await killedLabUp(lab.env, topology(lab.home, SIX))
    const left = allPids(agentProcesses(lab.home))
    assert.ok(left.length > 0, 'the killed lab up had started agents')
    for (const pid of recordedPids(lab.home)) assert.ok(left.includes(pid), `recorded pid ${pid} is an agent of the lab`)
    const status = await runCli(['lab', 'status', '--json'], lab.env)
    assert.deepEqual(schemaProblems(status.json), [])
    const known = status.json.nodes.filter((n: any) => n.state === 'running').map((n: any) => n.pid)
    assert.deepEqual([...known].sort(), [...left].sort(), 'lab status knows every agent started')

    const down = await runCli(['lab', 'down', '--json'], lab.env)
    assert.equal(down.code, 0, down.stderr)
    for (const pid of left) assert.equal(running(pid), false, `agent pid ${pid} still runs`)
    assert.deepEqual(allPids(agentProcesses(lab.home)).filter(running), [])
  })

  it('lab up after a SIGKILLed lab up adopts the agents it left: one agent per node, no duplicates', async (t) => {
    const lab = labHome(t)
    await killedLabUp(lab.env, topology(lab.home, SIX))
    const left = allPids(agentProcesses(lab.home))
    const up = await runCli(['lab', 'up', '--json'], lab.env)
    assert.equal(up.code, 0, up.stderr)
    assert.deepEqual(schemaProblems(up.json), [])
    const agents = agentProcesses(lab.home)
    assert.equal(agents.size, SIX.length)
    for (const [config, pids] of agents) assert.equal(pids.filter(running).length, 1, `one agent for ${config}`)
    for (const pid of left)
      assert.ok(
        up.json.nodes.some((n: any) => n.pid === pid),
        `agent ${pid} was adopted, not replaced`,
      )
    assert.ok(up.json.nodes.every((n: any) => n.state === 'running'))
    const status = await runCli(['status', '--json'], lab.env)
    assert.equal(status.code, 0, status.stderr)
    assert.ok(
      status.json.nodes.every((n: any) => n.health === 'ok'),
      JSON.stringify(status.json.nodes),
    )
  })

  it('a failed lab up says which nodes are up and which not, exits non-zero, and lab down stops what it started', async (t) => {
    const lab = labHome(t)
    // n3's agent refuses its settings and exits at start-up.
    const file = topology(lab.home, [{name: 'n1'}, {name: 'n2'}, {name: 'n3', settings: {inactiveVersion: 5}}, {name: 'n4'}])
    const up = await runCli(['lab', 'up', '--topology', file, '--json'], lab.env)
    assert.equal(up.code, 1, up.stderr)
    assert.deepEqual(schemaProblems(up.json), [])
    assert.match(up.json.error.message, /the lab is not up: \d of 4 nodes up; not up: n3 \(exited during start-up/)
    const {up: upNodes, notUp} = up.json.error.details
    assert.ok(upNodes.includes('n1') && upNodes.includes('n2'), JSON.stringify(upNodes))
    assert.deepEqual(notUp.find((f: any) => f.node === 'n3').reason.match(/exited during start-up/)?.[0], 'exited during start-up')
    assert.equal(upNodes.length + notUp.length, 4, 'every node is either up or not')

    const status = await runCli(['lab', 'status', '--json'], lab.env)
    assert.equal(status.code, 3)
    const byName = new Map(status.json.nodes.map((n: any) => [n.name, n]))
    for (const n of upNodes) assert.equal((byName.get(n) as any).state, 'running', n)
    for (const f of notUp) assert.equal((byName.get(f.node) as any).state, 'stopped', f.node)
    const left = allPids(agentProcesses(lab.home)).filter(running)
    assert.equal(left.length, upNodes.length)

    const down = await runCli(['lab', 'down'], lab.env)
    assert.equal(down.code, 0, down.stderr)
    for (const pid of left) assert.equal(running(pid), false, `agent pid ${pid} still runs`)
  })

  it('a child an agent forked for a service, still before its exec, is not taken for a second agent', async (t) => {
    // An "agent" and a child with its command line, as a child it forks has until it execs.
    const dir = tempDir('ucctl-fork-')
    const config = join(dir, 'n1', 'node.yaml')
    const idle = 'setInterval(() => {}, 1000)'
    const forks = `const c = require('node:child_process').spawn(process.execPath, ['-e', '${idle}', ...process.argv.slice(1)]); console.log(c.pid); ${idle}`
    const agent = spawn(process.execPath, ['-e', forks, join(dir, 'agent-main.js'), '--config', config], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const forked = Number(await new Promise<string>((resolve) => agent.stdout!.once('data', (d) => resolve(String(d)))))
    t.after(() => {
      for (const pid of [forked, agent.pid!]) process.kill(pid, 'SIGKILL')
      rmSync(dir, {recursive: true, force: true})
    })
    await eventually(() => (commandLine(forked)?.includes(config) ? true : undefined), 10_000, 'the child to run')
    assert.deepEqual([...agentsUnder(dir)], [[config, [agent.pid]]])
    assert.deepEqual([...agentProcesses(dir)], [[config, [agent.pid]]])
  })
})
