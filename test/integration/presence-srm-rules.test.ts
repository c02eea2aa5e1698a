// The Server Recovery Manager of two real IM and Presence agents: PRG-4, PRG-8, PRG-9, PRG-10.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually} from '../helpers/agents.js'
import {A, act, B, pair, startOp, userProblems, view, waitOp, waitRow} from './presence-lab.js'
import {CONCURRENCY, ENGINE, events, failedOver, group, SLOW, urls, users} from './presence-srm-lab.js'

describe('PRG-4, PRG-8, PRG-9, PRG-10 on real agents', {concurrency: CONCURRENCY}, () => {
  it('PRG-4: a critical service started on an Idle node goes Starting → Running (Started) → Stopped', async (t) => {
    const p = await group(t)
    await failedOver(p)
    const c = new AgentClient({name: A, url: p.url(A)})
    let op = await c.call('POST /v1/services/:name/:action', {params: {name: ENGINE, action: 'start'}})
    while (op.state === 'running')
      op = await c.call('GET /v1/operations/:id', {params: {id: op.id}, query: {wait: 5000, seen: op.transitions.length}})
    assert.equal(op.state, 'failed')
    const states = (await events(p, A)).filter((e) => e.type === 'ServiceState' && e.service === ENGINE).map((e) => e.message)
    const tail = states.slice(-4).map((m) => /→ (\w+)/.exec(m)![1])
    assert.deepEqual(tail, ['Starting', 'Running', 'Stopping', 'Stopped'])
    assert.ok((await events(p, A)).some((e) => /^PRG-4: Cisco Presence Engine started on imp-pub, which is Idle/.test(e.message)))
    assert.equal((await view(p.url(B))).status.row, 3)
  })

  it('PRG-8: an action the state does not allow is refused (422) with the pair and what is allowed, and changes nothing', async (t) => {
    const p = await group(t)
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

  it('PRG-8: two operator actions on one group at once, from either agent: one runs, the other is 409 Busy', async (t) => {
    const p = await group(t, {settings: SLOW})
    const op = await startOp(p.url(B), 'failover', A)
    await assert.rejects(startOp(p.url(A), 'ha-disable'), (e: Error) => e.name === 'ConflictError')
    await assert.rejects(startOp(p.url(B), 'recover'), (e: Error) => e.name === 'ConflictError')
    assert.equal((await waitOp(p.url(B), op)).state, 'succeeded')
    // The leases end with the operation.
    assert.equal((await act(p.url(A), 'fallback', A)).state, 'succeeded')
  })

  it('PRG-9: HA disabled: nodes independent, each in its real state (the Idle node with stopped services is not Normal), users of the failed node stay on the backup; enabled again: users home', async (t) => {
    const p = await group(t)
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

  it('PRG-3: a group action sent to an SRM that does not perform it goes to the one that does', async (t) => {
    const p = await group(t)
    const op = await startOp(p.url(A), 'failover', A)
    assert.equal(op.node, B, "the peer's SRM performs the failover")
    assert.equal((await waitOp(p.url(B), op)).state, 'succeeded')
    const back = await startOp(p.url(B), 'fallback', A)
    assert.equal(back.node, A, 'the node takes its users back')
    assert.equal((await waitOp(p.url(A), back)).state, 'succeeded')
    await waitRow(p.url(B), 1)
  })

  it("PRG-9: HA enabled while a node's critical services are down: that node fails over at once", async (t) => {
    const p = await group(t)
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

  it('SRM heartbeats are what the peers tell each other, not actions: the audit log has the group action and its lease, not the heartbeats', async (t) => {
    // Both SRMs saw row 1 (group() waits for it): they heartbeat, several times a second.
    const p = await group(t)
    assert.equal((await act(p.url(A), 'ha-disable')).state, 'succeeded')
    const audited = async (n: string) =>
      (await new AgentClient({name: n, url: p.url(n)}).call('GET /v1/audit')).records.map((r) => `${r.method} ${r.route}`)
    const both = [...(await audited(A)), ...(await audited(B))]
    assert.ok(both.includes('POST /v1/presence/groups/:group/:action'), 'the operator action')
    assert.ok(both.includes('POST /v1/presence/groups/:group/lease'), "the performer's lease on its peer")
    assert.deepEqual(
      both.filter((r) => r.endsWith('/heartbeat')),
      [],
    )
  })
})
