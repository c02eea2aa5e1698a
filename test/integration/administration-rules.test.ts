// `user check` by rule id, the presence viewer, group configuration and assignment by hand, and
// the Sync Agent without its publisher, against real agents (./administration-lab.ts).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually} from '../helpers/agents.js'
import {type CliResult, schemaProblems} from '../helpers/cli.js'
import {AdminLab, ok, SEEDED} from './administration-lab.js'

describe('administration: rules of user check, the viewer and groups (seed 003)', {concurrency: false}, () => {
  let lab: AdminLab
  const cli = (...args: string[]) => lab.cli(...args)

  before(async () => {
    lab = await new AdminLab().start()
    await lab.configure()
  })
  after(() => lab?.dispose())

  it('user check: ADM-6, ADM-1, ADM-5, ADM-7 findings by rule id with exit 3; exit 0 once fixed', async () => {
    const findings = (r: CliResult) => r.json.findings.map((f: {rule: string; severity: string}) => `${f.rule} ${f.severity}`)
    const all = await cli('user', 'check', '--json')
    assert.deepEqual(schemaProblems(all.json), [])
    assert.equal(all.code, 0, JSON.stringify(all.json.findings))
    assert.equal(all.json.users, SEEDED + 1)

    // ADM-6: enabled, no line appearance.
    ok(await cli('user', 'add', 'nol', '--template', 'staff'))
    const noLine = await cli('user', 'check', 'nol', '--json')
    assert.equal(noLine.code, 3)
    assert.deepEqual(findings(noLine), ['ADM-6 error'])
    assert.equal((await cli('user', 'update', 'nol', '--extension', '3998')).code, 2)
    ok(await cli('user', 'update', 'nol', '--device', 'CSFNOL', '--extension', '3998'))
    assert.equal((await cli('user', 'check', 'nol')).code, 0)

    // ADM-1 and ADM-5: a profile without an IM and Presence service and with one directory kind.
    ok(await cli('service-profile', 'add', 'bare', '--service', 'dir-uds'))
    ok(await cli('service-profile', 'assign', 'bare', 'nol'))
    const bare = await cli('user', 'check', 'nol', '--json')
    assert.equal(bare.code, 3)
    assert.deepEqual(findings(bare), ['ADM-1 error', 'ADM-5 warning'])
    assert.match(bare.json.findings[1].message, /lacks enhanced directory, basic directory/)
    ok(await cli('service-profile', 'assign', 'standard', 'nol'))
    assert.equal((await cli('user', 'check', 'nol')).code, 0)

    // ADM-7: AXL not running on the user's node.
    const node = ok(await cli('user', 'show', 'nol', '--json')).user.presenceNode
    ok(await cli('service', 'stop', 'Cisco AXL Web Service', '--node', node, '--yes'))
    const axl = await cli('user', 'check', 'nol', '--json')
    assert.equal(axl.code, 3)
    assert.deepEqual(findings(axl), ['ADM-7 error'])
    assert.match(axl.json.findings[0].message, new RegExp(`Cisco AXL Web Service not running on ${node}`))
    ok(await cli('service', 'start', 'Cisco AXL Web Service', '--node', node, '--yes'))
    assert.equal((await cli('user', 'check', 'nol')).code, 0)
    assert.equal((await cli('user', 'check', 'nobody')).code, 2)
  })

  it('ADM-8, PRG-1, PRG-3: presence redundancy groups within PRG-1, SRM parameters only before HA is enabled; users assigned by hand', async () => {
    const refused = await cli('pcluster', 'group', 'add', 'prg2', '--node', 'imp-pub', '--json')
    assert.equal(refused.code, 5)
    assert.equal(refused.json.error.rule, 'PRG-1')
    assert.match(refused.json.error.message, /imp-pub is in 2 groups/)
    assert.equal((await cli('pcluster', 'group', 'add', 'prg2', '--node', 'cucm-sub')).code, 2)
    assert.equal((await cli('pcluster', 'group', 'add', 'prg2', '--node', 'nope')).code, 2)
    const range = await cli('pcluster', 'group', 'set', 'prg1', '--keepalive-interval', '1', '--json')
    assert.equal(range.code, 2)
    assert.equal(range.json.error.rule, 'PRG-3')

    const ha = (await new AgentClient({name: 'imp-pub', url: lab.url('imp-pub')}).get<{status: {haEnabled: boolean}}>('/v1/presence')).status.haEnabled
    if (ha) {
      const on = await cli('pcluster', 'group', 'set', 'prg1', '--automatic-fallback', '--json')
      assert.equal(on.code, 5)
      assert.equal(on.json.error.rule, 'ADM-8')
      ok(await cli('pcluster', 'ha', 'disable', 'prg1', '--yes'))
    }
    const set = ok(await cli('pcluster', 'group', 'set', 'prg1', '--automatic-fallback', '--keepalive-interval', '10', '--json'), 'PresenceGroupConfigList')
    assert.deepEqual([set.groups[0].automaticFallback, set.groups[0].srmParameters.keepaliveIntervalSeconds, set.groups[0].srmParameters.keepaliveTimeoutSeconds], [true, 10, 60])
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
    await eventually(async () => ((await lab.presenceUsers(other, other)).some((u) => u.id === 'user00003@example.com' && u.assignedNode === other) ? true : undefined), 20_000, `user00003@example.com on ${other}`)
    assert.equal((await cli('pcluster', 'users', 'assign', 'nohome', '--node', other)).code, 5)
    assert.equal((await cli('pcluster', 'users', 'assign', 'user00003@example.com', '--node', 'cucm-sub')).code, 2)
  })

  it('ADM-7: the presence viewer only for Home Cluster and IM and Presence on; contacts and watchers per group with statuses, ungrouped last; prerequisites; accessible icons', async () => {
    const refused = await cli('pcluster', 'user', 'nohome', '--json')
    assert.equal(refused.code, 5)
    assert.equal(refused.json.error.rule, 'ADM-7')
    assert.equal((await cli('pcluster', 'user', 'nobody-at-all', '--json')).code, 2)
    const v = ok(await cli('pcluster', 'user', 'user00001@example.com', '--json'), 'PresenceView')
    const contacts = [...v.contacts.groups.flatMap((g: {contacts: string[]}) => g.contacts), ...v.contacts.ungrouped]
    assert.deepEqual(Object.keys(v.contacts.statuses).sort(), [...new Set(contacts)].sort())
    assert.deepEqual(Object.keys(v.watchers.statuses).length, v.watchers.count)
    assert.equal(v.watchers.groups.at(-1).name, '(no group)', 'watchers in no group come after the groups')
    assert.deepEqual(v.watchers.groups.at(-1).watchers, v.watchers.ungrouped)
    assert.deepEqual(v.prerequisites.map((p: {ok: boolean}) => p.ok), [true, true, true, true])
    const plain = await cli('pcluster', 'user', 'user00001@example.com', '--accessible-icons')
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /^contact\tTeam\tuser00002@example\.com\t(✔ Available|◷ Away|⊘ Do Not Disturb|○ Unavailable|✎ Custom)$/m)
  })

  it('ADM-9: the Sync Agent is a single point of failure: without the publisher IM and Presence keeps its users, changes wait for it', async () => {
    const counts = async () => (await lab.presenceCounts('imp-pub')).map((n) => n.users)
    const before = await counts()
    await lab.agents['cucm-pub'].dispose({keepState: true})
    const down = await cli('user', 'add', 'late', '--template', 'staff', '--json')
    assert.equal(down.code, 5, down.stderr) // the subscriber refuses writes: they are the publisher's
    assert.deepEqual(await counts(), before)
    await lab.boot('cucm-pub')
    ok(await cli('user', 'add', 'late', '--template', 'staff', '--device', 'CSFLATE', '--extension', '3997'))
    await eventually(async () => {
      const n = await counts()
      return n[0] + n[1] === before[0] + before[1] + 1 ? n : undefined
    }, 20_000, 'the new user synced once the publisher is back')
  })
})
