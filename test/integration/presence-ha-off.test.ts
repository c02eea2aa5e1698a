// PRG-9/ADM-9 as they act at run time (SPEC §9) with two real IM and Presence agents whose
// configuration does not say HA is on: HA is off, each node shows its real state, and enabling
// HA restarts SRM on both nodes before they heartbeat as a group.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually} from '../helpers/agents.js'
import {schemaProblems} from '../helpers/cli.js'
import {A, B, type InProcessPair, pair, pairWithCli, view, waitRow} from './presence-lab.js'

const ENGINE = 'Cisco Presence Engine'

describe('HA off until enabled (PRG-9/ADM-9 run time)', {concurrency: false}, () => {
  let t: Awaited<ReturnType<typeof pairWithCli>>
  let p: InProcessPair
  const events = async (n: string) => (await new AgentClient({name: n, url: p.url(n)}).call('GET /v1/events')).events

  before(async () => {
    t = await pairWithCli({haUnset: true})
    p = t.p
    await eventually(async () => ((await pair(p.url(A)))[B] === 'Normal / Normal' ? true : undefined), 20_000, 'both nodes up')
  })
  after(() => t?.dispose())

  it('PRG-9/ADM-9 (run time): with HA off a node whose critical services stop shows Idle, not Normal (not PRG-7 row 1); started again: Normal', async () => {
    const v = await view(p.url(A))
    assert.equal(v.state.haEnabled, false, 'the configuration does not say HA is on: it is off')
    assert.equal(v.status.row, null)
    await p.agents[A].nodeManager.stop(ENGINE)
    await eventually(async () => ((await pair(p.url(A)))[A] === 'Idle / Critical Service Down' ? true : undefined), 5000, 'imp-pub Idle')
    assert.equal((await view(p.url(A))).status.row, null)
    await p.agents[A].nodeManager.start(ENGINE)
    await eventually(async () => ((await pair(p.url(A)))[A] === 'Normal / Normal' ? true : undefined), 5000, 'imp-pub Normal')
  })

  it('PRG-9/ADM-9 (run time): `pcluster ha enable` restarts SRM on both nodes, then they heartbeat as a group (PRG-7 row 1); it says the Sync Agent may remain a single point of failure', async () => {
    const since: Record<string, number> = {[A]: (await events(A)).length, [B]: (await events(B)).length}
    const r = await t.cli('pcluster', 'ha', 'enable', 'prg1', '--yes', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.match(r.json.notes[0], /^ADM-9: .*Cisco Sync Agent may remain a single point of failure/)
    await waitRow(p.url(A), 1)
    for (const n of [A, B]) {
      const restarted = (await events(n))
        .slice(since[n])
        .filter((e) => e.type === 'SRM' && /Initializing \(SRM restarted by SRM/.test(e.message))
      assert.equal(restarted.length, 1, `SRM restarted on ${n}`)
    }
  })
})
