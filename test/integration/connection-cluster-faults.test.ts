// The Unity Connection cluster with real faults (issue 3), against the lab's agents as separate
// OS processes: SIGKILL of the Primary, a critical service stopped, split brain and its recovery,
// deactivation with and without draining, all under a running load of calls and voice messages
// that is counted at the end. (The API and CLI contracts: connection-cluster.test.ts.)
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer, type Server} from 'node:http'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {labCredentials} from '../../src/lib/lab/launcher.js'
import {eventually, tempDir} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems} from '../helpers/cli.js'
import {freePort} from '../../src/lib/lab/launcher.js'

type Doc = Record<string, any>

/** The agent's answer as it is: these tests read the HTTP API itself. */
const get = async (c: AgentClient, path: string, query?: Record<string, string | number>, timeoutMs?: number): Promise<Doc> =>
  (await c.raw('GET', path, {query, timeoutMs})).body as Doc

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
      return await get(clients[n], '/v1/cluster', undefined, 3000)
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
  /**
   * Waits for an event of `node` through its API (a poll, no process started), and then reads the
   * events of both through the CLI once.
   */
  const eventsOnceSeen = async (node: string, since: string, match: (e: Doc) => boolean, what: string, timeoutMs: number) => {
    await eventually(
      async () => ((await get(clients[node], '/v1/events', {since, limit: 10_000})).events.some(match) ? true : undefined),
      timeoutMs,
      what,
    )
    return events(since)
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
        const [a, b] = [await get(clients['cuc-pub'], '/v1/messages'), await get(clients['cuc-sub'], '/v1/messages')]
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
    const ev = await eventsOnceSeen(
      'cuc-sub',
      since,
      (x) => x.type === 'Alarm' && /status change complete/.test(x.message),
      'status change complete',
      10_000,
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
    const ev = await eventsOnceSeen('cuc-sub', since, (x) => x.data?.rule === 'UC-13' && x.data?.step === 3, 'the network check', 20_000)
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
    // The split is complete once each server has declared its peer lost (its keepalive timeout,
    // UC-5); both take calls and messages meanwhile: wait until each has accepted some.
    const [p, s] = await eventually(
      async () => {
        const both = [await cluster('cuc-pub'), await cluster('cuc-sub')]
        const lost = both.every((c) => c?.peer.lost === true)
        return lost && both[0]!.replication.messages > before.pub && both[1]!.replication.messages > before.sub ? both : undefined
      },
      20_000,
      'both servers to have lost their peer and accepted messages while split',
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
        const [a, b] = [await get(clients['cuc-pub'], '/v1/messages'), await get(clients['cuc-sub'], '/v1/messages')]
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
    const [a, b] = [await get(clients['cuc-pub'], '/v1/messages', {ids: 1}), await get(clients['cuc-sub'], '/v1/messages', {ids: 1})]
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
