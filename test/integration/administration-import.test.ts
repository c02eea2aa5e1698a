// BAT Insert Users and Update Users (ADM-2) and the Sync Agent bringing the new users to the IM
// and Presence nodes, against real agents (./administration-lab.ts).
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {eventually} from '../helpers/agents.js'
import {schemaProblems} from '../helpers/cli.js'
import {adminLabFor, ok, SEEDED} from './administration-lab.js'

describe('administration: BAT import (seed 003)', {concurrency: false}, () => {
  it('ADM-2: BAT Insert Users with a template, one transaction: a bad line rejects the file by line number; --dry-run changes nothing', async (t) => {
    const lab = await adminLabFor(t, (l) => l.configure({users: false}))
    const {cli} = lab
    const csv = (name: string, text: string) => {
      const f = join(lab.home, name)
      writeFileSync(f, text)
      return f
    }
    const total = async () => (await lab.config.call('GET /v1/config/users', {query: {limit: 1}})).total
    const user = async (id: string) => (await lab.config.call('GET /v1/config/users/:id', {params: {id}})).user

    ok(
      await cli('user-template', 'add', 'staff', '--im-and-presence', '--home-cluster', '--service-profile', 'standard', '--json'),
      'UserTemplate',
    )
    ok(await cli('user-template', 'add', 'quick', '--feature-group', '--home-cluster', '--im-and-presence'))
    assert.equal((await cli('user-template', 'add', 'half', '--im-and-presence')).code, 2)
    const tl = ok(await cli('user-template', 'list', '--json'), 'UserTemplateList')
    assert.deepEqual(
      tl.templates.map((x: {name: string; kind: string}) => [x.name, x.kind]),
      [
        ['quick', 'feature-group'],
        ['staff', 'user'],
      ],
    )

    const lines = ['userid,firstname,lastname,mailid,device,extension']
    for (let i = 0; i < 1000; i++)
      lines.push(`emp${String(i).padStart(4, '0')},First${i},Last${i},emp${i}@example.com,CSFEMP${i},${30000 + i}`)
    const bad = [...lines]
    bad[10] = 'emp0008,Dup,,,,'
    bad[500] = ',,,,,'
    const rejected = await cli('user', 'import', csv('bad.csv', bad.join('\n')), '--template', 'staff', '--json')
    assert.equal(rejected.code, 2, rejected.stderr)
    assert.deepEqual(schemaProblems(rejected.json), [])
    assert.deepEqual(
      rejected.json.rejected.map((x: {line: number}) => x.line),
      [11, 501],
    )
    assert.equal(rejected.json.inserted, 0)
    assert.equal(await total(), SEEDED)

    const file = csv('users.csv', lines.join('\n') + '\n')
    const dry = ok(await cli('user', 'import', file, '--template', 'staff', '--dry-run', '--json'), 'UserImport')
    assert.deepEqual([dry.applied, dry.inserted, dry.wouldInsert, dry.assigned], [false, 0, 1000, {'imp-pub': 500, 'imp-sub': 500}])
    assert.equal(await total(), SEEDED)

    const done = ok(await cli('user', 'import', file, '--template', 'staff', '--json'), 'UserImport')
    assert.deepEqual([done.applied, done.inserted, done.rejected], [true, 1000, []])
    const again = await cli('user', 'import', file, '--template', 'staff', '--json')
    assert.equal(again.code, 2)
    assert.equal(again.json.rejected.length, 1000)
    assert.match(again.json.rejected[0].message, /already exists/)

    // One user: add with Home Cluster, then "Enable User for Unified CM IM and Presence".
    ok(await cli('user', 'add', 'jdoe', '--home-cluster', '--json'), 'User')
    const noHome = ok(await cli('user', 'add', 'nohome', '--json'), 'User')
    assert.equal(noHome.user.homeCluster, false)
    const refused = await cli('user', 'enable', 'nohome', '--json')
    assert.equal(refused.code, 5)
    assert.equal(refused.json.error.rule, 'ADM-2')
    const enabled = ok(await cli('user', 'enable', 'jdoe', '--json'), 'User')
    assert.deepEqual([enabled.user.imAndPresence, enabled.user.presenceNode], [true, 'imp-pub'])
    // A feature group template with IM and Presence on (Quick User/Phone Add).
    const quick = ok(await cli('user', 'add', 'qa', '--template', 'quick', '--json'), 'User')
    assert.deepEqual([quick.user.homeCluster, quick.user.imAndPresence, quick.user.presenceNode], [true, true, 'imp-sub'])

    // The Sync Agent brings them to the IM and Presence nodes, balanced.
    await eventually(
      async () => {
        const n = (await lab.presenceCounts('imp-sub')).map((x) => x.users)
        return n[0] + n[1] === SEEDED + 1002 ? n : undefined
      },
      20_000,
      'the imported users on the IM and Presence nodes',
    )
    const counts = ok(await cli('pcluster', 'users', '--json'), 'PresenceUserList').nodes.map((x: {users: number}) => x.users)
    assert.deepEqual(counts, [SEEDED / 2 + 501, SEEDED / 2 + 501])
    const v = ok(await cli('pcluster', 'user', 'emp0001', '--json'), 'PresenceView')
    assert.equal(v.server.assigned, 'imp-sub')
    assert.ok((await lab.presenceUsers('imp-sub', 'imp-pub')).some((u) => u.id === 'jdoe'))

    // BAT Update Users: every line in one transaction.
    const upd = ok(
      await cli('user', 'update', '--file', csv('upd.csv', 'userid,device,extension\njdoe,CSFJDOE,3999\n'), '--json'),
      'UserImport',
    )
    assert.equal(upd.updated, 1)
    assert.equal((await user('jdoe')).extension, '3999')
    const unknown = await cli('user', 'update', '--file', csv('upd2.csv', 'userid,device\njdoe,X\nnobody,Y\n'), '--json')
    assert.equal(unknown.code, 2)
    assert.deepEqual(unknown.json.rejected, [{line: 3, message: 'no user nobody (use: ucctl user import)'}])
    assert.equal((await user('jdoe')).device, 'CSFJDOE')

    const exported = ok(await cli('user', 'export', '--enabled', '--json'), 'UserExport')
    assert.equal(exported.users, SEEDED + 1002)
    assert.match(exported.csv, /^userid,firstname,lastname,mailid,device,extension\n/)

    const disabled = ok(await cli('user', 'disable', 'qa', '--json'), 'User')
    assert.deepEqual([disabled.user.imAndPresence, disabled.user.presenceNode], [false, null])
    await eventually(
      async () => ((await lab.presenceUsers('imp-pub', 'imp-sub')).some((u) => u.id === 'qa') ? undefined : true),
      20_000,
      'qa gone from the IM and Presence nodes',
    )
  })
})
