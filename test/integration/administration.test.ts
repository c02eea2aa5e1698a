// Seed 003's administration against real agents: a Unified CM publisher holding the
// configuration database, its subscriber, and an IM and Presence group whose Sync Agents take
// their users from the publisher. The operator's commands, exit codes, and JSON against schemas/.
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {standInServices} from '../../src/lib/agent/config.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {freePort} from '../../src/lib/lab/launcher.js'
import {eventually, startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {type CliResult, runCli, schemaProblems, writeContext} from '../helpers/cli.js'

const NODES = [
  {name: 'cucm-pub', product: 'cucm', role: 'publisher', version: '8.6.2.10000-30'},
  {name: 'cucm-sub', product: 'cucm', role: 'subscriber', version: '8.6.2.10000-30'},
  {name: 'imp-pub', product: 'imp', role: 'publisher', version: '8.6.4.10000-10'},
  {name: 'imp-sub', product: 'imp', role: 'subscriber', version: '8.6.4.10000-10'},
] as const
const SEEDED = 100

export class AdminLab {
  agents: Record<string, TestAgent> = {}
  ports: Record<string, number> = {}
  dirs: Record<string, string> = {}
  home = tempDir()

  url(n: string): string {
    return `http://127.0.0.1:${this.ports[n]}`
  }

  async start(): Promise<this> {
    for (const n of NODES) {
      this.ports[n.name] = await freePort()
      this.dirs[n.name] = tempDir()
    }
    await Promise.all(NODES.map((n) => this.boot(n.name)))
    writeContext(
      this.home,
      'admin',
      NODES.map((n) => ({name: n.name, url: this.url(n.name)})),
    )
    return this
  }

  async boot(name: string): Promise<TestAgent> {
    const n = NODES.find((x) => x.name === name)!
    const settings =
      n.product === 'cucm'
        ? {configuration: {users: SEEDED, groups: [{name: 'prg1', nodes: ['imp-pub', 'imp-sub']}], presenceLicences: 5000}}
        : {presence: {peer: name === 'imp-pub' ? 'imp-sub' : 'imp-pub', users: SEEDED}}
    const agent = await startTestAgent({
      ...n,
      cluster: 'cucm1',
      ...(n.product === 'imp' ? {group: 'prg1'} : {}),
      port: this.ports[name],
      stateDir: this.dirs[name],
      peers: NODES.filter((p) => p.name !== name).map((p) => ({name: p.name, url: this.url(p.name)})),
      settings,
      services: standInServices(n.product),
    })
    this.agents[name] = agent
    return agent
  }

  cli(...args: string[]): Promise<CliResult> {
    return runCli(args, {UCCTL_HOME: this.home})
  }

  /** The users an IM and Presence node holds on `node` (from its own replica). */
  async presenceUsers(via: string, node: string): Promise<Array<{id: string; node: string; assignedNode: string}>> {
    const a = await new AgentClient({name: via, url: this.url(via)}).get<{users: Array<{id: string; node: string; assignedNode: string}>}>('/v1/presence/groups/prg1/users', {node})
    return a.users
  }

  async dispose(): Promise<void> {
    await Promise.all(Object.values(this.agents).map((a) => a.dispose()))
    rmSync(this.home, {recursive: true, force: true})
  }
}

const ok = (r: CliResult, kind?: string) => {
  assert.equal(r.code, 0, r.stderr + r.stdout)
  if (kind) {
    assert.equal(r.json.kind, kind)
    assert.deepEqual(schemaProblems(r.json), [])
  }
  return r.json
}

describe('administration: the Unified CM configuration database (seed 003)', {concurrency: false}, () => {
  let lab: AdminLab
  const cli = (...args: string[]) => lab.cli(...args)
  const csv = (name: string, text: string) => {
    const f = join(lab.home, name)
    writeFileSync(f, text)
    return f
  }

  before(async () => {
    lab = await new AdminLab().start()
  })
  after(() => lab?.dispose())

  it('ADM-10: the seeded directory is in the publisher database; the subscriber reads through it and refuses writes', async () => {
    const pub = await new AgentClient({name: 'cucm-pub', url: lab.url('cucm-pub')}).get<{schemaVersion: number; publisher: boolean}>('/v1/config')
    assert.deepEqual([pub.publisher, pub.schemaVersion], [true, 2])
    const viaSub = await new AgentClient({name: 'cucm-sub', url: lab.url('cucm-sub')}).get<{total: number; users: Array<{id: string; presenceNode: string}>}>('/v1/config/users', {limit: 2})
    assert.equal(viaSub.total, SEEDED)
    assert.deepEqual(viaSub.users.map((u) => [u.id, u.presenceNode]), [['user00001@example.com', 'imp-pub'], ['user00002@example.com', 'imp-pub']])
    await assert.rejects(new AgentClient({name: 'cucm-sub', url: lab.url('cucm-sub')}).post('/v1/config/uc-services', {name: 'x', type: 'cti', host: 'h'}), (e: Error & {rule?: string}) => e.rule === 'ADM-10')
    // The group lives in the same database (ADM-10): it survives the publisher's restart.
    await lab.agents['cucm-pub'].dispose({keepState: true})
    await lab.boot('cucm-pub')
    const list = await new AgentClient({name: 'cucm-sub', url: lab.url('cucm-sub')}).get<{groups: Array<{name: string; nodes: string[]}>}>('/v1/config/presence-groups')
    assert.deepEqual(list.groups.map((g) => [g.name, g.nodes]), [['prg1', ['imp-pub', 'imp-sub']]])
  })

  it('ADM-3, ADM-4: UC services of each type and the three directory kinds; profiles, the default, per-user profiles', async () => {
    ok(await cli('uc-service', 'add', 'dir-uds', '--type', 'directory', '--directory-type', 'uds', '--host', 'cucm-pub', '--json'), 'UcService')
    ok(await cli('uc-service', 'add', 'dir-enh', '--type', 'directory', '--directory-type', 'enhanced', '--host', 'ldap.example.com', '--custom-tftp-file', 'jabber-config.xml', '--json'), 'UcService')
    ok(await cli('uc-service', 'add', 'dir-basic', '--type', 'directory', '--directory-type', 'basic', '--host', 'ldap.example.com', '--mapping', 'BusinessPhone=ipPhone', '--json'), 'UcService')
    ok(await cli('uc-service', 'add', 'vm1', '--type', 'voicemail', '--host', 'cuc-pub'))
    ok(await cli('uc-service', 'add', 'imp1', '--type', 'im-and-presence', '--host', 'imp-pub'))
    const list = ok(await cli('uc-service', 'list', '--json'), 'UcServiceList')
    assert.deepEqual(
      list.services.map((s: {name: string; type: string; directoryType?: string}) => [s.name, s.type, s.directoryType ?? '']),
      [['dir-basic', 'directory', 'basic'], ['dir-enh', 'directory', 'enhanced'], ['dir-uds', 'directory', 'uds'], ['imp1', 'im-and-presence', ''], ['vm1', 'voicemail', '']],
    )
    const show = ok(await cli('uc-service', 'show', 'dir-basic', '--json'), 'UcService')
    assert.equal(show.service.attributeMappings.BusinessPhone, 'ipPhone')
    // Bad input changes nothing: exit 2 (ADM-4), a duplicate exit 5.
    const bad = await cli('uc-service', 'add', 'dir-x', '--type', 'directory', '--host', 'h', '--json')
    assert.equal(bad.code, 2)
    assert.equal(bad.json.error.rule, 'ADM-4')
    assert.equal((await cli('uc-service', 'add', 'vm1', '--type', 'voicemail', '--host', 'cuc-pub')).code, 5)
    assert.equal((await cli('uc-service', 'add', 'fax1', '--type', 'fax', '--host', 'h')).code, 2)

    ok(await cli('service-profile', 'add', 'standard', '--service', 'dir-uds', '--service', 'dir-enh', '--service', 'dir-basic', '--service', 'vm1', '--service', 'imp1', '--json'), 'ServiceProfile')
    ok(await cli('service-profile', 'add', 'exec', '--service', 'dir-enh', '--service', 'imp1'))
    assert.equal((await cli('service-profile', 'add', 'p2', '--service', 'nope')).code, 2)
    const def = ok(await cli('service-profile', 'set-default', 'standard', '--json'), 'ServiceProfileList')
    assert.deepEqual(def.profiles.map((p: {name: string; default: boolean; users: number}) => [p.name, p.default, p.users]), [['exec', false, 0], ['standard', true, SEEDED]])
    // A user's profile is their own, else the default (ADM-3).
    ok(await cli('service-profile', 'assign', 'exec', 'user00002@example.com'))
    const own = ok(await cli('user', 'list', '--profile', 'exec', '--json'), 'UserList')
    assert.deepEqual(own.users.map((u: {id: string}) => u.id), ['user00002@example.com'])
    assert.equal(ok(await cli('user', 'list', '--profile', 'standard', '--json')).total, SEEDED - 1)
    const shown = ok(await cli('service-profile', 'show', 'exec', '--json'), 'ServiceProfile')
    assert.deepEqual(shown.services.map((s: {type: string}) => s.type), ['directory', 'im-and-presence'])
    // Removing what is in use is refused (exit 5), nothing changed.
    assert.equal((await cli('uc-service', 'remove', 'imp1')).code, 5)
    assert.equal((await cli('service-profile', 'remove', 'standard')).code, 5)
    assert.equal((await cli('service-profile', 'remove', 'exec')).code, 5)
    ok(await cli('uc-service', 'add', 'conf1', '--type', 'conferencing', '--host', 'cms'))
    const left = ok(await cli('uc-service', 'remove', 'conf1', '--json'), 'UcServiceList')
    assert.equal(left.services.length, 5)
  })

  it('ADM-2: BAT Insert Users with a template, one transaction: a bad line rejects the file by line number; --dry-run changes nothing', async () => {
    ok(await cli('user-template', 'add', 'staff', '--im-and-presence', '--home-cluster', '--service-profile', 'standard', '--json'), 'UserTemplate')
    ok(await cli('user-template', 'add', 'quick', '--feature-group', '--home-cluster', '--im-and-presence'))
    assert.equal((await cli('user-template', 'add', 'half', '--im-and-presence')).code, 2)
    const tl = ok(await cli('user-template', 'list', '--json'), 'UserTemplateList')
    assert.deepEqual(tl.templates.map((t: {name: string; kind: string}) => [t.name, t.kind]), [['quick', 'feature-group'], ['staff', 'user']])

    const lines = ['userid,firstname,lastname,mailid,device,extension']
    for (let i = 0; i < 1000; i++) lines.push(`emp${String(i).padStart(4, '0')},First${i},Last${i},emp${i}@example.com,CSFEMP${i},${30000 + i}`)
    const bad = [...lines]
    bad[10] = 'emp0008,Dup,,,,'
    bad[500] = ',,,,,'
    const rejected = await cli('user', 'import', csv('bad.csv', bad.join('\n')), '--template', 'staff', '--json')
    assert.equal(rejected.code, 2, rejected.stderr)
    assert.deepEqual(schemaProblems(rejected.json), [])
    assert.deepEqual(rejected.json.rejected.map((x: {line: number}) => x.line), [11, 501])
    assert.equal(rejected.json.inserted, 0)
    assert.equal(ok(await cli('user', 'list', '--json')).total, SEEDED)

    const file = csv('users.csv', lines.join('\n') + '\n')
    const dry = ok(await cli('user', 'import', file, '--template', 'staff', '--dry-run', '--json'), 'UserImport')
    assert.deepEqual([dry.applied, dry.inserted, dry.wouldInsert, dry.assigned], [false, 0, 1000, {'imp-pub': 500, 'imp-sub': 500}])
    assert.equal(ok(await cli('user', 'list', '--json')).total, SEEDED)

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
    const counts = await eventually(async () => {
      const r = await cli('pcluster', 'users', '--json')
      const n = r.json?.nodes?.map((x: {users: number}) => x.users)
      return n && n[0] + n[1] === SEEDED + 1002 ? n : undefined
    }, 20_000, 'the imported users on the IM and Presence nodes')
    assert.deepEqual(counts, [SEEDED / 2 + 501, SEEDED / 2 + 501])
    const v = ok(await cli('pcluster', 'user', 'emp0001', '--json'), 'PresenceView')
    assert.equal(v.server.assigned, 'imp-sub')
    assert.ok((await lab.presenceUsers('imp-sub', 'imp-pub')).some((u) => u.id === 'jdoe'))

    // BAT Update Users: every line in one transaction.
    const upd = ok(await cli('user', 'update', '--file', csv('upd.csv', 'userid,device,extension\njdoe,CSFJDOE,3999\n'), '--json'), 'UserImport')
    assert.equal(upd.updated, 1)
    assert.equal(ok(await cli('user', 'show', 'jdoe', '--json'), 'User').user.extension, '3999')
    const unknown = await cli('user', 'update', '--file', csv('upd2.csv', 'userid,device\njdoe,X\nnobody,Y\n'), '--json')
    assert.equal(unknown.code, 2)
    assert.deepEqual(unknown.json.rejected, [{line: 3, message: 'no user nobody (use: ucctl user import)'}])
    assert.equal(ok(await cli('user', 'show', 'jdoe', '--json')).user.device, 'CSFJDOE')

    const exported = ok(await cli('user', 'export', '--enabled', '--json'), 'UserExport')
    assert.equal(exported.users, SEEDED + 1002)
    assert.match(exported.csv, /^userid,firstname,lastname,mailid,device,extension\n/)

    const disabled = ok(await cli('user', 'disable', 'qa', '--json'), 'User')
    assert.deepEqual([disabled.user.imAndPresence, disabled.user.presenceNode], [false, null])
    await eventually(async () => ((await lab.presenceUsers('imp-pub', 'imp-sub')).some((u) => u.id === 'qa') ? undefined : true), 20_000, 'qa gone from the IM and Presence nodes')
  })

  it('user check: ADM-6, ADM-1, ADM-5, ADM-7 findings by rule id with exit 3; exit 0 once fixed', async () => {
    const findings = (r: CliResult) => r.json.findings.map((f: {rule: string; severity: string}) => `${f.rule} ${f.severity}`)
    const all = await cli('user', 'check', '--json')
    assert.deepEqual(schemaProblems(all.json), [])
    assert.equal(all.code, 0, JSON.stringify(all.json.findings))
    assert.equal(all.json.users, SEEDED + 1003)

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
    const before = ok(await cli('user', 'show', 'emp0001', '--json')).user.presenceNode
    const other = before === 'imp-pub' ? 'imp-sub' : 'imp-pub'
    const assigned = ok(await cli('pcluster', 'users', 'assign', 'emp0001', '--node', other, '--json'), 'User')
    assert.equal(assigned.user.presenceNode, other)
    await eventually(async () => ((await lab.presenceUsers(other, other)).some((u) => u.id === 'emp0001' && u.assignedNode === other) ? true : undefined), 20_000, `emp0001 on ${other}`)
    assert.equal((await cli('pcluster', 'users', 'assign', 'nohome', '--node', other)).code, 5)
    assert.equal((await cli('pcluster', 'users', 'assign', 'emp0001', '--node', 'cucm-sub')).code, 2)
  })

  it('ADM-9: the Sync Agent is a single point of failure: without the publisher IM and Presence keeps its users, changes wait for it', async () => {
    const counts = async () => (await new AgentClient({name: 'imp-pub', url: lab.url('imp-pub')}).get<{nodes: Array<{users: number}>}>('/v1/presence/groups/prg1/users')).nodes.map((n) => n.users)
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
