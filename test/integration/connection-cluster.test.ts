// The Unity Connection cluster with real agents and real faults (issue 3): the API and CLI
// contracts against in-process agents, then the whole story against the lab's agents as
// separate OS processes: SIGKILL of the Primary, a critical service stopped, split brain and
// its recovery, deactivation with and without draining, all under a running load of calls and
// voice messages that is counted at the end.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer, type Server} from 'node:http'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {labCredentials} from '../../src/lib/lab/launcher.js'
import {eventually, startConnectionPair, tempDir, type TestAgent} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems, writeContext} from '../helpers/cli.js'
import {freePort} from '../../src/lib/lab/launcher.js'

type Doc = Record<string, any>

describe('Unity Connection cluster: API and CLI contracts (in-process agents)', () => {
  let pub: TestAgent
  let sub: TestAgent
  let home: string
  let env: Record<string, string>
  const api = (a: TestAgent) => new AgentClient({name: a.config.name, url: a.url})
  const status = async (a: TestAgent) => (await api(a).get<Doc>('/v1/cluster')).status as string

  before(async () => {
    const conn = (mac: string, licenseMac: string, ports: number) => ({
      connection: {mac, licenseMac, integration: 'sip-trunk', ports, phoneSystemPorts: 16},
    })
    ;({pub, sub} = await startConnectionPair({
      pub: conn('00:50:56:00:00:01', '00:50:56:00:00:01', 8),
      sub: conn('00:50:56:00:00:02', '00:50:56:00:00:01', 4),
    }))
    home = tempDir()
    writeContext(home, 't', [
      {name: 'cuc-pub', url: pub.url},
      {name: 'cuc-sub', url: sub.url},
    ])
    env = {UCCTL_HOME: home}
    await eventually(
      async () => ((await status(pub)) === 'Primary' && (await status(sub)) === 'Secondary' ? true : undefined),
      20_000,
      'a healthy cluster',
    )
  })
  after(async () => {
    await Promise.all([pub.dispose(), sub.dispose()])
    rmSync(home, {recursive: true, force: true})
  })

  it('UC-2: calls are answered while the status answers calls (201), a bad body is 400, never a 5xx', async () => {
    const r = await api(sub).post<Doc>('/v1/calls', {durationMs: 60_000})
    assert.equal(r.status, 201)
    assert.equal(r.body.node, 'cuc-sub')
    assert.ok(r.body.id && r.body.endsAt)
    for (const bad of [{}, {durationMs: -1}, {durationMs: 10, extra: 1}, {durationMs: 'x'}]) {
      await assert.rejects(api(sub).post('/v1/calls', bad), (e: Error) => e.name === 'UsageError', JSON.stringify(bad))
    }
    await assert.rejects(api(sub).post('/v1/messages', {from: 'a', to: 'b'}), (e: Error) => e.name === 'UsageError')
    assert.equal((await api(sub).get<Doc>('/v1/calls')).callsInProgress, 1)
  })

  it('UC-2: voice messages are stored once by id and replicated to the peer', async () => {
    const m = await api(sub).post<Doc>('/v1/messages', {id: 'contract-1', from: 'alice', to: 'bob', text: 'hello'})
    assert.equal(m.status, 201)
    const again = await api(sub).post<Doc>('/v1/messages', {id: 'contract-1', from: 'alice', to: 'bob', text: 'hello'})
    assert.equal(again.status, 200)
    assert.equal(again.body.duplicate, true)
    await api(pub).post('/v1/messages', {id: 'contract-2', from: 'carol', to: 'dave', text: 'hi'})
    await eventually(
      async () => {
        const [a, b] = [await api(pub).get<Doc>('/v1/messages', {ids: 1}), await api(sub).get<Doc>('/v1/messages', {ids: 1})]
        return a.count === 2 && b.count === 2 && a.digest === b.digest ? true : undefined
      },
      10_000,
      'both messages on both servers',
    )
  })

  it('UC-2: administrative changes are accepted by the Secondary and replicated to the Primary', async () => {
    const r = await api(sub).post<Doc>('/v1/cluster/admin-changes', {id: 'admin-1', object: 'user/bob', change: {extension: '2001'}})
    assert.equal(r.status, 201)
    await eventually(
      async () => ((await api(pub).get<Doc>('/v1/messages', {kind: 'admin'})).count === 1 ? true : undefined),
      10_000,
      'the change on the Primary',
    )
    assert.equal((await api(pub).get<Doc>('/v1/messages')).count, 2, 'admin changes are not voice messages')
  })

  it('UC-7: cluster deactivate of the Primary is refused with exit 5 naming the rule; nothing changes', async () => {
    const r = await runCli(['cluster', 'deactivate', 'cuc-pub', '--json', '--yes'], env)
    assert.equal(r.code, 5, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.error.rule, 'UC-7')
    assert.match(r.json.error.message, /only a Secondary server can be deactivated/)
    assert.equal(await status(pub), 'Primary')
  })

  it('UC-8: deactivating with calls in progress warns and asks; without a terminal and --yes it refuses (exit 2) and changes nothing', async () => {
    const dry = await runCli(['cluster', 'deactivate', 'cuc-sub', '--dry-run', '--json'], env)
    assert.equal(dry.code, 0, dry.stderr)
    assert.deepEqual(schemaProblems(dry.json), [])
    assert.equal(dry.json.kind, 'OperationPlan')
    assert.match(dry.json.warnings[0], /1 call in progress on cuc-sub will be dropped \(UC-8\)/)
    const r = await runCli(['cluster', 'deactivate', 'cuc-sub'], env)
    assert.equal(r.code, 2)
    assert.match(r.stderr, /will be dropped \(UC-8\)/)
    assert.match(r.stderr, /Refusing without a terminal/)
    assert.equal(await status(sub), 'Secondary')
    assert.equal((await api(sub).get<Doc>('/v1/calls')).callsInProgress, 1)
    // The agent itself refuses to drop calls nobody confirmed.
    await assert.rejects(api(sub).post('/v1/cluster/deactivate', {}), (e: any) => e.name === 'RefusedError' && e.rule === 'UC-8')
  })

  it('UC-8: with --yes the Secondary is Deactivated and its calls are dropped; it answers no calls (429 Rejected, UC-2)', async () => {
    const r = await runCli(['cluster', 'deactivate', 'cuc-sub', '--yes', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.kind, 'Operation')
    assert.equal(r.json.state, 'succeeded')
    assert.equal(r.json.status, 'Deactivated')
    const calls = await api(sub).get<Doc>('/v1/calls')
    assert.equal(calls.callsInProgress, 0)
    assert.equal(calls.dropped, 1)
    // The wire contract shared with Unified CM (Code Yellow): 429 {error: {code: 'Rejected', rule}}.
    const res = await fetch(`${sub.url}/v1/calls`, {
      method: 'POST',
      headers: {'content-type': 'application/json', authorization: `Bearer ${AgentClient.credentials.token}`},
      body: JSON.stringify({durationMs: 1000}),
    })
    assert.equal(res.status, 429)
    assert.deepEqual(((await res.json()) as Doc).error.code, 'Rejected')
    await assert.rejects(
      api(sub).post('/v1/messages', {from: 'a', to: 'b', text: 'x'}),
      (e: any) => e.name === 'RefusedError' && e.rule === 'UC-2',
    )
  })

  it('UC-4: cluster activate: Starting, then Secondary; it takes calls again', async () => {
    const r = await runCli(['cluster', 'activate', 'cuc-sub', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.status, 'Secondary')
    assert.ok(r.json.transitions.some((t: Doc) => /Deactivated → Starting/.test(t.message)))
    assert.equal((await api(sub).post('/v1/calls', {durationMs: 1500})).status, 201)
  })

  it('UC-8: deactivate --drain stops taking calls, waits for them to end, then deactivates without dropping any', async () => {
    const r = await runCli(['cluster', 'deactivate', 'cuc-sub', '--drain', '--timeout', '30', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.status, 'Deactivated')
    assert.ok(r.json.transitions.some((t: Doc) => /stops taking calls/.test(t.message)))
    assert.equal((await api(sub).get<Doc>('/v1/calls')).dropped, 1, 'no more drops than before')
    assert.equal((await runCli(['cluster', 'activate', 'cuc-sub'], env)).code, 0)
  })

  it('UC-2: cluster status --json: both servers, statuses, calls, ports, replication, last change; valid ConnectionCluster', async () => {
    const r = await runCli(['cluster', 'status', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    const [p, s] = r.json.servers
    assert.deepEqual([p.name, p.role, p.status, p.answersCalls], ['cuc-pub', 'publisher', 'Primary', true])
    assert.deepEqual([s.name, s.role, s.status, s.answersCalls], ['cuc-sub', 'subscriber', 'Secondary', true])
    assert.equal(s.ports, 4)
    assert.deepEqual(s.lastChange.to, 'Secondary')
    assert.ok(r.json.notes.some((n: string) => n.startsWith('UC-1')))
  })

  it('UC-14: cluster make-primary swaps the statuses; calls in progress are not dropped; --dry-run changes nothing', async () => {
    await api(pub).post('/v1/calls', {durationMs: 30_000})
    const dry = await runCli(['cluster', 'make-primary', 'cuc-sub', '--dry-run', '--json'], env)
    assert.deepEqual(dry.json.changes, [
      'cuc-pub: Primary → Secondary',
      'cuc-sub: Secondary → Primary',
      'cuc-sub: starts its critical services',
    ])
    assert.equal(await status(sub), 'Secondary')
    const r = await runCli(['cluster', 'make-primary', 'cuc-sub', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(await status(sub), 'Primary')
    assert.equal(await status(pub), 'Secondary')
    assert.equal((await api(pub).get<Doc>('/v1/calls')).callsInProgress, 1, 'UC-8: a manual change drops no call')
    const back = await runCli(['cluster', 'make-primary', 'cuc-pub'], env)
    assert.equal(back.code, 0, back.stderr)
    assert.equal(await status(pub), 'Primary')
  })

  it('UC-15: cluster ports check explains each mismatch (exit 3), from flags or from the agents', async () => {
    const ok = await runCli(
      ['cluster', 'ports', 'check', '--integration', 'sccp', '--needed', '16', '--phone-system', '32', '--per-server', '16,16', '--json'],
      env,
    )
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(schemaProblems(ok.json), [])
    const bad = await runCli(['cluster', 'ports', 'check', '--integration', 'sip-trunk', '--needed', '16', '--json'], env)
    assert.equal(bad.code, 3)
    assert.deepEqual(schemaProblems(bad.json), [])
    assert.equal(bad.json.source, 'agents')
    assert.deepEqual(
      bad.json.findings.map((f: Doc) => [f.rule, f.severity, f.node]),
      [['UC-15', 'error', 'cuc-sub']],
    )
    assert.match(bad.json.findings[0].message, /cuc-sub has 4 voice-messaging ports; N\/2 = 8 per server/)
    const usage = await runCli(['cluster', 'ports', 'check', '--integration', 'sip', '--needed', '16', '--per-server', '16'], env)
    assert.equal(usage.code, 2)
  })

  it("UC-16: cluster license check finds the subscriber holding the publisher's license (exit 3)", async () => {
    const r = await runCli(['cluster', 'license', 'check', '--json'], env)
    assert.equal(r.code, 3, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.deepEqual(
      r.json.findings.map((f: Doc) => [f.rule, f.node]),
      [['UC-16', 'cuc-sub']],
    )
    assert.match(r.json.findings[0].message, /\(the MAC of cuc-pub\)/)
  })
})

// ---------------------------------------------------------------------------------------------

describe('Unity Connection cluster: real faults under load (lab agents as OS processes)', () => {
  let home: string
  let env: Record<string, string>
  let gateway: Server
  let gatewayPort: number
  let load: ChildProcess
  let loadOut = ''
  const figures: Record<string, unknown> = {}
  let clients: Record<string, AgentClient>
  const drops: number[] = []

  const cli = (args: string[]) => runCli(args, env)
  const cluster = async (n: string): Promise<Doc | undefined> => {
    try {
      return await clients[n].get<Doc>('/v1/cluster', undefined, 3000)
    } catch {
      return undefined
    }
  }
  const statuses = async () => [(await cluster('cuc-pub'))?.status ?? 'down', (await cluster('cuc-sub'))?.status ?? 'down']
  const until = async (pub: string, sub: string, what: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const s = await statuses()
        return s[0] === pub && s[1] === sub ? s : undefined
      },
      timeoutMs,
      `${what}: cuc-pub ${pub}, cuc-sub ${sub} (now ${(await statuses()).join(', ')})`,
    )
  const events = async (since: string): Promise<Doc[]> => {
    const r = await cli(['events', '--node', 'cuc-pub', '--node', 'cuc-sub', '--since', since, '--limit', '10000', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    return r.json.events
  }
  const dropped = async () =>
    ((await cluster('cuc-pub'))?.counters.callsDropped ?? 0) + ((await cluster('cuc-sub'))?.counters.callsDropped ?? 0)
  const startGateway = () =>
    new Promise<void>((resolve) => {
      gateway = createHttpServer((_req, res) => res.end('{}')).listen(gatewayPort, '127.0.0.1', () => resolve())
    })
  const stopGateway = () =>
    new Promise<void>((resolve) => {
      gateway.close(() => resolve())
      gateway.closeAllConnections()
    })

  before(async () => {
    home = tempDir('ucctl-cuc-')
    env = {UCCTL_HOME: home}
    gatewayPort = await freePort()
    await startGateway()
    const known = `knownServers: [{name: gateway, url: 'http://127.0.0.1:${gatewayPort}'}]`
    const topology = join(home, 'cuc.yaml')
    writeFileSync(
      topology,
      [
        'name: cuc-only',
        'timing: fast',
        'nodes:',
        `  - {name: cuc-pub, product: cuc, role: publisher, version: 9.1.1.10000-1, cluster: cuc1, settings: {connection: {mac: '00:50:56:9a:3c:01', licenseMac: '00:50:56:9a:3c:01', ${known}}}}`,
        `  - {name: cuc-sub, product: cuc, role: subscriber, version: 9.1.1.10000-1, cluster: cuc1, settings: {connection: {mac: '00:50:56:9a:3c:02', licenseMac: '00:50:56:9a:3c:02', ${known}}}}`,
        '',
      ].join('\n'),
    )
    const up = await cli(['lab', 'up', '--topology', topology, '--json'])
    assert.equal(up.code, 0, up.stderr)
    const token = labCredentials(env)!.operator
    clients = Object.fromEntries(
      up.json.nodes.map((n: Doc) => [n.name, new AgentClient({name: n.name, url: n.url}, {token, timeoutMs: 3000})]),
    )
    await until('Primary', 'Secondary', 'a healthy cluster')
    load = spawn(
      process.execPath,
      [
        BIN,
        'lab',
        'load',
        '--node',
        'cuc-pub',
        '--node',
        'cuc-sub',
        '--calls-per-second',
        '4',
        '--call-duration',
        '1.5',
        '--messages-per-second',
        '8',
        '--duration',
        '600',
        '--list-ids',
        '--json',
      ],
      {env: {...process.env, ...env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'inherit']},
    )
    load.stdout!.on('data', (d) => (loadOut += d))
    // The load is flowing once the Primary has answered calls and accepted messages.
    await eventually(
      async () => {
        const c = (await cluster('cuc-pub'))?.counters
        return c && c.callsAnswered > 0 && c.messagesAccepted > 0 ? true : undefined
      },
      20_000,
      `the load to reach the Primary (load: ${loadOut})`,
    )
  })

  after(async () => {
    if (load && load.exitCode === null) load.kill('SIGKILL')
    await cli(['lab', 'down'])
    await stopGateway().catch(() => {})
    rmSync(home, {recursive: true, force: true})
    console.log(`# connection-cluster figures: ${JSON.stringify(figures)}`)
  })

  it("UC-13, UC-6: SIGKILL of the Primary's agent: once the keepalive timeout has passed, the Secondary checks the network and becomes Primary; cluster status gives UC-6's effects", async () => {
    const lab = (await cli(['lab', 'status', '--json'])).json
    const victim = lab.nodes.find((n: Doc) => n.name === 'cuc-pub')
    const before = await dropped()
    const killedAt = Date.now()
    process.kill(victim.pid, 'SIGKILL')
    await until('down', 'Primary', 'the Secondary takes over', 20_000)
    const ev = await events(new Date(killedAt).toISOString())
    const promoted = ev.find((e) => e.node === 'cuc-sub' && e.type === 'ClusterStatus' && /Secondary → Primary/.test(e.message))
    assert.ok(promoted, 'a ClusterStatus event says so')
    figures.sigkillToPrimaryMs = Date.parse(promoted.time) - killedAt
    // UC-5: first the peer is declared lost (after the keepalive timeout), then the takeover starts.
    const lost = ev.findIndex(
      (e) => e.node === 'cuc-sub' && e.data?.rule === 'UC-5' && /no keepalive from cuc-pub for [2-9] s/.test(e.message),
    )
    assert.ok(lost >= 0 && lost < ev.indexOf(promoted), 'declared lost after the timeout, before the takeover')
    const steps = ev.filter((e) => e.node === 'cuc-sub' && e.data?.rule === 'UC-13' && e.data?.step).map((e) => e.data.step)
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8])
    const alarms = ev.filter((e) => e.node === 'cuc-sub' && e.type === 'Alarm').map((e) => e.message)
    assert.ok(alarms.some((m) => m.startsWith('status change starting')) && alarms.some((m) => m.startsWith('status change complete')))
    const st = await cli(['cluster', 'status', '--json'])
    assert.deepEqual(schemaProblems(st.json), [])
    assert.deepEqual(
      st.json.servers.map((s: Doc) => [s.name, s.status, s.reachable]),
      [
        ['cuc-pub', 'Not Functioning', false],
        ['cuc-sub', 'Primary', true],
      ],
    )
    assert.ok(
      st.json.notes.some((n: string) => /^UC-6: .*no LDAP directory sync and no digital-network directory updates/.test(n)),
      st.json.notes.join('\n'),
    )
    assert.equal(await dropped(), before, 'no call dropped by a status change')
  })

  it('UC-4: the returning publisher starts, becomes Secondary and gets the data back; UC-14 makes it Primary again', async () => {
    const up = await cli(['lab', 'up'])
    assert.equal(up.code, 0, up.stderr)
    await until('Secondary', 'Primary', 'the publisher returns as Secondary')
    await eventually(
      async () => {
        const [a, b] = [await clients['cuc-pub'].get<Doc>('/v1/messages'), await clients['cuc-sub'].get<Doc>('/v1/messages')]
        return a.digest === b.digest ? true : undefined
      },
      20_000,
      'both servers hold the same messages',
    )
    const before = await dropped()
    const r = await cli(['cluster', 'make-primary', 'cuc-pub', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.deepEqual(await statuses(), ['Primary', 'Secondary'])
    assert.equal(await dropped(), before, 'UC-8: a manual change drops no call')
  })

  it('UC-10/UC-12: a critical service stopped on the Primary publisher: it becomes Secondary (degraded), the subscriber Primary, steps 1-9', async () => {
    const since = new Date().toISOString()
    const stop = await cli(['service', 'stop', 'Connection Notifier', '--node', 'cuc-pub', '--yes', '--json'])
    assert.equal(stop.code, 0, stop.stderr)
    await until('Secondary', 'Primary', 'UC-10')
    const pub = await cluster('cuc-pub')
    assert.deepEqual(pub!.degraded, ['Connection Notifier'])
    const ev = await eventually(
      async () => {
        const e = await events(since)
        return e.some((x) => x.node === 'cuc-sub' && x.type === 'Alarm' && /status change complete/.test(x.message)) ? e : undefined
      },
      10_000,
      'status change complete',
    )
    const steps = (node: string) => ev.filter((e) => e.node === node && e.data?.rule === 'UC-12' && e.data?.step).map((e) => e.data.step)
    assert.deepEqual(steps('cuc-pub'), [1, 2, 3, 4])
    assert.deepEqual(steps('cuc-sub'), [2, 3, 5, 6, 7, 8, 9])
    assert.equal(ev.filter((e) => e.type === 'Alarm' && /^status change starting/.test(e.message)).length, 2, 'both raise the alarm')
    // Back to normal: the service runs again, then the publisher is made Primary.
    assert.equal((await cli(['service', 'start', 'Connection Notifier', '--node', 'cuc-pub'])).code, 0)
    await eventually(async () => ((await cluster('cuc-pub'))!.degraded.length === 0 ? true : undefined), 10_000, 'no longer degraded')
    assert.equal((await cli(['cluster', 'make-primary', 'cuc-pub'])).code, 0)
    assert.deepEqual(await statuses(), ['Primary', 'Secondary'])
  })

  it('UC-13 (run time): `lab isolate cuc-sub` cuts it off from everything, its known servers too: the isolated Secondary stays Secondary', async () => {
    const since = new Date().toISOString()
    const cut = await cli(['lab', 'isolate', 'cuc-sub', '--json'])
    assert.equal(cut.code, 0)
    assert.deepEqual(schemaProblems(cut.json), [])
    assert.equal(cut.json.cutOff, true)
    const ev = await eventually(
      async () => {
        const e = await events(since)
        return e.some((x) => x.node === 'cuc-sub' && x.data?.rule === 'UC-13' && x.data?.step === 3) ? e : undefined
      },
      20_000,
      'the network check',
    )
    const step3 = ev.find((x) => x.node === 'cuc-sub' && x.data?.step === 3 && x.data?.rule === 'UC-13')!
    assert.match(step3.message, /network not fine \(no answer from gateway\): no status change/)
    assert.equal(step3.type, 'RoleManager', 'no alarm: the remaining steps do not happen')
    // Nothing more happens: the later events that prove time has passed on the isolated node are
    // the next calls of the load it handles; it is still Secondary.
    const handled = async () => {
      const c = (await cluster('cuc-sub'))?.counters
      return c ? c.callsAnswered + c.callsRejected : 0
    }
    const then = await handled()
    await eventually(async () => ((await handled()) >= then + 2 ? true : undefined), 20_000, 'two more calls handled by cuc-sub')
    assert.deepEqual(await statuses(), ['Primary', 'Secondary'])
  })

  it('UC-13 (run time), UC-11: `lab isolate cuc-sub --from cuc-pub` cuts only the pair: its known servers answer, it takes over: split brain, both Primary, both take calls and messages, no replication', async () => {
    assert.equal((await cli(['lab', 'heal', 'cuc-sub'])).code, 0)
    const pair = await cli(['lab', 'isolate', 'cuc-sub', '--from', 'cuc-pub', '--json'])
    assert.equal(pair.code, 0)
    assert.deepEqual([pair.json.isolatedFrom, pair.json.cutOff], [['cuc-pub'], false])
    const before = {pub: (await cluster('cuc-pub'))!.replication.messages, sub: (await cluster('cuc-sub'))!.replication.messages}
    await until('Primary', 'Primary', 'split brain')
    figures.splitStartedAt = new Date().toISOString()
    // Both take calls and messages while split: wait until each has accepted some.
    const [p, s] = await eventually(
      async () => {
        const both = [await cluster('cuc-pub'), await cluster('cuc-sub')]
        return both[0]!.replication.messages > before.pub && both[1]!.replication.messages > before.sub ? both : undefined
      },
      20_000,
      'messages accepted by both while split',
    )
    assert.equal(p!.answersCalls && s!.answersCalls, true)
    assert.equal(p!.replication.allowed || s!.replication.allowed, false, 'no replication while split')
    figures.messagesDuringSplit = {pub: p!.replication.messages - before.pub, sub: s!.replication.messages - before.sub}
    assert.ok(s!.replication.messages > before.sub && p!.replication.messages > before.pub, 'both accepted messages while split')
    const st = await cli(['cluster', 'status', '--json'])
    assert.ok(st.json.notes.some((n: string) => n.startsWith('UC-11')))
  })

  it('UC-11: heal: Split Brain Recovery in the documented order; publisher Primary, subscriber Secondary; UC-9: the API keeps answering', async () => {
    const since = new Date().toISOString()
    const before = await dropped()
    assert.equal((await cli(['lab', 'heal', 'cuc-sub'])).code, 0)
    // UC-9: the administration API answers all along the recovery.
    const seen = new Set<string>()
    await eventually(
      async () => {
        const s = await statuses()
        assert.ok(!s.includes('down'), 'UC-9: both agents answer through the status changes')
        for (const x of s) seen.add(x)
        return s[0] === 'Primary' && s[1] === 'Secondary' && seen.has('Split Brain Recovery') ? true : undefined
      },
      30_000,
      'the end of Split Brain Recovery',
    )
    const ev = await events(since)
    const svc = (node: string, service: string, to: string) =>
      ev.findIndex((e) => e.node === node && e.type === 'ServiceState' && e.service === service && e.data?.to === to)
    for (const service of ['Connection Message Transfer Agent', 'Connection Notifier']) {
      const stops = [svc('cuc-pub', service, 'Stopped'), svc('cuc-sub', service, 'Stopped')]
      const starts = [svc('cuc-pub', service, 'Running'), svc('cuc-sub', service, 'Running')]
      assert.ok(stops.every((i) => i >= 0) && starts.every((i) => i >= 0), `${service} stops and starts on both`)
      assert.ok(Math.max(...stops) < Math.min(...starts), `${service} stops on both before it starts anywhere`)
      assert.ok(starts[0] < starts[1], `${service} starts on the publisher first`)
    }
    const mailboxStart = svc('cuc-pub', 'Connection Mailbox Sync', 'Running')
    const subSecondary = ev.findIndex(
      (e) => e.node === 'cuc-sub' && e.type === 'ClusterStatus' && /Split Brain Recovery → Secondary/.test(e.message),
    )
    assert.ok(subSecondary >= 0 && mailboxStart > subSecondary, 'mailbox sync starts on the Primary last')
    assert.equal(svc('cuc-sub', 'Connection Mailbox Sync', 'Running'), -1, 'not on the Secondary')
    assert.equal(await dropped(), before, 'UC-8: Split Brain Recovery drops no call')
    // Nothing either side took is lost: both hold the same messages.
    await eventually(
      async () => {
        const [a, b] = [await clients['cuc-pub'].get<Doc>('/v1/messages'), await clients['cuc-sub'].get<Doc>('/v1/messages')]
        return a.digest === b.digest ? true : undefined
      },
      20_000,
      'the same messages on both servers',
    )
  })

  it('UC-8: deactivate with calls in progress drops exactly those calls; --drain drops none; activate brings it back', async () => {
    const before = await dropped()
    await eventually(
      async () => ((await cluster('cuc-sub'))!.callsInProgress > 0 ? true : undefined),
      10_000,
      'calls in progress on cuc-sub',
    )
    const since = new Date().toISOString()
    const r = await cli(['cluster', 'deactivate', 'cuc-sub', '--yes', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const ev = await events(since)
    const drop = ev.find((e) => e.node === 'cuc-sub' && e.data?.rule === 'UC-8' && typeof e.data?.dropped === 'number')
    assert.ok(drop && drop.data.dropped > 0, 'the deactivation dropped calls and said so')
    drops.push(drop.data.dropped)
    assert.equal(await dropped(), before + drop.data.dropped)
    assert.equal((await cli(['cluster', 'activate', 'cuc-sub'])).code, 0)
    await until('Primary', 'Secondary', 'activated')
    await eventually(async () => ((await cluster('cuc-sub'))!.callsInProgress > 0 ? true : undefined), 10_000, 'calls again on cuc-sub')
    const drained = await cli(['cluster', 'deactivate', 'cuc-sub', '--drain', '--timeout', '30', '--json'])
    assert.equal(drained.code, 0, drained.stderr)
    assert.equal(drained.json.status, 'Deactivated')
    assert.equal(await dropped(), before + drop.data.dropped, 'draining drops nothing')
    assert.equal((await cli(['cluster', 'activate', 'cuc-sub'])).code, 0)
    await until('Primary', 'Secondary', 'activated again')
  })

  it('the load through all of it: zero messages lost or duplicated; calls dropped only by the deactivation (UC-8)', async () => {
    load.kill('SIGINT')
    await new Promise((resolve) => load.once('exit', resolve))
    const report = JSON.parse(loadOut)
    assert.deepEqual(schemaProblems(report), [])
    assert.equal(report.kind, 'LoadReport')
    assert.ok(report.totals.messagesAccepted > 50, `enough messages to mean something (${report.totals.messagesAccepted})`)
    assert.ok(report.totals.callsRejected > 0, 'calls were rejected while statuses answered none')
    await eventually(
      async () => {
        const [a, b] = [await cluster('cuc-pub'), await cluster('cuc-sub')]
        return a!.replication.pendingToPeer === 0 && b!.replication.pendingToPeer === 0 ? true : undefined
      },
      20_000,
      'replication caught up',
    )
    const [a, b] = [
      await clients['cuc-pub'].get<Doc>('/v1/messages', {ids: 1}),
      await clients['cuc-sub'].get<Doc>('/v1/messages', {ids: 1}),
    ]
    const accepted: string[] = report.nodes.flatMap((n: Doc) => n.messages.acceptedIds)
    const uncertain = new Set<string>(report.nodes.flatMap((n: Doc) => n.messages.unansweredIds))
    for (const server of [a, b]) {
      assert.equal(server.ids.length, new Set(server.ids).size, `${server.node}: no message twice`)
      const have = new Set<string>(server.ids)
      const lost = accepted.filter((id) => !have.has(id))
      assert.deepEqual(lost, [], `${server.node}: every accepted message is there`)
      const unknown = server.ids.filter((id: string) => !accepted.includes(id) && !uncertain.has(id))
      assert.deepEqual(unknown, [], `${server.node}: nothing that was not sent`)
    }
    assert.equal(a.digest, b.digest)
    assert.equal(
      await dropped(),
      drops.reduce((x, y) => x + y, 0),
      'calls dropped only where UC-8 says so',
    )
    figures.load = report.totals
  })
})
