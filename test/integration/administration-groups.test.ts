// Presence redundancy group configuration and assignment by hand (ADM-8), and the Sync Agent
// without its publisher (ADM-9), against real agents (./administration-lab.ts).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually} from '../helpers/agents.js'
import {adminLabFor, ok} from './administration-lab.js'

describe('administration: presence redundancy groups in the configuration database (seed 003)', {concurrency: 2}, () => {
  it('ADM-8, PRG-1, PRG-3: presence redundancy groups within PRG-1, SRM parameters only before HA is enabled; users assigned by hand', async (t) => {
    const lab = await adminLabFor(t)
    const {cli} = lab
    const refused = await cli('pcluster', 'group', 'add', 'prg2', '--node', 'imp-pub', '--json')
    assert.equal(refused.code, 5)
    assert.equal(refused.json.error.rule, 'PRG-1')
    assert.match(refused.json.error.message, /imp-pub is in 2 groups/)
    assert.equal((await cli('pcluster', 'group', 'add', 'prg2', '--node', 'cucm-sub')).code, 2)
    assert.equal((await cli('pcluster', 'group', 'add', 'prg2', '--node', 'nope')).code, 2)
    const range = await cli('pcluster', 'group', 'set', 'prg1', '--keepalive-interval', '1', '--json')
    assert.equal(range.code, 2)
    assert.equal(range.json.error.rule, 'PRG-3')

    const ha = (await new AgentClient({name: 'imp-pub', url: lab.url('imp-pub')}).call('GET /v1/presence')).status.haEnabled
    if (ha) {
      const on = await cli('pcluster', 'group', 'set', 'prg1', '--automatic-fallback', '--json')
      assert.equal(on.code, 5)
      assert.equal(on.json.error.rule, 'ADM-8')
      ok(await cli('pcluster', 'ha', 'disable', 'prg1', '--yes'))
    }
    const set = ok(
      await cli('pcluster', 'group', 'set', 'prg1', '--automatic-fallback', '--keepalive-interval', '10', '--json'),
      'PresenceGroupConfigList',
    )
    assert.deepEqual(
      [
        set.groups[0].automaticFallback,
        set.groups[0].srmParameters.keepaliveIntervalSeconds,
        set.groups[0].srmParameters.keepaliveTimeoutSeconds,
      ],
      [true, 10, 60],
    )
    // A node that still has users cannot leave its group.
    const drop = await cli('pcluster', 'group', 'set', 'prg1', '--node', 'imp-pub', '--json')
    assert.equal(drop.code, 5)
    assert.match(drop.json.error.message, /assigned to imp-sub/)
    if (ha) ok(await cli('pcluster', 'ha', 'enable', 'prg1', '--yes'))
    assert.equal((await cli('pcluster', 'group', 'remove', 'prg1')).code, 5)

    // By hand (ADM-8): the database first, then the Sync Agents move the user.
    const before = ok(await cli('user', 'show', 'user00003@example.com', '--json')).user.presenceNode
    const other = before === 'imp-pub' ? 'imp-sub' : 'imp-pub'
    const assigned = ok(await cli('pcluster', 'users', 'assign', 'user00003@example.com', '--node', other, '--json'), 'User')
    assert.equal(assigned.user.presenceNode, other)
    await eventually(
      async () =>
        (await lab.presenceUsers(other, other)).some((u) => u.id === 'user00003@example.com' && u.assignedNode === other)
          ? true
          : undefined,
      20_000,
      `user00003@example.com on ${other}`,
    )
    assert.equal((await cli('pcluster', 'users', 'assign', 'nohome', '--node', other)).code, 5)
    assert.equal((await cli('pcluster', 'users', 'assign', 'user00003@example.com', '--node', 'cucm-sub')).code, 2)
  })

  it('ADM-9: the Sync Agent is a single point of failure: without the publisher IM and Presence keeps its users, changes wait for it', async (t) => {
    const lab = await adminLabFor(t)
    const {cli} = lab
    const counts = async () => (await lab.presenceCounts('imp-pub')).map((n) => n.users)
    const before = await counts()
    await lab.agents['cucm-pub'].dispose({keepState: true})
    const down = await cli('user', 'add', 'late', '--template', 'staff', '--json')
    assert.equal(down.code, 5, down.stderr) // the subscriber refuses writes: they are the publisher's
    assert.deepEqual(await counts(), before)
    await lab.boot('cucm-pub')
    ok(await cli('user', 'add', 'late', '--template', 'staff', '--device', 'CSFLATE', '--extension', '3997'))
    await eventually(
      async () => {
        const n = await counts()
        return n[0] + n[1] === before[0] + before[1] + 1 ? n : undefined
      },
      20_000,
      'the new user synced once the publisher is back',
    )
  })
})
