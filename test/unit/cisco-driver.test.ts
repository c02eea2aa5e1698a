// The cisco driver's pure parts: the platform CLI's printed shapes (CISCO.md, Cisco's CLI
// reference), CUPI's display states onto UC-2, PerfMon's counters onto THR-6's states,
// Control Center's service states, and the redaction of wire logs.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {STATUS_NAMES} from '../../src/lib/domain/connection-statuses.js'
import {classifyGroup} from '../../src/lib/domain/presence-redundancy.js'
import {connectionStatus, CUPI_DISPLAY_STATES, serviceState, throttleStateFromCounters} from '../../src/lib/drivers/cisco/mapping.js'
import {haRequestAccepted, parseCucClusterStatus, parseHaStatus, parseShowVersion} from '../../src/lib/drivers/cisco/platform-cli.js'
import {groupFromHa} from '../../src/lib/drivers/cisco/reads.js'
import {parseNodeFlag} from '../../src/lib/drivers/cisco/context.js'
import {redact} from '../../src/lib/drivers/cisco/wire.js'
import {UsageError} from '../../src/lib/errors.js'

const counters = (over: Record<string, number> = {}) => ({
  AverageExpectedDelay: 2,
  ThrottlingSampleActivity: 0,
  CallsRejectedDueToThrottling: 0,
  TotalCodeYellowEntry: 0,
  CodeYellowEntryExit: 0,
  CodeRedEntryExit: 0,
  ...over,
})

describe('cisco driver: printed shapes and mappings', () => {
  it('PRG-5/PRG-6: utils ha status as documented, with unknown lines kept apart and states in any case', () => {
    const text = [
      'admin:utils ha status',
      '',
      'Subcluster Name: DefaultCluster',
      '   Node 1 Name : kal-cup1 State: Failed Over with Critical Services not Running Reason: Critical Service Down',
      '   Node 2 Name : shorty-cups State: Running in Backup Mode Reason: Critical Service Down',
      'Some banner we have never seen',
    ].join('\n')
    const ha = parseHaStatus(text)
    assert.equal(ha.subclusters.length, 1)
    const [n1, n2] = ha.subclusters[0].nodes
    assert.deepEqual(
      [n1.name, n1.state, n1.reason],
      ['kal-cup1', 'Failed Over with Critical Services Not Running', 'Critical Service Down'],
    )
    assert.deepEqual([n2.state, n2.reason], ['Running in Backup Mode', 'Critical Service Down'])
    assert.deepEqual(ha.unknownLines, ['admin:utils ha status', 'Some banner we have never seen'])
  })

  it('PRG-5: a node line without a reason, and a state ucctl does not know, are never guessed', () => {
    const ha = parseHaStatus('Subcluster Name: g1\nNode 1 Name : a State: Normal\nNode 2 Name : b State: Dancing Reason: Moonlight\n')
    assert.deepEqual(
      ha.subclusters[0].nodes.map((n) => [n.state, n.reason, n.stateText]),
      [
        ['Normal', null, 'Normal'],
        [null, null, 'Dancing'],
      ],
    )
  })

  it('PRG-9: "High Availability Not Enabled" marks the group disabled', () => {
    const ha = parseHaStatus(
      'Subcluster Name: DefaultCluster\nNode 1 Name : a State: Unknown Reason: High Availability Not Enabled\nNode 2 Name : b State: Unknown Reason: High Availability Not Enabled\n',
    )
    assert.equal(ha.subclusters[0].haEnabled, false)
  })

  it('PRG-7: the pair is oriented as the table says (node 1 is the node whose users moved)', () => {
    const ha = parseHaStatus(
      'Subcluster Name: g\nNode 1 Name : b State: Running in Backup Mode Reason: On Admin Request\nNode 2 Name : a State: Idle Reason: On Admin Request\n',
    )
    const g = groupFromHa(ha.subclusters[0])
    const c = classifyGroup(g)!
    assert.equal(c.row.row, 3)
    assert.equal(g.nodes[c.node1].name, 'a')
    assert.equal(g.node1, c.node1)
  })

  it('utils ha failover|fallback|recover is accepted only on "Request SUCCESSFUL."', () => {
    assert.equal(haRequestAccepted('Request SUCCESSFUL.\nSubcluster Name: g\n'), true)
    assert.equal(haRequestAccepted('Executed command unsuccessfully\n'), false)
  })

  it('UC-2: show cuc cluster status rows, aliases and unknown lines', () => {
    const r = parseCucClusterStatus(
      'Server Name   Member ID   Server State   Internal State   Reason\n-----------   ---------   ------------   --------------   ------\ncuc-pub   0   Primary   Pri Active   Normal\ncuc-sub   1   Idle   Sec Idle   Admin\nsomething odd\n',
    )
    assert.deepEqual(
      r.rows.map((x) => [x.name, x.status]),
      [
        ['cuc-pub', 'Primary'],
        ['cuc-sub', 'Deactivated'],
      ],
    )
    assert.deepEqual(r.unknownLines, ['something odd'])
  })

  it('UC-2: every CUPI ServerDisplayState but Unknown maps to one of the seven statuses, each used once', () => {
    const mapped = CUPI_DISPLAY_STATES.flatMap((s) => (s.status ? [s.status] : []))
    assert.deepEqual([...mapped].sort(), [...STATUS_NAMES].sort())
    assert.equal(connectionStatus('5'), 'Deactivated')
    assert.equal(connectionStatus(0), null)
    assert.equal(connectionStatus('42'), null)
  })

  it('THR-6: Code Yellow and Code Red from CodeYellowEntryExit / CodeRedEntryExit; missing counters are an error, not Normal', () => {
    assert.equal(throttleStateFromCounters(counters()), 'Normal')
    assert.equal(throttleStateFromCounters(counters({CodeYellowEntryExit: 1})), 'Code Yellow')
    assert.equal(throttleStateFromCounters(counters({CodeYellowEntryExit: 1, CodeRedEntryExit: 1})), 'Code Red')
    const {CodeRedEntryExit: _, ...partial} = counters()
    assert.throws(() => throttleStateFromCounters(partial), /CodeRedEntryExit missing/)
  })

  it('Control Center service states: Started → Running; anything unknown stays Unknown', () => {
    assert.deepEqual(['Started', 'Stopped', 'Starting', 'Stopping', 'Unknown', 'Weird'].map(serviceState), [
      'Running',
      'Stopped',
      'Starting',
      'Stopping',
      'Unknown',
      'Unknown',
    ])
  })

  it('show version active|inactive', () => {
    assert.equal(
      parseShowVersion('Active Master Version: 8.6.2.10000-30\nActive Version Installed Software Options:\n', 'active'),
      '8.6.2.10000-30',
    )
    assert.equal(parseShowVersion('No inactive version found.\n', 'inactive'), null)
  })

  it('--node NAME=PRODUCT@URL[,ssh=PORT]: https only, known products', () => {
    assert.deepEqual(parseNodeFlag('cuc-pub=cuc@https://cuc-pub.example.net,ssh=2222'), {
      name: 'cuc-pub',
      product: 'cuc',
      role: null,
      url: 'https://cuc-pub.example.net',
      sshPort: 2222,
    })
    assert.throws(() => parseNodeFlag('x=ctios@https://h'), UsageError)
    assert.throws(() => parseNodeFlag('x=cucm@http://h'), /https/)
    assert.throws(() => parseNodeFlag('x@https://h'), UsageError)
  })

  it('wire logs: Basic and Bearer credentials and the password itself are redacted', () => {
    const out = redact('authorization: Basic YWRtaW46c2VjcmV0\nAuthorization: Bearer abc\nbody with s3cret-Pass inside', ['s3cret-Pass'])
    assert.ok(!/YWRtaW46c2VjcmV0|abc\n|s3cret-Pass/.test(out), out)
  })
})
