// The embedded lab as a new user meets it: agents as separate OS processes on 127.0.0.1.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {eventually, isAlive, tempDir} from '../helpers/agents.js'
import {runCli, schemaProblems} from '../helpers/cli.js'

const LAB_NODES = ['cucm-pub', 'cucm-sub', 'imp-pub', 'imp-sub', 'cuc-pub', 'cuc-sub', 'ctios-a']

/** Pids of processes whose parent is `pid` (from /proc: no procps needed). */
function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(entry))
    } catch {}
  }
  return out
}

describe('the embedded lab', () => {
  let home: string
  let env: Record<string, string>
  before(() => {
    home = tempDir('ucctl-lab-')
    env = {UCCTL_HOME: home}
  })
  after(async () => {
    await runCli(['lab', 'down'], env)
    rmSync(home, {recursive: true, force: true})
  })

  it('with no context, `ucctl status` starts the lab (one notice line on stderr) and shows seven healthy nodes', async () => {
    const r = await runCli(['status', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /started the embedded lab/)
    assert.equal(r.json.context, 'lab')
    assert.deepEqual(
      r.json.nodes.map((n: any) => n.name),
      LAB_NODES,
    )
    for (const n of r.json.nodes) {
      assert.equal(n.health, 'ok', n.name)
      assert.equal(n.services.running, n.services.total, n.name)
      assert.match(n.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    }
    const second = await runCli(['status'], env)
    assert.equal(second.stderr, '', 'no notice once the lab is up')
    assert.equal(second.stdout.trim().split('\n').length, 7)
  })

  it('lab status lists one agent process per node with its pid; valid LabStatus', async () => {
    const r = await runCli(['lab', 'status', '--json'], env)
    assert.equal(r.code, 0)
    assert.deepEqual(schemaProblems(r.json), [])
    const pids = new Set(r.json.nodes.map((n: any) => n.pid))
    assert.equal(pids.size, 7, 'each node is its own process')
    for (const n of r.json.nodes) {
      assert.equal(n.state, 'running')
      assert.ok(isAlive(n.pid))
    }
    assert.ok(existsSync(join(home, 'state', 'lab', 'ctios-a', 'node.yaml')), 'state under $UCCTL_HOME')
  })

  it('a node can really be killed: SIGKILL of its agent → unreachable in status, its services die with it', async () => {
    const lab = (await runCli(['lab', 'status', '--json'], env)).json
    const victim = lab.nodes.find((n: any) => n.name === 'cuc-sub')
    const children = childrenOf(victim.pid)
    assert.ok(children.length > 0, 'the agent supervises child processes')
    process.kill(victim.pid, 'SIGKILL')
    await eventually(() => (isAlive(victim.pid) ? undefined : true))
    const r = await runCli(['status', '--json'], env)
    assert.equal(r.code, 0)
    assert.equal(r.json.nodes.find((n: any) => n.name === 'cuc-sub').health, 'unreachable')
    assert.equal(r.json.nodes.find((n: any) => n.name === 'cuc-pub').health, 'ok')
    await eventually(() => (children.every((p) => !isAlive(p)) ? true : undefined), 3000, 'orphans to exit')
    const status = await runCli(['lab', 'status', '--json'], env)
    assert.equal(status.code, 3, 'lab status says the lab is not whole')
    const up = await runCli(['lab', 'up', '--json'], env)
    assert.equal(up.code, 0, up.stderr)
    assert.equal(up.json.nodes.find((n: any) => n.name === 'cuc-sub').state, 'running')
    assert.equal(up.json.nodes.find((n: any) => n.name === 'cuc-sub').url, victim.url, 'same URL, so peers still find it')
  })

  it('lab down stops every agent gracefully and their services with them', async () => {
    const lab = (await runCli(['lab', 'status', '--json'], env)).json
    const children = lab.nodes.flatMap((n: any) => childrenOf(n.pid))
    assert.ok(children.length >= 30)
    const r = await runCli(['lab', 'down', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    for (const n of lab.nodes) assert.equal(isAlive(n.pid), false, n.name)
    for (const p of children) assert.equal(isAlive(p), false, `service process ${p}`)
    const after = await runCli(['lab', 'status'], env)
    assert.equal(after.code, 3)
  })
})
