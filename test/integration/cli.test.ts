// The CLI against real agents, as a subprocess of bin/run.js and in-process through oclif:
// JSON envelope valid against schemas/, exit codes of DESIGN.md, tables and piped rows.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, describe, it, type TestContext} from 'node:test'
import {assertNotRestarted, eventually, IGNORES_SIGTERM, isAlive, startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {runCli, runCliInProcess, schemaProblems, writeContext} from '../helpers/cli.js'

/** A CTI OS agent of the test's own (for a test that changes its services), every service up, and a context naming it. */
async function ownCtios(
  t: TestContext,
  opts: Parameters<typeof startTestAgent>[0] = {},
): Promise<{ctios: TestAgent; env: Record<string, string>}> {
  const ctios = await startTestAgent(opts)
  const home = tempDir()
  t.after(async () => {
    await ctios.dispose()
    rmSync(home, {recursive: true, force: true})
  })
  writeContext(home, 'test', [{name: 'ctios-a', url: ctios.url}])
  await eventually(() => (ctios.nodeManager.list().every((s) => s.startup !== 'Automatic' || s.state === 'Running') ? true : undefined))
  return {ctios, env: {UCCTL_HOME: home}}
}

// Tests that change services have an agent of their own; the others only read the shared pair.
describe('ucctl against real agents', {concurrency: 3}, () => {
  let ctios: TestAgent
  let cucm: TestAgent
  let home: string
  let env: Record<string, string>

  before(async () => {
    ctios = await startTestAgent()
    cucm = await startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'})
    home = tempDir()
    writeContext(home, 'test', [
      {name: 'ctios-a', url: ctios.url},
      {name: 'cucm-pub', url: cucm.url},
    ])
    env = {UCCTL_HOME: home}
    await eventually(() =>
      ctios.nodeManager.isRunning('CtiosServerNode') && cucm.nodeManager.isRunning('Cisco CallManager') ? true : undefined,
    )
  })
  after(async () => {
    await Promise.all([ctios.dispose(), cucm.dispose()])
    rmSync(home, {recursive: true, force: true})
  })

  it('status --json: every node with product, role, version, URL, health, services; valid NodeList', async () => {
    const r = await runCli(['status', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.context, 'test')
    const byName = Object.fromEntries(r.json.nodes.map((n: any) => [n.name, n]))
    assert.equal(byName['ctios-a'].product, 'ctios')
    assert.equal(byName['cucm-pub'].version, '8.6.2.10000-30')
    assert.equal(byName['cucm-pub'].health, 'ok')
    assert.deepEqual(byName['cucm-pub'].services, {running: 4, total: 4, failed: 0})
    assert.equal(r.stderr, '', 'nothing on stderr for a plain query')
  })

  it('SVC-1: service list --json lists the four CTI OS processes, Running, with pids; valid ServiceList', async () => {
    const r = await runCli(['service', 'list', '--node', 'ctios-a', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    const svc = r.json.services.filter((s: any) => ['CtiosServerNode', 'CTIOSTrace', 'NM', 'NMM'].includes(s.name))
    assert.equal(svc.length, 4)
    for (const s of svc) {
      assert.equal(s.state, 'Running')
      assert.ok(isAlive(s.pid))
    }
    assert.equal(svc.find((s: any) => s.name === 'CtiosServerNode').console, true)
  })

  it('piped output is tab-separated rows without colour', async () => {
    const r = await runCli(['service', 'list', '--node', 'ctios-a'], {...env, FORCE_COLOR: '1', NO_COLOR: ''})
    assert.equal(r.code, 0)
    const rows = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
    assert.ok(rows.every((cols) => cols.length === 8))
    assert.deepEqual(rows.map((c) => c[0]).slice(0, 4), ['CtiosServerNode', 'CTIOSTrace', 'NM', 'NMM'])
    assert.doesNotMatch(r.stdout, /\u001b\[/)
  })

  it('SVC-4 through the CLI: kill -9 → new pid and restarts 1; operator stop stays Stopped', async (t) => {
    const {ctios, env} = await ownCtios(t)
    const before = ctios.nodeManager.status('CTIOSTrace')
    process.kill(before.pid!, 'SIGKILL')
    const after = await eventually(async () => {
      const s = (await runCliInProcess(['service', 'list', '--node', 'ctios-a', '--json'], env)).json.services.find(
        (x: any) => x.name === 'CTIOSTrace',
      )
      return s.state === 'Running' && s.pid !== before.pid ? s : undefined
    }, 10_000)
    assert.equal(after.restarts, before.restarts + 1)

    const stoppedFrom = ctios.events.lastSeq()
    const stop = await runCli(['service', 'stop', 'CTIOSTrace', '--node', 'ctios-a', '--json'], env)
    assert.equal(stop.code, 0, stop.stderr)
    assert.deepEqual(schemaProblems(stop.json), [])
    assert.equal(stop.json.state, 'succeeded')
    assert.equal(stop.json.service.state, 'Stopped')
    await assertNotRestarted(ctios, 'CTIOSTrace', stoppedFrom, 'NM')
    const later = (await runCli(['service', 'list', '--node', 'ctios-a', '--json'], env)).json.services.find(
      (s: any) => s.name === 'CTIOSTrace',
    )
    assert.equal(later.state, 'Stopped')
    const start = await runCliInProcess(['service', 'start', 'CTIOSTrace', '--node', 'ctios-a', '--json'], env)
    assert.equal(start.code, 0, start.stderr)
    assert.equal(start.json.service.state, 'Running')
  })

  it('SVC-2: service cycle gives a new pid (in-process run)', async (t) => {
    const {ctios, env} = await ownCtios(t)
    const before = ctios.nodeManager.status('NM').pid
    const r = await runCliInProcess(['service', 'cycle', 'NM', '--node', 'ctios-a', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [], r.stdout + r.stderr)
    assert.equal(r.json.service.state, 'Running')
    assert.notEqual(r.json.service.pid, before)
  })

  it('--dry-run shows what would change and the rules, and changes nothing', async () => {
    const pid = ctios.nodeManager.status('NMM').pid
    const r = await runCli(['service', 'stop', 'NMM', '--node', 'ctios-a', '--dry-run', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.kind, 'OperationPlan')
    assert.ok(r.json.rules.some((x: string) => x.startsWith('SVC-4')))
    assert.equal(ctios.nodeManager.status('NMM').state, 'Running')
    assert.equal(ctios.nodeManager.status('NMM').pid, pid)
  })

  it('--no-wait returns the running operation at once', async (t) => {
    const {ctios, env} = await ownCtios(t, {extraServices: [IGNORES_SIGTERM]})
    await ctios.nodeManager.start('Stubborn')
    const nowait = await runCli(['service', 'stop', 'Stubborn', '--node', 'ctios-a', '--no-wait', '--json'], env)
    assert.equal(nowait.code, 0, nowait.stderr)
    assert.equal(nowait.json.state, 'running')
    await eventually(() => (ctios.nodeManager.isStopped('Stubborn') ? true : undefined), 8000)
  })

  it('--timeout gives exit 124 with the last state', async (t) => {
    // Stubborn ignores SIGTERM: its stop lasts the grace period, well past the 1 s timeout.
    const {ctios, env} = await ownCtios(t, {extraServices: [IGNORES_SIGTERM], timing: {stopGraceMs: 4000}})
    await ctios.nodeManager.start('Stubborn')
    const timeout = await runCli(['service', 'stop', 'Stubborn', '--node', 'ctios-a', '--timeout', '1', '--json'], env)
    assert.equal(timeout.code, 124, timeout.stdout + timeout.stderr)
    assert.deepEqual(schemaProblems(timeout.json), [])
    assert.equal(timeout.json.kind, 'Operation')
    assert.equal(timeout.json.state, 'running')
    assert.ok(timeout.json.transitions.some((t: any) => /Stopping/.test(t.message)))
    await eventually(() => (ctios.nodeManager.isStopped('Stubborn') ? true : undefined), 8000)
  })

  it('a second action while one runs on the same service: exit 6', async (t) => {
    const {ctios, env} = await ownCtios(t, {extraServices: [IGNORES_SIGTERM], timing: {stopGraceMs: 4000}})
    await ctios.nodeManager.start('Stubborn')
    const first = await runCli(['service', 'stop', 'Stubborn', '--node', 'ctios-a', '--no-wait', '--json'], env)
    assert.equal(first.code, 0)
    const second = await runCli(['service', 'start', 'Stubborn', '--node', 'ctios-a', '--json'], env)
    assert.equal(second.code, 6, second.stdout)
    assert.equal(second.json.error.code, 'Busy')
    await eventually(() => (ctios.nodeManager.isStopped('Stubborn') ? true : undefined), 8000)
  })

  it('SVC-3: service startup sets Manual (with a warning on stderr) and back', async (t) => {
    const {env} = await ownCtios(t)
    const r = await runCli(['service', 'startup', 'CTIOSTrace', 'Manual', '--node', 'ctios-a', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.service.startup, 'Manual')
    assert.match(r.stderr, /Automatic is recommended/)
    const bad = await runCli(['service', 'startup', 'CTIOSTrace', 'Sometimes', '--node', 'ctios-a'], env)
    assert.equal(bad.code, 2)
    const back = await runCli(['service', 'startup', 'CTIOSTrace', 'Automatic', '--node', 'ctios-a', '--json'], env)
    assert.equal(back.code, 0, back.stderr)
    assert.equal(back.json.service.startup, 'Automatic')
  })

  const badInput: Array<[string, string[], number, RegExp]> = [
    ['an unknown service', ['service', 'start', 'NoSuch', '--node', 'ctios-a'], 2, /no service "NoSuch"/],
    ['an unknown node', ['service', 'list', '--node', 'nowhere'], 2, /no node "nowhere"/],
    ['no --node with several nodes', ['service', 'stop', 'NM'], 2, /--node is required/],
    ['an unknown flag', ['service', 'list', '--bogus'], 2, /Nonexistent flag/],
    ['a malformed flag value', ['service', 'stop', 'NM', '--node', 'ctios-a', '--timeout', 'soon'], 2, /Expected an integer/],
    ['an unknown context', ['status', '--context', 'nope'], 2, /no context named "nope"/],
    ['a malformed --since', ['events', '--since', 'whenever'], 2, /neither an ISO time/],
    ['node restart without a terminal or --yes', ['node', 'restart', 'ctios-a'], 2, /--yes/],
  ]
  for (const [what, args, code, message] of badInput) {
    it(`bad input gets exit ${code} with a clear message and changes nothing: ${what}`, async () => {
      const human = await runCli(args, env)
      assert.equal(human.code, code, human.stderr)
      assert.match(human.stderr, message)
      assert.doesNotMatch(human.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(human.stdout, '')
      const json = await runCli([...args, '--json'], env)
      assert.equal(json.code, code)
      assert.deepEqual(schemaProblems(json.json), [])
      assert.equal(json.json.kind, 'Error')
    })
  }

  it('an unknown command exits 2', async () => {
    const r = await runCli(['frobnicate'], env)
    assert.equal(r.code, 2)
  })

  it('no agent answering: exit 7 with the node and its URL', async () => {
    const deadHome = tempDir()
    writeContext(deadHome, 'dead', [{name: 'gone', url: 'http://127.0.0.1:9'}])
    try {
      const r = await runCli(['service', 'list', '--json'], {UCCTL_HOME: deadHome})
      assert.equal(r.code, 7)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.match(r.json.error.message, /gone \(http:\/\/127\.0\.0\.1:9\)/)
      const s = await runCli(['status'], {UCCTL_HOME: deadHome})
      assert.equal(s.code, 7)
    } finally {
      rmSync(deadHome, {recursive: true, force: true})
    }
  })

  it('status with one node down: that node is unreachable, the others answer, exit 0', async () => {
    const partHome = tempDir()
    writeContext(partHome, 'part', [
      {name: 'ctios-a', url: ctios.url},
      {name: 'gone', url: 'http://127.0.0.1:9'},
    ])
    try {
      const r = await runCli(['status', '--json'], {UCCTL_HOME: partHome})
      assert.equal(r.code, 0)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.nodes.find((n: any) => n.name === 'gone').health, 'unreachable')
      assert.equal(r.json.nodes.find((n: any) => n.name === 'ctios-a').health, 'ok')
    } finally {
      rmSync(partHome, {recursive: true, force: true})
    }
  })

  it('SVC-5: node restart --yes restarts every service; valid Operation', async (t) => {
    const {ctios, env} = await ownCtios(t)
    const before = Object.fromEntries(ctios.nodeManager.list().map((s) => [s.name, s.pid]))
    const r = await runCli(['node', 'restart', 'ctios-a', '--yes', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    for (const s of r.json.services.filter((x: any) => x.startup === 'Automatic')) {
      assert.equal(s.state, 'Running', s.name)
      assert.notEqual(s.pid, before[s.name], s.name)
    }
  })

  it("events --json merges the nodes' events by time; valid EventList", async () => {
    const r = await runCli(['events', '--since', '10m', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    const nodes = new Set(r.json.events.map((e: any) => e.node))
    assert.ok(nodes.has('ctios-a') && nodes.has('cucm-pub'))
    const times = r.json.events.map((e: any) => e.time)
    assert.deepEqual(times, [...times].sort())
  })

  it('events --follow --json streams one Event document per line', async (t) => {
    const {ctios, env} = await ownCtios(t)
    const {spawn} = await import('node:child_process')
    const {BIN} = await import('../helpers/cli.js')
    // From a time before the cycle: however long the CLI takes to connect, nothing is missed.
    const since = new Date().toISOString()
    const child = spawn(process.execPath, [BIN, 'events', '--follow', '--json', '--node', 'ctios-a', '--since', since], {
      env: {...process.env, ...env},
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const closed = new Promise((resolve) => child.once('close', resolve))
    let lines: string[]
    try {
      await ctios.nodeManager.cycle('NMM')
      lines = await eventually(
        () => {
          const l = out.split('\n').filter(Boolean)
          return l.some((x) => x.includes('"NMM') && x.includes('Running')) ? l : undefined
        },
        15_000,
        `streamed events: ${out} / ${err}`,
      )
    } finally {
      // Ended before its agent is closed (the stream would hold the agent's close).
      child.kill('SIGINT')
      await closed
    }
    for (const line of lines) {
      const doc = JSON.parse(line)
      assert.deepEqual(schemaProblems(doc), [], line)
      assert.equal(doc.kind, 'Event')
      assert.equal(doc.context, 'test', 'every JSON document names its context')
    }
  })

  it('context list / use / remove keep a 0600 file; valid ContextList', async () => {
    const r = await runCli(['context', 'list', '--json'], env)
    assert.equal(r.code, 0)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.current, 'test')
    const {statSync} = await import('node:fs')
    const {join} = await import('node:path')
    assert.equal(statSync(join(home, 'config', 'contexts.json')).mode & 0o777, 0o600)
    assert.equal(statSync(join(home, 'config')).mode & 0o777, 0o700)
  })
})
