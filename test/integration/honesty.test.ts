// Issue 10: honest answers when a node cannot be read (DESIGN.md "Reading several nodes"), and
// effects said before they happen. One set of real in-process agents serves every case: each
// case is a context (a UCCTL_HOME) pointing at them, at dead ports, or with a wrong token. The
// drains change a Unity Connection pair: each has a pair of its own and runs while the rest does.
import assert from 'node:assert/strict'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it, type TestContext} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {freePort} from '../../src/lib/lab/launcher.js'
import {downAgentUrl, eventually, IGNORES_SIGTERM, startTestAgent, TEST_OPERATOR_TOKEN, tempDir, type TestAgent} from '../helpers/agents.js'
import {BIN, type CliResult, runCli, runCliInProcess, schemaProblems, writeContext} from '../helpers/cli.js'
import {InProcessPair, USERS} from './presence-lab.js'
import {spawn} from 'node:child_process'
import {OperationRegistry} from '../../src/lib/agent/operations.js'
import {RefusedError} from '../../src/lib/errors.js'

type Kind = 'read' | 'check' | 'one'
/** Every command that reads several nodes (and ctios status, a read of one node found among them). */
const READS: Array<{name: string; args: string[]; kind: Kind}> = [
  {name: 'status', args: ['status'], kind: 'read'},
  {name: 'status --check', args: ['status', '--check'], kind: 'check'},
  {name: 'events', args: ['events', '--since', '1h'], kind: 'read'},
  {name: 'operation list', args: ['operation', 'list'], kind: 'read'},
  {name: 'cluster status', args: ['cluster', 'status'], kind: 'read'},
  {name: 'cluster license check', args: ['cluster', 'license', 'check'], kind: 'check'},
  {name: 'cluster ports check', args: ['cluster', 'ports', 'check', '--integration', 'sip-trunk', '--needed', '8'], kind: 'check'},
  {name: 'pcluster status', args: ['pcluster', 'status'], kind: 'read'},
  {name: 'pcluster check', args: ['pcluster', 'check'], kind: 'check'},
  {name: 'throttle status', args: ['throttle', 'status'], kind: 'read'},
  {name: 'load check', args: ['load', 'check'], kind: 'check'},
  {name: 'ctios status', args: ['ctios', 'status'], kind: 'one'},
]

/** Every object in `doc` that names `node` and carries an error (a node marked as not read). */
function marks(doc: unknown, node: string): Array<{code: string; message: string}> {
  const found: Array<{code: string; message: string}> = []
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') {
      const o = v as Record<string, any>
      if (o.name === node && o.error && typeof o.error === 'object') found.push(o.error)
      Object.values(o).forEach(walk)
    }
  }
  walk(doc)
  return found
}

/** These tests are not about keepalives: a busy test process (in-process CLI runs) must not look like a dead peer. */
const PATIENT = {srmKeepaliveTimeoutMs: 10_000, srmInitKeepaliveTimeoutMs: 10_000, cucKeepaliveTimeoutMs: 10_000}

/** A Unity Connection cluster of real in-process agents, once Primary and Secondary. */
async function startConnection(): Promise<[TestAgent, TestAgent]> {
  const [pa, pb] = [await freePort(), await freePort()]
  const conn = (mac: string) => ({connection: {mac, licenseMac: mac, integration: 'sip-trunk', ports: 8, phoneSystemPorts: 16}})
  const common = {product: 'cuc' as const, version: '9.1.1.10000-1', timing: PATIENT}
  const pair = await Promise.all([
    startTestAgent({
      ...common,
      name: 'cuc-pub',
      port: pa,
      peers: [{name: 'cuc-sub', url: `http://127.0.0.1:${pb}`}],
      settings: conn('00:50:56:00:00:01'),
    }),
    startTestAgent({
      ...common,
      name: 'cuc-sub',
      role: 'subscriber',
      port: pb,
      peers: [{name: 'cuc-pub', url: `http://127.0.0.1:${pa}`}],
      settings: conn('00:50:56:00:00:02'),
    }),
  ])
  const status = (a: TestAgent) =>
    client(a.config.name, a.url)
      .call('GET /v1/cluster')
      .then((c) => c.status)
  await eventually(
    async () => ((await status(pair[0])) === 'Primary' && (await status(pair[1])) === 'Secondary' ? true : undefined),
    30_000,
    'a healthy Unity Connection cluster',
  )
  return pair
}

/** The test operator's client: in-process CLI runs of other tests change AgentClient.credentials meanwhile. */
const client = (name: string, url: string) => new AgentClient({name, url}, {token: TEST_OPERATOR_TOKEN})

// Three at once: the reads (one after the other: in-process runs), each drain on its own pair, the rest.
describe('issue 10: every read command × {wrong token, no token, every agent down, one of several down, both nodes of a group down}', {
  concurrency: 3,
}, () => {
  const agents: TestAgent[] = []
  let imp: InProcessPair
  const homes: Record<string, string> = {}
  let live: Array<{name: string; url: string}>
  let dead: () => Promise<string>

  before(async () => {
    imp = await new InProcessPair({timing: PATIENT}).start()
    agents.push(
      ...(await Promise.all([
        startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'}),
        startTestAgent({
          name: 'ctios-a',
          settings: {
            peripheral: {
              icmVersion: '8.0(1)',
              ctiosVersion: '8.0',
              upgradedFrom: null,
              rejectIfAlreadyLoggedIn: 0,
              configurationParameters: '/PBX ACD1',
            },
          },
          extraServices: [IGNORES_SIGTERM],
        }),
      ])),
      ...(await startConnection()),
    )
    live = [
      ...agents.map((a) => ({name: a.config.name, url: a.url})),
      {name: 'imp-pub', url: imp.url('imp-pub')},
      {name: 'imp-sub', url: imp.url('imp-sub')},
    ]
    // A port nothing listens on, nor will: connection refused, as for an agent that is down.
    dead = downAgentUrl
    const context = (name: string, nodes: Array<{name: string; url: string}>, token?: string) => {
      const home = tempDir()
      if (token === undefined) {
        mkdirSync(join(home, 'config'), {recursive: true, mode: 0o700})
        writeFileSync(join(home, 'config', 'contexts.json'), JSON.stringify({current: name, contexts: {[name]: {nodes}}}), {mode: 0o600})
      } else writeContext(home, name, nodes, token)
      homes[name] = home
    }
    context('wrong-token', live, 'wrong-token-0123456789abcdef0123456789')
    context('no-token', live)
    context('all-down', await Promise.all(live.map(async (n) => ({name: n.name, url: await dead()}))))
    context('one-down', [...live, {name: 'gone', url: await dead()}], TEST_OPERATOR_TOKEN)
    context('live', live, TEST_OPERATOR_TOKEN)
    context(
      'group-down',
      await Promise.all(live.map(async (n) => (n.name.startsWith('imp-') ? {name: n.name, url: await dead()} : n))),
      TEST_OPERATOR_TOKEN,
    )
  })

  after(async () => {
    await Promise.all([...agents.map((a) => a.dispose()), imp.dispose()])
    for (const h of Object.values(homes)) rmSync(h, {recursive: true, force: true})
  })

  async function run(home: string, args: string[]): Promise<CliResult> {
    const r = await runCliInProcess([...args, '--json'], {UCCTL_HOME: home})
    assert.ok(r.json, `${args.join(' ')}: no JSON document: ${r.stdout} ${r.stderr}`)
    assert.deepEqual(schemaProblems(r.json), [], `${args.join(' ')}: ${r.stdout}`)
    return r
  }

  // One after the other: in-process runs take turns anyway.
  describe('every read command in every context', () => {
    for (const c of ['wrong-token', 'no-token'] as const) {
      it(`${c}: every read exits 4 with error.code Unauthorized, never ok`, async () => {
        for (const cmd of READS) {
          const r = await run(homes[c], cmd.args)
          assert.equal(r.code, 4, `${cmd.name}: ${r.stdout}`)
          assert.equal(r.json.kind, 'Error', cmd.name)
          assert.equal(r.json.error.code, 'Unauthorized', cmd.name)
        }
      })
    }

    it('every agent down: every read exits 7 with error.code Unreachable, never ok', async () => {
      for (const cmd of READS) {
        const r = await run(homes['all-down'], cmd.args)
        assert.equal(r.code, 7, `${cmd.name}: ${r.stdout}`)
        assert.equal(r.json.error.code, 'Unreachable', cmd.name)
      }
    })

    it('one agent of several down: reads give the rest (exit 0) and mark it; checks exit 3 with a finding for it', async () => {
      for (const cmd of READS) {
        const r = await run(homes['one-down'], cmd.args)
        if (cmd.kind === 'check') {
          assert.equal(r.code, 3, `${cmd.name}: ${r.stdout}`)
          assert.equal(r.json.ok, false, `${cmd.name}: a check never passes on what it did not read`)
          assert.ok(
            r.json.findings.some((f: any) => f.node === 'gone' && f.severity === 'error' && /could not read gone/.test(f.message)),
            `${cmd.name}: ${r.stdout}`,
          )
        } else assert.equal(r.code, 0, `${cmd.name}: ${r.stdout}`)
        if (cmd.kind !== 'one') {
          const m = marks(r.json, 'gone')
          assert.ok(
            m.length > 0 && m.every((e) => e.code === 'Unreachable' && e.message.length > 0),
            `${cmd.name} carries gone's error: ${r.stdout}`,
          )
          if (cmd.kind === 'read') assert.match(r.stderr, /warning: could not read gone/, `${cmd.name}: one warning line per node not read`)
        }
      }
      const s = await run(homes['one-down'], ['status'])
      assert.equal(s.json.nodes.find((n: any) => n.name === 'gone').health, 'unreachable')
      assert.equal(s.json.nodes.find((n: any) => n.name === 'cuc-pub').health, 'ok')
    })

    it('both nodes of a presence group down: pcluster reads exit 7; other reads mark them; checks exit 3', async () => {
      for (const cmd of READS) {
        const r = await run(homes['group-down'], cmd.args)
        if (cmd.name.startsWith('pcluster')) {
          assert.equal(r.code, 7, `${cmd.name}: every node it needs failed: ${r.stdout}`)
          assert.equal(r.json.error.code, 'Unreachable')
          continue
        }
        assert.equal(r.code, cmd.kind === 'check' ? 3 : 0, `${cmd.name}: ${r.stdout}`)
        if (cmd.kind === 'check') assert.ok(r.json.findings.some((f: any) => f.node === 'imp-pub') && r.json.ok === false, cmd.name)
        if (cmd.kind !== 'one')
          assert.ok(marks(r.json, 'imp-pub').length > 0 && marks(r.json, 'imp-sub').length > 0, `${cmd.name}: ${r.stdout}`)
      }
    })

    it('status --check passes only when every node was read and is ok', async () => {
      const home = tempDir()
      try {
        writeContext(home, 'all', live)
        const r = await run(home, ['status', '--check'])
        assert.equal(r.code, 0, r.stdout)
        assert.equal(r.json.ok, true)
        assert.equal(r.json.nodes.length, live.length)
      } finally {
        rmSync(home, {recursive: true, force: true})
      }
    })
  })

  // ---- operations: Ctrl-C during a wait, operation wait / cancel, and exit 5 only when nothing changed

  const agent = (name: string) => {
    const a = agents.find((x) => x.config.name === name)
    return client(name, a ? a.url : imp.url(name))
  }
  const cli = (...args: string[]) => runCli([...args, '--json'], {UCCTL_HOME: homes.live})

  /** A Unity Connection pair of the test's own (a drain changes it), and the CLI in a context naming it. */
  async function drainable(t: TestContext) {
    const pair = await startConnection()
    const home = tempDir()
    t.after(async () => {
      await Promise.all(pair.map((a) => a.dispose()))
      rmSync(home, {recursive: true, force: true})
    })
    writeContext(
      home,
      'cuc',
      pair.map((a) => ({name: a.config.name, url: a.url})),
    )
    const sub = client('cuc-sub', pair[1].url)
    return {home, sub, cli: (...args: string[]) => runCli([...args, '--json'], {UCCTL_HOME: home})}
  }

  /** Starts `cluster deactivate cuc-sub --drain`, waits until its operation runs, then sends SIGINT. */
  async function drainThenCtrlC(home: string, sub: AgentClient): Promise<{code: number | null; stderr: string; json: any; id: string}> {
    const child = spawn(process.execPath, [BIN, 'cluster', 'deactivate', 'cuc-sub', '--drain', '--json'], {
      env: {...process.env, NO_COLOR: '1', UCCTL_HOME: home},
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    let exited = false
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    void closed.then(() => (exited = true))
    const op = await eventually(
      async () => {
        if (exited) throw new Error(`the CLI ended before its drain ran: ${stdout} ${stderr}`)
        return (await sub.call('GET /v1/operations')).operations.find((o) => o.action === 'cluster deactivate' && o.state === 'running')
      },
      20_000,
      'the drain operation',
    )
    child.kill('SIGINT')
    const code = await closed
    return {code, stderr, json: JSON.parse(stdout || '{}'), id: op.id}
  }

  it('UC-8: Ctrl-C during cluster deactivate --drain exits 130 naming the operation; operation wait returns its final state', async (t) => {
    const {home, sub, cli} = await drainable(t)
    // A call long enough for the CLI to start and wait on the drain (it then ends by itself).
    await sub.call('POST /v1/calls', {body: {durationMs: 8000}})
    const r = await drainThenCtrlC(home, sub)
    assert.equal(r.code, 130, r.stderr)
    assert.match(r.stderr, new RegExp(`ucctl operation wait ${r.id}`))
    assert.equal(r.json.error.code, 'Interrupted')
    assert.deepEqual(schemaProblems(r.json), [])
    const w = await cli('operation', 'wait', r.id, '--timeout', '30')
    assert.equal(w.code, 0, w.stdout + w.stderr)
    assert.deepEqual(schemaProblems(w.json), [])
    assert.equal(w.json.state, 'succeeded')
    assert.equal(w.json.status, 'Deactivated')
    const show = await cli('operation', 'show', r.id)
    assert.equal(show.code, 0)
    assert.equal(show.json.state, 'succeeded')
    const list = await cli('operation', 'list')
    assert.equal(list.code, 0)
    assert.deepEqual(schemaProblems(list.json), [])
    assert.ok(list.json.operations.some((o: any) => o.id === r.id && o.node === 'cuc-sub' && o.state === 'succeeded'))
  })

  it('UC-8: a drain that changed the server and then timed out exits 124 (not 5) with the state reached', async (t) => {
    const {sub, cli} = await drainable(t)
    await sub.call('POST /v1/calls', {body: {durationMs: 120_000}})
    const r = await cli('cluster', 'deactivate', 'cuc-sub', '--drain', '--timeout', '1')
    assert.equal(r.code, 124, r.stdout)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.error.code, 'Timeout')
    assert.equal(r.json.error.details.takingCalls, false)
    assert.equal((await sub.call('GET /v1/cluster')).takingCalls, false)
    assert.equal((await cli('cluster', 'take-calls', 'cuc-sub')).code, 0)
  })

  it('UC-8: operation cancel of a drain restores Take Calls', async (t) => {
    const {home, sub, cli} = await drainable(t)
    // A call in progress for longer than the test: the drain waits for it.
    await sub.call('POST /v1/calls', {body: {durationMs: 120_000}})
    const r = await drainThenCtrlC(home, sub)
    assert.equal(r.code, 130, r.stderr)
    assert.equal((await sub.call('GET /v1/cluster')).takingCalls, false)
    const c = await cli('operation', 'cancel', r.id)
    assert.equal(c.code, 0, c.stdout + c.stderr)
    assert.deepEqual(schemaProblems(c.json), [])
    assert.equal(c.json.state, 'cancelled')
    const s = await sub.call('GET /v1/cluster')
    assert.equal(s.takingCalls, true)
    assert.equal(s.status, 'Secondary')
    const again = await cli('operation', 'cancel', r.id)
    assert.equal(again.code, 5, 'a finished operation: nothing to cancel')
  })

  it('exit 5 means nothing changed: every mutating command refused leaves the state as it was', async () => {
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all([
          agent('cuc-pub')
            .call('GET /v1/cluster')
            .then((c) => [c.status, c.takingCalls]),
          agent('ctios-a')
            .call('GET /v1/peripheral')
            .then((p) => [p.configurationParameters, p.loadInEffect, p.pg]),
          agent('imp-pub')
            .call('GET /v1/presence')
            .then((v) => v.status.nodes.map((n) => [n.name, n.state, n.users])),
          agent('cucm-pub')
            .call('GET /v1/partitions')
            .then((p) => [p.active, p.inactive]),
          agent('ctios-a')
            .call('GET /v1/services')
            .then((x) => x.services.map((v) => [v.name, v.state, v.pid])),
        ]),
      )
    const refused: string[][] = [
      ['cluster', 'deactivate', 'cuc-pub', '--yes'], // UC-7: only a Secondary
      ['load', 'set', '1', '--node', 'ctios-a', '--yes'], // LOAD-1/LOAD-4
      ['pcluster', 'fallback', 'imp-pub', '--yes'], // PRG-8: nothing failed over
      ['node', 'switch-version', 'cucm-pub', '--yes'], // UPG-5: empty inactive partition
    ]
    for (const args of refused) {
      const before = await snapshot()
      const r = await cli(...args)
      assert.equal(r.code, 5, `${args.join(' ')}: ${r.stdout}`)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(await snapshot(), before, `${args.join(' ')} changed something`)
    }
    // A running operation that cannot stop safely: cancel refuses (422: exit 5) and it runs to its end.
    const start = await agent('ctios-a').call('POST /v1/services/:name/:action', {params: {name: 'Stubborn', action: 'start'}})
    await eventually(async () =>
      (await agent('ctios-a').call('GET /v1/operations/:id', {params: {id: start.id}})).state === 'succeeded' ? true : undefined,
    )
    const stop = await agent('ctios-a').call('POST /v1/services/:name/:action', {params: {name: 'Stubborn', action: 'stop'}})
    await assert.rejects(
      agent('ctios-a').call('POST /v1/operations/:id/cancel', {params: {id: stop.id}}),
      (e: Error) => e instanceof RefusedError && /cannot stop safely/.test(e.message),
    )
    const w = await cli('operation', 'wait', stop.id)
    assert.equal(w.json.state, 'succeeded')
  })

  it('exit 5 means nothing changed: a refusal after the operation reported a transition is a failure part-way (exit 1)', async () => {
    const dir = tempDir()
    try {
      const ops = new OperationRegistry(dir, 'n1')
      const early = ops.start('a', {}, ['k1'], async () => {
        throw new RefusedError('refused before anything', {rule: 'UC-7'})
      })
      const late = ops.start('b', {}, ['k2'], async (progress) => {
        progress('Stop Taking Calls')
        throw new RefusedError('refused after a change', {rule: 'UC-8'})
      })
      await eventually(() => (ops.get(early.id).state !== 'running' && ops.get(late.id).state !== 'running' ? true : undefined))
      assert.equal(ops.get(early.id).error?.code, 'Refused')
      assert.equal(ops.get(late.id).error?.code, 'Failed')
      assert.equal(ops.get(late.id).error?.rule, 'UC-8')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  // ---- effects before they happen

  it('PRG-2, PRG-3: stopping a critical IM and Presence service asks first, stating the users who fail over; without a terminal it refuses (2)', async () => {
    const r = await cli('service', 'stop', 'Cisco Presence Engine', '--node', 'imp-pub')
    assert.equal(r.code, 2, r.stdout)
    assert.match(r.json.error.message, new RegExp(`its ${USERS / 2} user\\(s\\) fail over to imp-sub .*\\(PRG-2\\)`))
    assert.equal(
      (await agent('imp-pub').call('GET /v1/services/:name', {params: {name: 'Cisco Presence Engine'}})).service.state,
      'Running',
    )
    const d = await cli('service', 'stop', 'Cisco Presence Engine', '--node', 'imp-pub', '--dry-run')
    assert.equal(d.code, 0)
    assert.deepEqual(schemaProblems(d.json), [])
    assert.ok(
      ['SVC-2', 'PRG-2', 'PRG-3'].every((id) => d.json.rules.some((x: string) => x.startsWith(id))),
      d.stdout,
    )
  })

  it('UC-10, UC-12: stopping a critical service of the Primary says the status change', async () => {
    const d = await cli('service', 'cycle', 'Connection DB', '--node', 'cuc-pub', '--dry-run')
    assert.equal(d.code, 0, d.stdout)
    assert.ok(d.json.rules.includes('UC-10') && d.json.rules.includes('UC-12'), d.stdout)
    assert.ok(d.json.changes.some((c: string) => /cuc-pub becomes Secondary and cuc-sub becomes Primary/.test(c)))
    assert.equal((await cli('service', 'stop', 'Connection DB', '--node', 'cuc-pub')).code, 2, 'asks; no terminal: refused')
  })

  it('CTI-3, CTI-6: CtiosServerNode and node restart state the softphone failover and warn agents not to click', async () => {
    const d = await cli('service', 'cycle', 'CtiosServerNode', '--node', 'ctios-a', '--dry-run')
    assert.ok(d.json.rules.includes('CTI-3') && d.json.rules.includes('CTI-6'), d.stdout)
    const r = await cli('node', 'restart', 'ctios-a')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /warning: agents must not click during the failover.*\(CTI-6\)/)
    assert.match(r.json.error.message, /softphone\(s\) of ctios-a are disconnected.*\(CTI-3\)/)
  })

  it('CTI-1, CTI-6: load set restarts the PG: every softphone gets Offline, said first', async () => {
    const d = await cli('load', 'set', '0', '--node', 'ctios-a', '--dry-run')
    assert.equal(d.code, 0, d.stdout)
    assert.ok(d.json.rules.includes('CTI-1') && d.json.rules.includes('CTI-6'), d.stdout)
    const r = await cli('load', 'set', '0', '--node', 'ctios-a')
    assert.equal(r.code, 2)
    assert.match(r.json.error.message, /every one of the \d+ softphone\(s\) gets an "Offline" event.*\(CTI-1\)/)
    assert.equal((await agent('ctios-a').call('GET /v1/peripheral')).configurationParameters, '/PBX ACD1', 'nothing written')
  })
})
