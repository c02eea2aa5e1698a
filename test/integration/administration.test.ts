// Seed 003's administration against real agents (./administration-lab.ts): the operator's
// commands, exit codes, and JSON against schemas/.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {contractRoutes} from '../../src/lib/agent/route.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {adminLabFor, ok, SEEDED} from './administration-lab.js'

describe('administration: the Unified CM configuration database (seed 003)', {concurrency: 2}, () => {
  it('ADM-10: the seeded directory is in the publisher database; the subscriber reads through it and refuses writes', async (t) => {
    const lab = await adminLabFor(t, null)
    const {cli} = lab
    const pub = await new AgentClient({name: 'cucm-pub', url: lab.url('cucm-pub')}).call('GET /v1/config')
    assert.deepEqual([pub.publisher, pub.schemaVersion], [true, 2])
    const sub = new AgentClient({name: 'cucm-sub', url: lab.url('cucm-sub')})
    const viaSub = await sub.call('GET /v1/config/users', {query: {limit: 2}})
    assert.equal(viaSub.total, SEEDED)
    assert.deepEqual(
      viaSub.users.map((u) => [u.id, u.presenceNode]),
      [
        ['user00001@example.com', 'imp-pub'],
        ['user00002@example.com', 'imp-pub'],
      ],
    )
    await assert.rejects(
      sub.call('POST /v1/config/uc-services', {body: {name: 'x', type: 'cti', host: 'h'}}),
      (e: Error & {rule?: string}) => e.rule === 'ADM-10',
    )
    await assert.rejects(
      sub.preview('POST /v1/config/users/import', {body: {csv: 'userid\nx', mode: 'insert'}}),
      (e: Error & {rule?: string}) => e.rule === 'ADM-10',
    )
    const one = await sub.call('GET /v1/config/users/:id', {params: {id: 'user00002@example.com'}})
    assert.equal(one.user.presenceNode, 'imp-pub')
    // Publisher and subscriber serve the same routes: every configuration route of the contract, nothing more.
    const configRoutes = (name: string) =>
      lab.agents[name].routes
        .map((r) => `${r.method} ${r.url}`)
        .filter((k) => / \/v1\/config(\/|$)/.test(k))
        .sort()
    const declared = Object.keys(contractRoutes())
      .filter((k) => / \/v1\/config(\/|$)/.test(k))
      .sort()
    assert.deepEqual(configRoutes('cucm-pub'), declared)
    assert.deepEqual(configRoutes('cucm-sub'), declared)
    // Filters and pages, through the CLI.
    const page = ok(await cli('user', 'list', '--enabled', '--node', 'imp-sub', '--limit', '2', '--offset', '1', '--json'), 'UserList')
    assert.deepEqual(
      [page.total, page.offset, page.users.map((u: {id: string}) => u.id)],
      [SEEDED / 2, 1, ['user00052@example.com', 'user00053@example.com']],
    )
    // The group lives in the same database (ADM-10): it survives the publisher's restart.
    await lab.agents['cucm-pub'].dispose({keepState: true})
    await lab.boot('cucm-pub')
    const list = await sub.call('GET /v1/config/presence-groups')
    assert.deepEqual(
      list.groups.map((g) => [g.name, g.nodes]),
      [['prg1', ['imp-pub', 'imp-sub']]],
    )
  })

  it('ADM-4: UC services of each type and the three directory kinds; bad input changes nothing; one not in use is removed', async (t) => {
    const {cli} = await adminLabFor(t, null)
    ok(
      await cli('uc-service', 'add', 'dir-uds', '--type', 'directory', '--directory-type', 'uds', '--host', 'cucm-pub', '--json'),
      'UcService',
    )
    ok(
      await cli(
        'uc-service',
        'add',
        'dir-enh',
        '--type',
        'directory',
        '--directory-type',
        'enhanced',
        '--host',
        'ldap.example.com',
        '--custom-tftp-file',
        'jabber-config.xml',
        '--json',
      ),
      'UcService',
    )
    ok(
      await cli(
        'uc-service',
        'add',
        'dir-basic',
        '--type',
        'directory',
        '--directory-type',
        'basic',
        '--host',
        'ldap.example.com',
        '--mapping',
        'BusinessPhone=ipPhone',
        '--json',
      ),
      'UcService',
    )
    ok(await cli('uc-service', 'add', 'vm1', '--type', 'voicemail', '--host', 'cuc-pub'))
    ok(await cli('uc-service', 'add', 'imp1', '--type', 'im-and-presence', '--host', 'imp-pub'))
    const list = ok(await cli('uc-service', 'list', '--json'), 'UcServiceList')
    assert.deepEqual(
      list.services.map((s: {name: string; type: string; directoryType?: string}) => [s.name, s.type, s.directoryType ?? '']),
      [
        ['dir-basic', 'directory', 'basic'],
        ['dir-enh', 'directory', 'enhanced'],
        ['dir-uds', 'directory', 'uds'],
        ['imp1', 'im-and-presence', ''],
        ['vm1', 'voicemail', ''],
      ],
    )
    const show = ok(await cli('uc-service', 'show', 'dir-basic', '--json'), 'UcService')
    assert.equal(show.service.attributeMappings.BusinessPhone, 'ipPhone')
    // Bad input changes nothing: exit 2 (ADM-4), a duplicate exit 5.
    const bad = await cli('uc-service', 'add', 'dir-x', '--type', 'directory', '--host', 'h', '--json')
    assert.equal(bad.code, 2)
    assert.equal(bad.json.error.rule, 'ADM-4')
    assert.equal((await cli('uc-service', 'add', 'vm1', '--type', 'voicemail', '--host', 'cuc-pub')).code, 5)
    assert.equal((await cli('uc-service', 'add', 'fax1', '--type', 'fax', '--host', 'h')).code, 2)
    ok(await cli('uc-service', 'add', 'conf1', '--type', 'conferencing', '--host', 'cms'))
    const left = ok(await cli('uc-service', 'remove', 'conf1', '--json'), 'UcServiceList')
    assert.equal(left.services.length, 5)
  })

  it('ADM-3: service profiles, the default, per-user profiles; what is in use cannot be removed', async (t) => {
    // The UC services of the ADM-4 test, made through the database API.
    const {cli} = await adminLabFor(t, (lab) => lab.addUcServices())
    ok(
      await cli(
        'service-profile',
        'add',
        'standard',
        '--service',
        'dir-uds',
        '--service',
        'dir-enh',
        '--service',
        'dir-basic',
        '--service',
        'vm1',
        '--service',
        'imp1',
        '--json',
      ),
      'ServiceProfile',
    )
    ok(await cli('service-profile', 'add', 'exec', '--service', 'dir-enh', '--service', 'imp1'))
    assert.equal((await cli('service-profile', 'add', 'p2', '--service', 'nope')).code, 2)
    const def = ok(await cli('service-profile', 'set-default', 'standard', '--json'), 'ServiceProfileList')
    assert.deepEqual(
      def.profiles.map((p: {name: string; default: boolean; users: number}) => [p.name, p.default, p.users]),
      [
        ['exec', false, 0],
        ['standard', true, SEEDED],
      ],
    )
    // A user's profile is their own, else the default (ADM-3).
    ok(await cli('service-profile', 'assign', 'exec', 'user00002@example.com'))
    const own = ok(await cli('user', 'list', '--profile', 'exec', '--json'), 'UserList')
    assert.deepEqual(
      own.users.map((u: {id: string}) => u.id),
      ['user00002@example.com'],
    )
    assert.equal(ok(await cli('user', 'list', '--profile', 'standard', '--json')).total, SEEDED - 1)
    const shown = ok(await cli('service-profile', 'show', 'exec', '--json'), 'ServiceProfile')
    assert.deepEqual(
      shown.services.map((s: {type: string}) => s.type),
      ['directory', 'im-and-presence'],
    )
    // Removing what is in use is refused (exit 5), nothing changed.
    assert.equal((await cli('uc-service', 'remove', 'IMP1')).code, 5) // names are case-insensitive
    assert.equal((await cli('service-profile', 'remove', 'standard')).code, 5)
    assert.equal((await cli('service-profile', 'remove', 'exec')).code, 5)
  })
})
