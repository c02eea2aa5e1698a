// The rules of seed 003's administration (SPEC §8) as pure functions: UC service types and
// directory kinds, the BAT CSV, balanced assignment, the SRM parameters and `user check`.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  balancedNodes,
  type CheckInput,
  checkUsers,
  DEFAULT_SRM_PARAMETERS,
  effectiveProfile,
  type EndUser,
  parseUsersCsv,
  srmParameters,
  ucService,
  UC_SERVICE_TYPES,
  usersCsv,
} from '../../src/lib/domain/administration.js'
import {PRESENCE_VIEWER_SERVICES} from '../../src/lib/domain/presence-viewer.js'
import {UsageError} from '../../src/lib/errors.js'

const user = (id: string, over: Partial<EndUser> = {}): EndUser => ({
  id,
  firstName: null,
  lastName: null,
  mailId: null,
  homeCluster: true,
  imAndPresence: true,
  serviceProfile: null,
  presenceNode: 'imp-pub',
  device: `CSF${id}`,
  extension: '3000',
  ...over,
})
const running = Object.fromEntries(PRESENCE_VIEWER_SERVICES.map((s) => [s, 'Running']))
const healthy = (over: Partial<CheckInput> = {}): CheckInput => ({
  users: [user('jdoe')],
  profiles: [{name: 'standard', services: ['dir-uds', 'dir-enh', 'dir-basic', 'imp1']}],
  defaultProfile: 'standard',
  services: [
    ucService({name: 'dir-uds', type: 'directory', directoryType: 'uds', host: 'cucm-pub'}),
    ucService({name: 'dir-enh', type: 'directory', directoryType: 'enhanced', host: 'ldap'}),
    ucService({name: 'dir-basic', type: 'directory', directoryType: 'basic', host: 'ldap'}),
    ucService({name: 'imp1', type: 'im-and-presence', host: 'imp-pub'}),
  ],
  presenceLicences: 10,
  multiCluster: false,
  fullEnterpriseList: true,
  nodeServices: new Map([['imp-pub', running]]),
  contacts: new Map(),
  limits: {maxContacts: 200, maxWatchers: 200},
  ...over,
})
const rules = (input: CheckInput) => checkUsers(input).findings.map((f) => `${f.rule} ${f.severity}`)

describe('administration (seed 003)', () => {
  it('ADM-3: the six UC service types, and nothing else', () => {
    assert.deepEqual([...UC_SERVICE_TYPES], ['voicemail', 'mailstore', 'conferencing', 'cti', 'im-and-presence', 'directory'])
    for (const type of UC_SERVICE_TYPES.filter((t) => t !== 'directory'))
      assert.equal(ucService({name: `s-${type}`, type, host: 'h'}).type, type)
    assert.throws(
      () => ucService({name: 'x', type: 'fax', host: 'h'}),
      (e: UsageError) => e.rule === 'ADM-3',
    )
  })

  it("ADM-3: a user's profile is their own, else the system default", () => {
    assert.equal(effectiveProfile({serviceProfile: 'exec'}, 'standard'), 'exec')
    assert.equal(effectiveProfile({serviceProfile: null}, 'standard'), 'standard')
    assert.equal(effectiveProfile({serviceProfile: null}, null), null)
  })

  it('ADM-4: directory services are UDS, enhanced (optional custom TFTP file) or basic (LDAP attribute mappings)', () => {
    assert.deepEqual(ucService({name: 'u', type: 'directory', directoryType: 'uds', host: 'cucm-pub'}), {
      name: 'u',
      type: 'directory',
      directoryType: 'uds',
      host: 'cucm-pub',
    })
    assert.equal(
      ucService({name: 'e', type: 'directory', directoryType: 'enhanced', host: 'l', customTftpFile: 'jabber-config.xml'}).customTftpFile,
      'jabber-config.xml',
    )
    const basic = ucService({name: 'b', type: 'directory', directoryType: 'basic', host: 'l', mappings: ['BusinessPhone=ipPhone']})
    assert.equal(basic.attributeMappings?.BusinessPhone, 'ipPhone')
    assert.equal(basic.attributeMappings?.UserID, 'sAMAccountName')
    const refused = (input: Parameters<typeof ucService>[0]) =>
      assert.throws(
        () => ucService(input),
        (e: UsageError) => e instanceof UsageError && e.rule === 'ADM-4',
      )
    refused({name: 'd', type: 'directory', host: 'l'})
    refused({name: 'd', type: 'directory', directoryType: 'ldap', host: 'l'})
    refused({name: 'd', type: 'directory', directoryType: 'uds', host: 'l', customTftpFile: 'x.xml'})
    refused({name: 'd', type: 'directory', directoryType: 'enhanced', host: 'l', mappings: ['UserID=uid']})
    refused({name: 'd', type: 'directory', directoryType: 'basic', host: 'l', mappings: ['Nickname=nick']})
    refused({name: 'v', type: 'voicemail', directoryType: 'uds', host: 'l'})
  })

  it('ADM-2: a BAT users file: header with userid, every bad line reported by its number', () => {
    const csv = [
      'userid,firstname,lastname,mailid,device,extension',
      'alice,Alice,A,alice@example.com,CSFALICE,3001',
      '"bob, jr",Bob,B,,,',
      '',
      ',No,Id,,,',
      'carol,Carol,C,not-a-mail,,',
      'dave,Dave,D,,,3004',
      'alice,Again,A,,,',
      '"eve,Eve,E,,,',
      'frank,Frank',
    ].join('\n')
    const r = parseUsersCsv(csv)
    assert.deepEqual(
      r.users.map((u) => [u.line, u.id]),
      [[2, 'alice']],
    )
    assert.deepEqual(
      r.rejected.map((x) => x.line),
      [3, 5, 6, 7, 8, 9, 10],
    )
    assert.match(r.rejected.find((x) => x.line === 7)!.message, /extension needs the device.*ADM-6/)
    assert.match(r.rejected.find((x) => x.line === 8)!.message, /already on line 2/)
    assert.throws(() => parseUsersCsv('firstname,lastname\nA,B'), /userid is required/)
    assert.throws(() => parseUsersCsv('userid,phone\nx,1'), /unknown column "phone"/)
    assert.throws(() => parseUsersCsv(''), /no header line/)
    // The export is a file the import takes back.
    const back = parseUsersCsv(usersCsv([user('x,y', {firstName: 'Q "quoted"'})]).replace('x,y', 'xy'))
    assert.equal(back.rejected.length, 0)
    assert.equal(back.users[0].fields.firstName, 'Q "quoted"')
  })

  it('ADM-8, PRG-10: enabled users go to the least loaded node, one at a time', () => {
    assert.deepEqual(
      balancedNodes(
        [
          {name: 'imp-pub', users: 7501},
          {name: 'imp-sub', users: 7500},
        ],
        4,
      ),
      ['imp-sub', 'imp-pub', 'imp-sub', 'imp-pub'],
    )
    assert.deepEqual(balancedNodes([], 2), [])
  })

  it('ADM-8, PRG-3: SRM service parameters: published defaults, ranges, timeout longer than interval', () => {
    assert.deepEqual(DEFAULT_SRM_PARAMETERS, {
      keepaliveIntervalSeconds: 15,
      keepaliveTimeoutSeconds: 60,
      initializationKeepaliveTimeoutSeconds: 120,
      criticalServiceDownDelaySeconds: 90,
      automaticFallbackDelayMinutes: 30,
    })
    assert.equal(srmParameters(DEFAULT_SRM_PARAMETERS, {keepaliveIntervalSeconds: 10}).keepaliveIntervalSeconds, 10)
    assert.throws(
      () => srmParameters(DEFAULT_SRM_PARAMETERS, {keepaliveIntervalSeconds: 1}),
      (e: UsageError) => e.rule === 'PRG-3' && /5 to 60/.test(e.message),
    )
    assert.throws(
      () => srmParameters(DEFAULT_SRM_PARAMETERS, {keepaliveIntervalSeconds: 60, keepaliveTimeoutSeconds: 30}),
      /longer than the heartbeat interval/,
    )
  })

  it('user check: a healthy user has no findings', () => {
    assert.deepEqual(checkUsers(healthy()), {ok: true, findings: []})
  })

  it('ADM-1: no presence licence, no service profile, no IM and Presence service in the profile', () => {
    assert.deepEqual(rules(healthy({presenceLicences: 0})), ['ADM-1 error'])
    assert.deepEqual(rules(healthy({defaultProfile: null})), ['ADM-1 error'])
    assert.deepEqual(rules(healthy({profiles: [{name: 'standard', services: ['dir-uds', 'dir-enh', 'dir-basic']}]})), ['ADM-1 error'])
    // Users not enabled for IM and Presence need none of it.
    assert.deepEqual(rules(healthy({users: [user('x', {imAndPresence: false, presenceNode: null})], defaultProfile: null})), [])
  })

  it('ADM-2: an enabled user whose Home Cluster is off', () => {
    assert.deepEqual(rules(healthy({users: [user('x', {homeCluster: false})]})), ['ADM-2 error'])
  })

  it('ADM-5: all three directory services in the profile; UDS refused where the database lacks the enterprise list', () => {
    const f = checkUsers(healthy({profiles: [{name: 'standard', services: ['dir-uds', 'imp1']}]})).findings
    assert.deepEqual(
      f.map((x) => [x.rule, x.severity]),
      [['ADM-5', 'warning']],
    )
    assert.match(f[0].message, /lacks enhanced directory, basic directory/)
    assert.deepEqual(rules(healthy({multiCluster: true, fullEnterpriseList: false})), ['ADM-5 error'])
    assert.deepEqual(rules(healthy({multiCluster: true, fullEnterpriseList: true})), [])
  })

  it('ADM-6: an enabled user without a line appearance associated', () => {
    assert.deepEqual(rules(healthy({users: [user('x', {device: null, extension: null})]})), ['ADM-6 error'])
  })

  it("ADM-7: the user's node must run AXL, Presence Engine and Proxy; a node not read is a finding; contact limits warn", () => {
    const down = checkUsers(healthy({nodeServices: new Map([['imp-pub', {...running, 'Cisco SIP Proxy': 'Stopped'}]])})).findings
    assert.deepEqual(
      down.map((x) => x.rule),
      ['ADM-7'],
    )
    assert.match(down[0].message, /Cisco SIP Proxy not running on imp-pub/)
    assert.deepEqual(rules(healthy({nodeServices: new Map([['imp-pub', undefined]])})), ['ADM-7 error'])
    assert.deepEqual(rules(healthy({users: [user('x', {presenceNode: null})]})), ['ADM-7 error'])
    assert.deepEqual(rules(healthy({contacts: new Map([['jdoe', {contacts: 201, watchers: 300}]])})), ['ADM-7 warning', 'ADM-7 warning'])
  })

  it('user check: findings of one kind name their users once (15,000 users: one finding)', () => {
    const users = Array.from({length: 15_000}, (_, i) => user(`u${i}`, {device: null}))
    const f = checkUsers(healthy({users, presenceLicences: 45_000})).findings
    assert.equal(f.length, 1)
    assert.match(f[0].message, /^15000 user\(s\) have no line appearance.*u0, u1, u2, u3, u4 and 14995 more$/)
    assert.equal(f[0].users?.length, 100)
  })
})

describe('the Sync Agent into an IM and Presence user table', () => {
  it('ADM-8, ADM-10: new users go to their node (its peer when failed over); reassigned users move; others stay; never mid-move', async () => {
    const {mkdtempSync, rmSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const {join} = await import('node:path')
    const {UserTable} = await import('../../src/lib/agent/presence-users.js')
    const dir = mkdtempSync(join(tmpdir(), 'ucctl-sync-'))
    try {
      const t = new UserTable(dir, ['imp-pub', 'imp-sub'], 4)
      assert.deepEqual(
        t.counts().map((c) => c.users),
        [2, 2],
      )
      const list = [
        {id: 'user00001@example.com', node: 'imp-pub'},
        {id: 'user00002@example.com', node: 'imp-sub'}, // reassigned by the administrator
        {id: 'user00003@example.com', node: 'imp-sub'},
        {id: 'jdoe', node: 'imp-pub'},
      ]
      assert.equal(t.sync(1, list), true)
      assert.deepEqual(t.placeOf('user00002@example.com'), {signedInTo: 'imp-sub', assigned: 'imp-sub'})
      assert.deepEqual(t.placeOf('jdoe'), {signedInTo: 'imp-pub', assigned: 'imp-pub'})
      assert.equal(t.placeOf('user00004@example.com'), undefined, 'no longer enabled: gone')
      assert.equal(t.revision, 1)
      // imp-pub failed over: every user of it on imp-sub. A new imp-pub user signs in to imp-sub.
      const moved = await t.move(
        {from: 'imp-pub', to: 'imp-sub', select: 'all', reason: 'test'},
        {stamp: () => 5, batchSize: 10, pauseMs: 0, stopping: () => false, onProgress: () => {}, afterBatch: () => {}},
      )
      assert.equal(moved.moved, 2)
      t.sync(2, [...list, {id: 'asmith', node: 'imp-pub'}])
      assert.deepEqual(t.placeOf('asmith'), {signedInTo: 'imp-sub', assigned: 'imp-pub'})
      // Reopened from disk: the same table.
      const again = new UserTable(dir, ['imp-pub', 'imp-sub'], 4)
      assert.deepEqual(
        again.usersOn('imp-sub').map((u) => u.id),
        ['user00001@example.com', 'user00002@example.com', 'user00003@example.com', 'jdoe', 'asmith'],
      )
      // A replica of another revision is not adopted.
      assert.equal(again.adopt({...again.data(), stamp: 99, revision: 1}), false)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
