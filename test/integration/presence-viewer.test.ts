// `ucctl pcluster user` against two real IM and Presence agents (seed 003, presence viewer).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {eventually} from '../helpers/agents.js'
import {schemaProblems} from '../helpers/cli.js'
import {A, B, pairWithCli} from './presence-lab.js'

describe('ucctl pcluster user (end user presence viewer)', () => {
  let t: Awaited<ReturnType<typeof pairWithCli>>
  const cli = (...args: string[]) => t.cli(...args)
  before(async () => {
    t = await pairWithCli()
  })
  after(() => t.dispose())

  it('presence viewer: status, contacts by group counted once, watchers, the assigned node; valid PresenceView', async () => {
    const r = await cli('pcluster', 'user', 'user00002@example.com', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.status, 'Available')
    assert.equal(r.json.contacts.count, 5, 'Team 3 + Project 2 + 1 in no group, one of them in two groups')
    assert.equal(r.json.server.assigned, A)
    assert.equal(r.json.server.signedInTo, A)
    assert.deepEqual(r.json.warnings, [])
  })

  it('presence viewer: a user with more watchers than the maximum gets a warning (stderr and JSON)', async () => {
    const r = await cli('pcluster', 'user', 'user00001@example.com', '--json')
    assert.equal(r.code, 0)
    assert.ok(r.json.watchers.count > 200)
    assert.match(r.stderr, /more than the configured maximum of 200/)
  })

  it('presence viewer: --as a watcher the user blocks shows Unavailable', async () => {
    const blocked = await cli('pcluster', 'user', 'user00008@example.com', '--as', 'user00009@example.com', '--json')
    assert.equal(blocked.json.status, 'Unavailable')
    const other = await cli('pcluster', 'user', 'user00008@example.com', '--as', 'user00010@example.com', '--json')
    assert.equal(other.json.status, 'Do Not Disturb')
  })

  it('presence viewer: a stopped AXL Web Service on the node serving the user makes presence not valid; an unknown user is exit 2', async () => {
    await t.p.agents[B].nodeManager.stop('Cisco AXL Web Service')
    try {
      const r = await cli('pcluster', 'user', `user${String(15_000).padStart(5, '0')}@example.com`, '--json')
      assert.equal(r.json.server.signedInTo, B)
      assert.ok(
        r.json.warnings.some((w: string) => /Cisco AXL Web Service is Stopped on imp-sub/.test(w)),
        r.stdout,
      )
    } finally {
      await t.p.agents[B].nodeManager.start('Cisco AXL Web Service')
    }
    const unknown = await cli('pcluster', 'user', 'nobody@example.com')
    assert.equal(unknown.code, 2)
    await eventually(() => (t.p.agents[B].nodeManager.isRunning('Cisco AXL Web Service') ? true : undefined))
  })
})
