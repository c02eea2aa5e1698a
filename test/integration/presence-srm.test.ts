// The Server Recovery Manager of two real IM and Presence agents (PRG-2..9): one scenario per
// PRG-7 row that the lab can produce, driven by real faults (stopped processes, an SRM
// restarted, an agent restarted, a user move that cannot be written).
import assert from 'node:assert/strict'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, it} from 'node:test'
import {standInServices} from '../../src/lib/agent/config.js'
import {SRM_SERVICE} from '../../src/lib/agent/server-recovery-manager.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually, tempDir} from '../helpers/agents.js'
import {A, act, B, InProcessPair, pair, startOp, userProblems, view, waitOp, waitRow} from './presence-lab.js'

type Pair = InProcessPair

const ENGINE = 'Cisco Presence Engine'
const DB = 'Cisco IM and Presence Database'
const SLOW = {moveBatchSize: 250, moveBatchPauseMs: 40}

let current: Pair | undefined
async function group(opts: ConstructorParameters<typeof InProcessPair>[0] = {}): Promise<Pair> {
  current = await new InProcessPair(opts).start()
  return current
}
afterEach(async () => {
  await current?.dispose()
  current = undefined
})

const urls = (p: Pair) => ({[A]: p.url(A), [B]: p.url(B)})
const users = async (p: Pair, from = A) => Object.fromEntries((await view(p.url(from))).status.nodes.map((n) => [n.name, n.users]))
const events = async (p: Pair, n: string) =>
  (await new AgentClient({name: n, url: p.url(n)}).get<{events: {type: string; message: string; service?: string}[]}>('/v1/events')).events
const rowsSeen = async (p: Pair, n: string) =>
  new Set((await events(p, n)).filter((e) => e.type === 'PresenceState').map((e) => Number(/row (\d+)\)$/.exec(e.message)?.[1])))

async function failedOver(p: Pair): Promise<void> {
  const op = await act(p.url(B), 'failover', A)
  assert.equal(op.state, 'succeeded', JSON.stringify(op.error))
  await waitRow(p.url(A), 3)
}

describe('PRG-7: state pairs produced by the SRMs of two real agents', {concurrency: false}, () => {
  it('PRG-7 row 1: both nodes Normal / Normal, half of the 15,000 users on each', async () => {
    const p = await group()
    assert.deepEqual(await pair(p.url(A)), {[A]: 'Normal / Normal', [B]: 'Normal / Normal'})
    assert.deepEqual(await pair(p.url(B)), {[A]: 'Normal / Normal', [B]: 'Normal / Normal'})
    assert.deepEqual(await users(p), {[A]: 7500, [B]: 7500})
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 rows 2, 3: manual failover in progress, then done; PRG-3: performed by the peer, users moved with progress', async () => {
    const p = await group({settings: SLOW})
    const op = await startOp(p.url(B), 'failover', A)
    const during = await waitRow(p.url(A), 2)
    assert.equal(during.status.nodes.find((n) => n.name === A)!.state, 'Failing Over')
    const done = await waitOp(p.url(B), op)
    assert.equal(done.state, 'succeeded')
    assert.ok(
      done.transitions.some((t) => /users moved 7500\/7500 \(imp-pub → imp-sub\)/.test(t.message)),
      'progress n/N',
    )
    assert.ok(done.transitions.some((t) => /users moved 250\/7500/.test(t.message)))
    await waitRow(p.url(A), 3)
    assert.deepEqual(await pair(p.url(A)), {[A]: 'Idle / By Admin Request', [B]: 'Running in Backup Mode / By Admin Request'})
    assert.deepEqual(await users(p), {[A]: 0, [B]: 15_000})
    // PRG-8: the failed node's critical services are stopped for real.
    const engine = p.agents[A].nodeManager.status(ENGINE)
    assert.equal(engine.state, 'Stopped')
    assert.ok((await events(p, B)).some((e) => e.type === 'PresenceUsers' && /by the SRM of imp-sub/.test(e.message)))
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 row 4: manual fallback in progress, then both Normal with every user home', async () => {
    const p = await group({settings: SLOW})
    await failedOver(p)
    const op = await startOp(p.url(A), 'fallback', A)
    await waitRow(p.url(A), 4)
    assert.equal((await waitOp(p.url(A), op)).state, 'succeeded')
    await waitRow(p.url(B), 1)
    assert.deepEqual(await users(p), {[A]: 7500, [B]: 7500})
    assert.equal(p.agents[A].nodeManager.status(ENGINE).state, 'Running')
  })

  it('PRG-7 row 5: SRM restarted on node 1 while Idle', async () => {
    const p = await group()
    await failedOver(p)
    await p.agents[A].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(B), 5)
    assert.deepEqual(await pair(p.url(B)), {[A]: 'Idle / Initialization', [B]: 'Running in Backup Mode / By Admin Request'})
  })

  it('PRG-7 row 6: both agents restarted during a manual failover', async () => {
    const p = await group()
    await failedOver(p)
    await Promise.all([p.restart(A), p.restart(B)])
    await waitRow(p.url(A), 6)
    await waitRow(p.url(B), 6)
    assert.deepEqual(await pair(p.url(B)), {[A]: 'Idle / Initialization', [B]: 'Running in Backup Mode / Initialization'})
    assert.deepEqual(await users(p), {[A]: 0, [B]: 15_000})
    assert.equal(
      p.agents[A].nodeManager.status(ENGINE).state,
      'Stopped',
      'an Idle node stays without its critical services after a restart',
    )
  })

  it('PRG-7 row 7: SRM restarted on node 2 in backup mode', async () => {
    const p = await group()
    await failedOver(p)
    await p.agents[B].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(A), 7)
  })

  it('PRG-7 rows 8 → 7: SRM restarted on node 2 during the takeover; the takeover completes', async () => {
    const p = await group({settings: SLOW})
    const op = await startOp(p.url(B), 'failover', A)
    await waitRow(p.url(B), 2)
    await p.agents[B].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(A), 8, 20_000)
    assert.equal((await waitOp(p.url(B), op)).state, 'succeeded')
    await waitRow(p.url(A), 7)
    assert.deepEqual(await users(p), {[A]: 0, [B]: 15_000})
  })

  it('PRG-7 rows 9 → 1: SRM restarted on node 1 during the takeback; both end Normal', async () => {
    const p = await group({settings: SLOW})
    await failedOver(p)
    const op = await startOp(p.url(A), 'fallback', A)
    await waitRow(p.url(A), 4)
    await p.agents[A].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(B), 9)
    assert.equal((await waitOp(p.url(A), op)).state, 'succeeded')
    await waitRow(p.url(B), 1)
    assert.deepEqual(await users(p), {[A]: 7500, [B]: 7500})
  })

  it('PRG-7 rows 12 → 11 → 10 → 1: automatic failover on a critical service down, services back, automatic fallback (PRG-2)', async () => {
    const p = await group({settings: {autoFallback: true}})
    await p.agents[A].nodeManager.stop(ENGINE)
    await waitRow(p.url(B), 12)
    assert.deepEqual(await pair(p.url(B)), {
      [A]: 'Failed Over with Critical Services Not Running / Critical Service Down',
      [B]: 'Running in Backup Mode / Critical Service Down',
    })
    await eventually(async () => ((await users(p))[B] === 15_000 ? true : undefined), 10_000, 'users on the backup')
    await p.agents[A].nodeManager.start(ENGINE)
    await waitRow(p.url(B), 11)
    await waitRow(p.url(B), 1, 30_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    assert.ok((await rowsSeen(p, B)).has(10) || (await rowsSeen(p, A)).has(10), 'the automatic fallback (row 10) was seen')
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-3: a critical service killed and restarted by NodeManager within the delay does not fail the node over', async () => {
    const p = await group()
    const a = p.agents[A]
    const killedAfter = a.events.lastSeq()
    const pid = a.nodeManager.status(ENGINE).pid!
    process.kill(pid, 'SIGKILL')
    await eventually(() => (a.nodeManager.status(ENGINE).pid !== pid && a.nodeManager.isRunning(ENGINE) ? true : undefined))
    // The later event that proves the kill armed nothing: the same service stopped for good fails
    // the node over, and SRM reports that stop as a new critical service down first. Had the kill
    // left a failover pending, SRM would still count the services down: no new report, and the
    // failover would come from the kill.
    assert.equal((await view(p.url(B))).status.row, 1)
    const stoppedAfter = a.events.lastSeq()
    await a.nodeManager.stop(ENGINE)
    await waitRow(p.url(B), 12)
    const seen = a.events.list({afterSeq: killedAfter})
    const report = seen.findIndex((e) => e.seq > stoppedAfter && e.type === 'SRM' && /critical service down/.test(e.message))
    assert.ok(report >= 0, 'SRM reported the stop as a critical service down')
    const rows = seen.slice(0, report).flatMap((e) => (e.type === 'PresenceState' ? (/row (\d+)\)$/.exec(e.message)?.slice(1) ?? []) : []))
    assert.deepEqual(
      rows.filter((r) => r !== '1'),
      [],
      'no failover before the stop',
    )
  })

  it('PRG-7 rows 13 → 22: database failure (automatic failover at once), then the database of the backup fails (automatic recovery)', async () => {
    const dbService = {name: DB, command: ['cat'], argv0: DB, startup: 'Automatic' as const, console: false, critical: true}
    const services = {[A]: [...standInServices('imp'), dbService], [B]: [...standInServices('imp'), dbService]}
    const p = await group({settings: {databaseService: DB}, services})
    await p.agents[A].nodeManager.stop(DB)
    await waitRow(p.url(B), 13)
    await p.agents[A].nodeManager.start(DB)
    await waitRow(p.url(B), 11)
    await p.agents[B].nodeManager.stop(DB)
    // Row 22 is transient: the users move to imp-pub, then the roles are swapped (row 13).
    await waitRow(p.url(A), 13, 20_000, (v) => v.status.nodes.find((n) => n.name === A)!.state === 'Running in Backup Mode')
    assert.ok((await rowsSeen(p, A)).has(22), 'row 22 was seen')
    assert.deepEqual(await users(p), {[A]: 15_000, [B]: 0})
  })

  it('PRG-7 rows 23 → 12: critical service down on the backup node: automatic recovery to the primary', async () => {
    const p = await group()
    await p.agents[A].nodeManager.stop(ENGINE)
    await waitRow(p.url(B), 12)
    await p.agents[A].nodeManager.start(ENGINE)
    await waitRow(p.url(B), 11)
    await p.agents[B].nodeManager.stop('Cisco XCP Router')
    await waitRow(p.url(A), 12, 20_000, (v) => v.status.nodes.find((n) => n.name === B)!.state !== 'Running in Backup Mode')
    assert.ok((await rowsSeen(p, A)).has(23), 'row 23 was seen')
    assert.deepEqual(await pair(p.url(A)), {
      [A]: 'Running in Backup Mode / Critical Service Down',
      [B]: 'Failed Over with Critical Services Not Running / Critical Service Down',
    })
    assert.deepEqual(await users(p), {[A]: 15_000, [B]: 0})
  })

  it('PRG-7 row 14: critical services cannot start during the takeback; Recover repairs once they can', async () => {
    const flag = join(tempDir(), 'broken')
    const services = {
      [A]: standInServices('imp').map((s) =>
        s.name === ENGINE ? {...s, command: ['sh', '-c', `test -e ${flag} && exit 3; exec cat`]} : s,
      ),
    }
    const p = await group({services})
    await failedOver(p)
    writeFileSync(flag, '')
    const op = await act(p.url(A), 'fallback', A)
    assert.equal(op.state, 'succeeded', 'the fallback operation ran; its outcome is the state pair')
    await waitRow(p.url(B), 14)
    assert.deepEqual(await pair(p.url(B)), {
      [A]: 'Running in Failed Mode / Start of Critical Services Failed',
      [B]: 'Running in Failed Mode / Start of Critical Services Failed',
    })
    rmSync(flag)
    assert.equal((await act(p.url(A), 'recover')).state, 'succeeded')
    await waitRow(p.url(B), 1, 20_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 row 15: critical service down on the backup node: both nodes fail', async () => {
    const p = await group()
    await failedOver(p)
    await p.agents[B].nodeManager.stop(ENGINE)
    await waitRow(p.url(A), 15)
    assert.deepEqual(await pair(p.url(A)), {
      [A]: 'Running in Failed Mode / Critical Service Down',
      [B]: 'Running in Failed Mode / Critical Service Down',
    })
  })

  it('PRG-7 rows 16 → 18: the SRM of node 1 stopped (heartbeat lost), then started again', async () => {
    const p = await group()
    await p.agents[A].nodeManager.stop(SRM_SERVICE)
    await waitRow(p.url(B), 16)
    assert.deepEqual(await pair(p.url(B)), {[A]: 'down', [B]: 'Running in Backup Mode / Peer Down'})
    await eventually(async () => ((await users(p, B))[B] === 15_000 ? true : undefined), 10_000, 'users on the backup')
    await p.agents[A].nodeManager.start(SRM_SERVICE)
    await waitRow(p.url(B), 18)
    assert.deepEqual(await pair(p.url(B)), {
      [A]: 'Failed Over / Initialization',
      [B]: 'Running in Backup Mode / Peer Down During Initialization',
    })
    assert.equal((await act(p.url(A), 'fallback', A)).state, 'succeeded')
    await waitRow(p.url(B), 1, 20_000, (v) => v.status.nodes.every((n) => n.users === 7500))
  })

  it('PRG-7 rows 17 → 18: node 1 shut down (it announces it), then boots', async () => {
    const p = await group()
    await p.agents[A].dispose({keepState: true})
    await waitRow(p.url(B), 17)
    assert.deepEqual(await pair(p.url(B)), {[A]: 'down', [B]: 'Running in Backup Mode / Peer Reboot'})
    await p.boot(A)
    await waitRow(p.url(B), 18)
    await waitRow(p.url(A), 18)
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 row 19: users cannot be written during the takeover; Recover puts everyone home', async () => {
    const p = await group({settings: SLOW})
    const op = await startOp(p.url(B), 'failover', A)
    await waitRow(p.url(B), 2)
    // A real I/O failure: the durable write of the next batch cannot create its file.
    const blocker = join(p.dirs[B], 'presence', `users.json.${process.pid}.tmp`)
    mkdirSync(blocker)
    try {
      await waitOp(p.url(B), op)
      await waitRow(p.url(A), 19)
    } finally {
      rmSync(blocker, {recursive: true})
    }
    assert.deepEqual(await userProblems(urls(p)), [])
    assert.equal((await act(p.url(A), 'recover')).state, 'succeeded')
    await waitRow(p.url(B), 1, 20_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 row 20: users cannot be written during the fallback', async () => {
    const p = await group({settings: SLOW})
    await failedOver(p)
    const op = await startOp(p.url(A), 'fallback', A)
    await waitRow(p.url(A), 4)
    const blocker = join(p.dirs[A], 'presence', `users.json.${process.pid}.tmp`)
    mkdirSync(blocker)
    try {
      await waitOp(p.url(A), op)
      await waitRow(p.url(B), 20)
    } finally {
      rmSync(blocker, {recursive: true})
    }
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 row 21: SRM restarted on node 2 while node 1 failed; PRG-8: Recover restarts SRM on both nodes', async () => {
    const p = await group()
    await p.agents[A].nodeManager.stop(ENGINE)
    await waitRow(p.url(B), 12)
    await p.agents[B].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(A), 21)
    const srmPid = p.agents[B].nodeManager.status(SRM_SERVICE).pid
    const op = await act(p.url(A), 'recover')
    assert.equal(op.state, 'succeeded', JSON.stringify(op.error))
    await waitRow(p.url(B), 1, 20_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    assert.equal(p.agents[A].nodeManager.status(ENGINE).state, 'Running', 'Recover started the critical services')
    await eventually(
      () => (p.agents[B].nodeManager.status(SRM_SERVICE).pid !== srmPid ? true : undefined),
      5000,
      'SRM restarted on imp-sub',
    )
  })

  it("PRG-7 row 24: HA enabled while a node's SRM is down: Unknown / Unknown; Recover once both run", async () => {
    const p = await group()
    assert.equal((await act(p.url(A), 'ha-disable')).state, 'succeeded')
    await p.agents[B].nodeManager.stop(SRM_SERVICE)
    await eventually(
      async () => ((await view(p.url(A))).state.nodes.find((n) => n.name === B)!.up ? undefined : true),
      10_000,
      'imp-sub seen down',
    )
    assert.equal((await act(p.url(A), 'ha-enable')).state, 'succeeded')
    await waitRow(p.url(A), 24)
    await p.agents[B].nodeManager.start(SRM_SERVICE)
    await eventually(async () => ((await view(p.url(A))).state.nodes.every((n) => n.up) ? true : undefined), 10_000, 'imp-sub up again')
    assert.equal((await view(p.url(A))).status.row, 24, 'a recorded Unknown stays until Recover')
    assert.equal((await act(p.url(A), 'recover')).state, 'succeeded')
    await waitRow(p.url(B), 1)
  })
})

describe('PRG-4, PRG-8, PRG-9, PRG-10 on real agents', {concurrency: false}, () => {
  it('PRG-4: a critical service started on an Idle node goes Starting → Running (Started) → Stopped', async () => {
    const p = await group()
    await failedOver(p)
    const c = new AgentClient({name: A, url: p.url(A)})
    const {body} = await c.post<{id: string; state: string; transitions: {message: string}[]}>(
      `/v1/services/${encodeURIComponent(ENGINE)}/start`,
    )
    let op = body
    while (op.state === 'running') op = await c.get(`/v1/operations/${op.id}`, {wait: 5000, seen: op.transitions.length})
    assert.equal(op.state, 'failed')
    const states = (await events(p, A)).filter((e) => e.type === 'ServiceState' && e.service === ENGINE).map((e) => e.message)
    const tail = states.slice(-4).map((m) => /→ (\w+)/.exec(m)![1])
    assert.deepEqual(tail, ['Starting', 'Running', 'Stopping', 'Stopped'])
    assert.ok((await events(p, A)).some((e) => /^PRG-4: Cisco Presence Engine started on imp-pub, which is Idle/.test(e.message)))
    assert.equal((await view(p.url(B))).status.row, 3)
  })

  it('PRG-8: an action the state does not allow is refused (422) with the pair and what is allowed, and changes nothing', async () => {
    const p = await group()
    const before = await view(p.url(A))
    await assert.rejects(act(p.url(A), 'fallback', A), (e: Error & {rule?: string; hint?: string}) => {
      assert.equal(e.name, 'RefusedError')
      assert.equal(e.rule, 'PRG-8')
      assert.match(e.message, /Normal \/ Normal.*row 1/)
      assert.match(e.hint!, /failover imp-pub, failover imp-sub, ha disable/)
      return true
    })
    assert.equal((await view(p.url(A))).version, before.version)
  })

  it('PRG-8: two operator actions on one group at once, from either agent: one runs, the other is 409 Busy', async () => {
    const p = await group({settings: SLOW})
    const op = await startOp(p.url(B), 'failover', A)
    await assert.rejects(startOp(p.url(A), 'ha-disable'), (e: Error) => e.name === 'ConflictError')
    await assert.rejects(startOp(p.url(B), 'recover'), (e: Error) => e.name === 'ConflictError')
    assert.equal((await waitOp(p.url(B), op)).state, 'succeeded')
    // The leases end with the operation.
    assert.equal((await act(p.url(A), 'fallback', A)).state, 'succeeded')
  })

  it('PRG-9: HA disabled: nodes independent, each in its real state (the Idle node with stopped services is not Normal), users of the failed node stay on the backup; enabled again: users home', async () => {
    const p = await group()
    await failedOver(p)
    assert.equal((await act(p.url(B), 'ha-disable')).state, 'succeeded')
    const v = await view(p.url(B))
    assert.equal(v.state.haEnabled, false)
    assert.deepEqual(
      v.status.nodes.map((n) => [n.name, n.state, n.users, n.assignedUsers]),
      [
        [A, 'Idle', 0, 0],
        [B, 'Normal', 15_000, 15_000],
      ],
    )
    assert.equal(v.status.row, null)
    await eventually(
      async () => ((await view(p.url(A))).status.nodes[1].assignedUsers === 15_000 ? true : undefined),
      5000,
      'imp-pub holds the new assignment',
    )
    // PRG-10: rebalance spreads them again, once imp-pub's critical services run (SRM stopped them at the failover).
    await assert.rejects(act(p.url(A), 'rebalance'), (e: Error & {rule?: string}) => e.rule === 'PRG-10')
    await Promise.all(
      p.agents[A].nodeManager
        .list()
        .filter((s) => s.critical)
        .map((s) => p.agents[A].nodeManager.start(s.name)),
    )
    await eventually(
      async () => ((await view(p.url(A))).state.nodes[0].criticalServicesRunning ? true : undefined),
      5000,
      'imp-pub services back',
    )
    assert.deepEqual(await pair(p.url(A)), {[A]: 'Normal / Normal', [B]: 'Normal / Normal'}, 'its services back, its real state is Normal')
    assert.equal((await act(p.url(A), 'rebalance')).state, 'succeeded')
    await eventually(async () => ((await users(p))[A] === 7500 ? true : undefined), 10_000, 'rebalanced')
    assert.equal((await act(p.url(A), 'ha-enable')).state, 'succeeded')
    await waitRow(p.url(B), 1)
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it("PRG-9: HA enabled while a node's critical services are down: that node fails over at once", async () => {
    const p = await group()
    assert.equal((await act(p.url(A), 'ha-disable')).state, 'succeeded')
    await p.agents[B].nodeManager.stop(ENGINE)
    await eventually(
      async () => ((await view(p.url(A))).state.nodes.find((n) => n.name === B)!.criticalServicesRunning === false ? true : undefined),
      5000,
    )
    assert.equal((await act(p.url(A), 'ha-enable')).state, 'succeeded')
    await waitRow(p.url(A), 12)
    assert.deepEqual(await pair(p.url(A)), {
      [A]: 'Running in Backup Mode / Critical Service Down',
      [B]: 'Failed Over with Critical Services Not Running / Critical Service Down',
    })
  })
})
