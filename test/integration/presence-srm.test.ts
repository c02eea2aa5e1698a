// The Server Recovery Manager of two real IM and Presence agents (PRG-2..9): one scenario per
// PRG-7 row that the lab can produce, driven by real faults (stopped processes, an SRM
// restarted, an agent restarted, a user move that cannot be written). Rows 1 to 12 here; rows 13
// to 24 in presence-srm-failures.test.ts, PRG-4, 8, 9, 10 in presence-srm-rules.test.ts.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {SRM_SERVICE} from '../../src/lib/agent/server-recovery-manager.js'
import {eventually} from '../helpers/agents.js'
import {A, B, pair, startOp, userProblems, view, waitOp, waitRow} from './presence-lab.js'
import {CONCURRENCY, ENGINE, events, failedOver, group, rowsSeen, SLOW, urls, users} from './presence-srm-lab.js'

describe('PRG-7: state pairs produced by the SRMs of two real agents', {concurrency: CONCURRENCY}, () => {
  it('PRG-7 row 1: both nodes Normal / Normal, half of the 15,000 users on each', async (t) => {
    const p = await group(t)
    assert.deepEqual(await pair(p.url(A)), {[A]: 'Normal / Normal', [B]: 'Normal / Normal'})
    assert.deepEqual(await pair(p.url(B)), {[A]: 'Normal / Normal', [B]: 'Normal / Normal'})
    assert.deepEqual(await users(p), {[A]: 7500, [B]: 7500})
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 rows 2, 3: manual failover in progress, then done; PRG-3: performed by the peer, users moved with progress', async (t) => {
    const p = await group(t, {settings: SLOW})
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

  it('PRG-7 row 4: manual fallback in progress, then both Normal with every user home', async (t) => {
    const p = await group(t, {settings: SLOW})
    await failedOver(p)
    const op = await startOp(p.url(A), 'fallback', A)
    await waitRow(p.url(A), 4)
    assert.equal((await waitOp(p.url(A), op)).state, 'succeeded')
    await waitRow(p.url(B), 1)
    assert.deepEqual(await users(p), {[A]: 7500, [B]: 7500})
    assert.equal(p.agents[A].nodeManager.status(ENGINE).state, 'Running')
  })

  it('PRG-7 row 5: SRM restarted on node 1 while Idle', async (t) => {
    const p = await group(t)
    await failedOver(p)
    await p.agents[A].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(B), 5)
    assert.deepEqual(await pair(p.url(B)), {[A]: 'Idle / Initialization', [B]: 'Running in Backup Mode / By Admin Request'})
  })

  it('PRG-7 row 6: both agents restarted during a manual failover', async (t) => {
    const p = await group(t)
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

  it('PRG-7 row 7: SRM restarted on node 2 in backup mode', async (t) => {
    const p = await group(t)
    await failedOver(p)
    await p.agents[B].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(A), 7)
  })

  it('PRG-7 rows 8 → 7: SRM restarted on node 2 during the takeover; the takeover completes', async (t) => {
    const p = await group(t, {settings: SLOW})
    const op = await startOp(p.url(B), 'failover', A)
    await waitRow(p.url(B), 2)
    await p.agents[B].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(A), 8, 20_000)
    assert.equal((await waitOp(p.url(B), op)).state, 'succeeded')
    await waitRow(p.url(A), 7)
    assert.deepEqual(await users(p), {[A]: 0, [B]: 15_000})
  })

  it('PRG-7 rows 9 → 1: SRM restarted on node 1 during the takeback; both end Normal', async (t) => {
    const p = await group(t, {settings: SLOW})
    await failedOver(p)
    const op = await startOp(p.url(A), 'fallback', A)
    await waitRow(p.url(A), 4)
    await p.agents[A].nodeManager.cycle(SRM_SERVICE)
    await waitRow(p.url(B), 9)
    assert.equal((await waitOp(p.url(A), op)).state, 'succeeded')
    await waitRow(p.url(B), 1)
    assert.deepEqual(await users(p), {[A]: 7500, [B]: 7500})
  })

  it('PRG-7 rows 12 → 11 → 10 → 1: automatic failover on a critical service down, services back, automatic fallback (PRG-2)', async (t) => {
    const p = await group(t, {settings: {autoFallback: true}})
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

  it('PRG-3: a critical service killed and restarted by NodeManager within the delay does not fail the node over', async (t) => {
    const p = await group(t)
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
})
