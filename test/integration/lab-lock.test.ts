// Issue 18: two `lab up` at once start each agent once (one lab lock); a recorded pid the system
// gave to another program is never taken for an agent; ports survive lab down (issue 10).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {freePorts} from '../../src/lib/lab/launcher.js'
import {runCli} from '../helpers/cli.js'
import {agentProcesses, allPids, labHome, running, SIX, topology} from '../helpers/lab.js'

// Each test has a lab of its own: they run at once.
describe('the lab never loses track of an agent: one lab lock, reused pids (issue 18)', {concurrency: 2}, () => {
  it('two labs starting at once never choose the same port: a port chosen lately stays taken until its agent has bound it', async () => {
    // Chosen and released (as lab up does before its agents listen): the second choice, free
    // ports all, still avoids every one of the first's. 2,000 of 12,768 twice: random choices
    // would share about 300.
    const first = await freePorts(2000)
    const second = new Set(await freePorts(2000))
    assert.equal(second.size, 2000)
    assert.deepEqual(
      first.filter((p) => second.has(p)),
      [],
    )
  })

  it('a recorded pid that now belongs to another process is not the agent: lab status, down and up leave that process alone', async (t) => {
    const lab = labHome(t)
    const file = topology(lab.home, SIX.slice(0, 3))
    assert.equal((await runCli(['lab', 'up', '--topology', file], lab.env)).code, 0)
    assert.equal((await runCli(['lab', 'down'], lab.env)).code, 0)
    // The pid of n1's stopped agent, as if the system had handed it to another program.
    const other = spawn('sleep', ['600'], {stdio: 'ignore'})
    try {
      const labFile = join(lab.home, 'state', 'lab', 'lab.json')
      const record = JSON.parse(readFileSync(labFile, 'utf8'))
      record.nodes[0].pid = other.pid
      writeFileSync(labFile, JSON.stringify(record))
      const status = await runCli(['lab', 'status', '--json'], lab.env)
      assert.equal(status.json.nodes[0].state, 'stopped')
      assert.equal((await runCli(['lab', 'down'], lab.env)).code, 0)
      assert.ok(running(other.pid!), 'lab down did not signal a process that is not its agent')
      const up = await runCli(['lab', 'up', '--json'], lab.env)
      assert.equal(up.code, 0, up.stderr)
      assert.notEqual(up.json.nodes[0].pid, other.pid)
      assert.equal(up.json.nodes[0].state, 'running')
      assert.ok(running(other.pid!))
    } finally {
      other.kill()
    }
  })

  it('two concurrent lab up start each agent once (one lab lock); lab down after lab up keeps the ports', async (t) => {
    const lab = labHome(t)
    const file = topology(lab.home, SIX.slice(0, 4))
    const [a, b] = await Promise.all([
      runCli(['lab', 'up', '--topology', file, '--json'], lab.env),
      runCli(['lab', 'up', '--topology', file, '--json'], lab.env),
    ])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    const agents = agentProcesses(lab.home)
    assert.equal(allPids(agents).filter(running).length, 4)
    assert.deepEqual(
      a.json.nodes.map((n: any) => [n.name, n.pid, n.url]),
      b.json.nodes.map((n: any) => [n.name, n.pid, n.url]),
    )
    // Issue 10 wants contexts made from the lab to stay valid: the same URLs after down and up.
    assert.equal((await runCli(['lab', 'down'], lab.env)).code, 0)
    const again = await runCli(['lab', 'up', '--json'], lab.env)
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(
      again.json.nodes.map((n: any) => n.url),
      a.json.nodes.map((n: any) => n.url),
    )
    // Agents on 127.0.0.1: no plain-HTTP warning for a context made from them.
    const add = await runCli(['context', 'add', 'local', ...again.json.nodes.flatMap((n: any) => ['--agent', n.url])], lab.env)
    assert.equal(add.code, 0, add.stderr)
    assert.doesNotMatch(add.stderr, /plain http/)
  })
})
