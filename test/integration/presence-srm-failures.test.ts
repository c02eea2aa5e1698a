// The Server Recovery Manager of two real IM and Presence agents: PRG-7 rows 13 to 24 (database
// and critical service failures, lost heartbeats, users that cannot be written, Recover).
import assert from 'node:assert/strict'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {standInServices} from '../../src/lib/agent/config.js'
import {SRM_SERVICE} from '../../src/lib/agent/server-recovery-manager.js'
import {eventually, tempDir} from '../helpers/agents.js'
import {A, act, B, pair, startOp, userProblems, view, waitOp, waitRow} from './presence-lab.js'
import {CONCURRENCY, DB, ENGINE, failedOver, group, rowsSeen, SLOW, urls, users} from './presence-srm-lab.js'

describe('PRG-7: state pairs produced by the SRMs of two real agents', {concurrency: CONCURRENCY}, () => {
  it('PRG-7 rows 13 → 22: database failure (automatic failover at once), then the database of the backup fails (automatic recovery)', async (t) => {
    const dbService = {name: DB, command: ['cat'], argv0: DB, startup: 'Automatic' as const, console: false, critical: true}
    const services = {[A]: [...standInServices('imp'), dbService], [B]: [...standInServices('imp'), dbService]}
    const p = await group(t, {settings: {databaseService: DB}, services})
    await p.agents[A].nodeManager.stop(DB)
    await waitRow(p.url(B), 13)
    await p.agents[A].nodeManager.start(DB)
    // The takeover's user move done too: the next failure starts from a settled row 11.
    await waitRow(p.url(B), 11, 20_000, (v) => v.status.nodes.find((n) => n.name === B)!.users === 15_000)
    await p.agents[B].nodeManager.stop(DB)
    // Row 22 is transient: the users move to imp-pub, then the roles are swapped (row 13).
    await waitRow(p.url(A), 13, 20_000, (v) => v.status.nodes.find((n) => n.name === A)!.state === 'Running in Backup Mode')
    assert.ok((await rowsSeen(p, A)).has(22), 'row 22 was seen')
    assert.deepEqual(await users(p), {[A]: 15_000, [B]: 0})
  })

  it('PRG-7 rows 23 → 12: critical service down on the backup node: automatic recovery to the primary', async (t) => {
    const p = await group(t)
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

  it('PRG-7 row 14: critical services cannot start during the takeback; Recover repairs once they can', async (t) => {
    const flag = join(tempDir(), 'broken')
    const services = {
      [A]: standInServices('imp').map((s) =>
        s.name === ENGINE ? {...s, command: ['sh', '-c', `test -e ${flag} && exit 3; exec cat`]} : s,
      ),
    }
    const p = await group(t, {services})
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

  it('PRG-7 row 15: critical service down on the backup node: both nodes fail', async (t) => {
    const p = await group(t)
    await failedOver(p)
    await p.agents[B].nodeManager.stop(ENGINE)
    await waitRow(p.url(A), 15)
    assert.deepEqual(await pair(p.url(A)), {
      [A]: 'Running in Failed Mode / Critical Service Down',
      [B]: 'Running in Failed Mode / Critical Service Down',
    })
  })

  it('PRG-7 rows 16 → 18: the SRM of node 1 stopped (heartbeat lost), then started again', async (t) => {
    const p = await group(t)
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

  it('PRG-7 rows 17 → 18: node 1 shut down (it announces it), then boots', async (t) => {
    const p = await group(t)
    await p.agents[A].dispose({keepState: true})
    await waitRow(p.url(B), 17)
    assert.deepEqual(await pair(p.url(B)), {[A]: 'down', [B]: 'Running in Backup Mode / Peer Reboot'})
    await p.boot(A)
    await waitRow(p.url(B), 18)
    await waitRow(p.url(A), 18)
    assert.deepEqual(await userProblems(urls(p)), [])
  })

  it('PRG-7 row 19: users cannot be written during the takeover; Recover puts everyone home', async (t) => {
    const p = await group(t, {settings: SLOW})
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

  it('PRG-7 row 20: users cannot be written during the fallback', async (t) => {
    const p = await group(t, {settings: SLOW})
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

  it('PRG-7 row 21: SRM restarted on node 2 while node 1 failed; PRG-8: Recover restarts SRM on both nodes', async (t) => {
    const p = await group(t)
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

  it("PRG-7 row 24: HA enabled while a node's SRM is down: Unknown / Unknown; Recover once both run", async (t) => {
    const p = await group(t)
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
