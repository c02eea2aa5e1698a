// Issue 16's acceptance as a new user would: a context of kind cisco against fixtures built from
// Cisco's published definitions (the fixture rejects requests that do not match the WSDL), every
// command's --json checked against schemas/, read-only refusals and the fault cases.
import assert from 'node:assert/strict'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import {schemaProblems} from '../helpers/cli.js'
import {ciscoSuite} from '../helpers/cisco-fixture.js'

// Two groups that share nothing run side by side, each against its own fixture cluster and home,
// each one's tests in order (a suite would inherit the concurrency of its parent).
describe('cisco contexts against fixtures from the published definitions (issue 16)', {concurrency: 2}, () => {
  describe('Control Center Services, PerfMon and AXL', {concurrency: false}, () => {
    const suite = ciscoSuite()
    const {cli, ok} = suite
    const requests = (op: string) => suite.fx.requests.filter(([, o]) => o === op).length

    it('context add --cisco: nodes from AXL listProcessNode (not EnterpriseWideData) plus the ones given by hand; the password stored 0600', async () => {
      const r = await suite.addContext('prod')
      const doc = ok(r)
      assert.equal(doc.kind, 'Context')
      assert.deepEqual(
        doc.nodes.map((n: any) => `${n.name}:${n.product}:${n.role}`),
        [
          'cucm-pub:cucm:publisher',
          'cucm-sub:cucm:subscriber',
          'imp-pub:imp:publisher',
          'imp-sub:imp:subscriber',
          'cuc-pub:cuc:publisher',
          'cuc-sub:cuc:subscriber',
        ],
      )
      assert.match(r.stderr, /speaks AXL 8\.5 \(Unified CM 8\.6\.2\.10000-30\)/)
      const creds = join(suite.home, 'config', 'credentials.json')
      assert.equal(statSync(creds).mode & 0o777, 0o600)
      assert.ok(!readFileSync(join(suite.home, 'config', 'contexts.json'), 'utf8').includes(suite.fx.password))
    })

    it('status: version from getProductInformationList, health and services from soapGetServiceStatus', async () => {
      const doc = ok(await cli(['status', '--json']))
      assert.equal(doc.context, 'prod')
      const pub = doc.nodes.find((n: any) => n.name === 'cucm-pub')
      assert.deepEqual([pub.version, pub.health, pub.services], ['8.6.2.10000-30', 'ok', {running: 3, total: 3}])
      assert.equal(doc.nodes.find((n: any) => n.name === 'cuc-sub').version, '9.1.1.10000-1')
    })

    it('service list: Started → Running, "Service Not Activated" shown as such', async () => {
      const doc = ok(await cli(['service', 'list', '--node', 'cucm-pub', '--json']))
      const byName = Object.fromEntries(doc.services.map((s: any) => [s.name, s]))
      assert.equal(byName['Cisco CallManager'].state, 'Running')
      assert.deepEqual(
        [byName['Name Service Cache'].state, byName['Name Service Cache'].reason, byName['Name Service Cache'].activated],
        ['Stopped', 'Service Not Activated', false],
      )
    })

    it('service cycle "Cisco CallManager" --yes: soapDoControlServices Restart, waited until Started with a new start time', async () => {
      const before = suite.fx.nodes.get('cucm-pub')!.services[0].startTime
      const doc = ok(await cli(['service', 'cycle', 'Cisco CallManager', '--node', 'cucm-pub', '--yes', '--json']))
      assert.equal(doc.state, 'succeeded')
      assert.equal(doc.service.state, 'Running')
      assert.notEqual(suite.fx.nodes.get('cucm-pub')!.services[0].startTime, before)
      assert.equal(requests('soapDoControlServices'), 1)
    })

    it('a service that never reaches Started: exit 124, the operation still running', async () => {
      const r = await cli(['service', 'start', 'Cisco CTIManager', '--node', 'cucm-sub', '--timeout', '1', '--json'])
      assert.equal(r.code, 124, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.state, 'running')
      assert.equal(r.json.service.state, 'Starting')
    })

    it('a service that is not activated is refused (exit 5) before any control request', async () => {
      const sent = requests('soapDoControlServices')
      const r = await cli(['service', 'start', 'Name Service Cache', '--node', 'cucm-pub'])
      assert.equal(r.code, 5)
      assert.match(r.stderr, /not activated/)
      assert.equal(requests('soapDoControlServices'), sent)
    })

    it('THR-6: throttle status from PerfMon counters, Code Yellow derived from CodeYellowEntryExit', async () => {
      suite.fx.nodes.get('cucm-sub')!.counters.CodeYellowEntryExit = 1
      suite.fx.nodes.get('cucm-sub')!.counters.AverageExpectedDelay = 31
      const doc = ok(await cli(['throttle', 'status', '--json']))
      const byName = Object.fromEntries(doc.nodes.map((n: any) => [n.name, n]))
      assert.equal(byName['cucm-pub'].state, 'Normal')
      assert.deepEqual([byName['cucm-sub'].state, byName['cucm-sub'].averageExpectedDelayMs], ['Code Yellow', 31])
      assert.deepEqual(byName['cucm-sub'].thresholds, {entryMs: 20, exitMs: 8})
      suite.fx.nodes.get('cucm-sub')!.counters.CodeYellowEntryExit = 0
    })

    it('THR-7: throttle params read through AXL; a change warns and goes through updateServiceParameter only when confirmed', async () => {
      const shown = ok(await cli(['throttle', 'params', '--node', 'cucm-pub', '--json']))
      assert.equal(shown.parameters.find((p: any) => p.key === 'codeYellowEntryLatencyMs').value, 20)
      const unconfirmed = await cli(['throttle', 'params', '--node', 'cucm-pub', '--set', 'codeYellowEntryLatencyMs=30'])
      assert.equal(unconfirmed.code, 2)
      assert.equal(requests('updateServiceParameter'), 0)
      // AXL's throttle answer (HTTP 503) is waited out, not reported as a failure.
      suite.fx.faults.set('getServiceParameter', 'throttle')
      const r = await cli(['throttle', 'params', '--node', 'cucm-pub', '--set', 'codeYellowEntryLatencyMs=30', '--yes', '--json'])
      ok(r)
      assert.match(r.stderr, /THR-7/)
      assert.match(r.stderr, /AXL is throttling requests/)
      assert.equal(suite.fx.nodes.get('cucm-pub')!.params.CodeYellowEntryLatency, '30')
    })

    it('--no-wait returns the running operation at once (exit 0)', async () => {
      const doc = ok(await cli(['service', 'stop', 'Cisco Tftp', '--node', 'cucm-pub', '--no-wait', '--json']))
      assert.equal(doc.state, 'running')
      assert.equal(ok(await cli(['service', 'start', 'Cisco Tftp', '--node', 'cucm-pub', '--json'])).service.state, 'Running')
    })

    it('UPG-5: upgrade validate --context prod against the live active and inactive versions', async () => {
      const plan = join(suite.home, 'window.yaml')
      const planned = ok(await cli(['upgrade', 'plan', '--context', 'prod', '--to', '9.0(1)', '--json']))
      assert.deepEqual([planned.type, planned.rule], ['standard', 'UPG-5'])
      writeFileSync(plan, JSON.stringify(planned))
      const good = ok(await cli(['upgrade', 'validate', '--context', 'prod', '--plan', plan, '--json']))
      assert.deepEqual([good.kind, good.ok], ['CheckResult', true])
      writeFileSync(plan, "to: '9.0(1)'\nsteps:\n  - {number: 1, action: upgrade, nodes: [imp-pub]}\n")
      const bad = await cli(['upgrade', 'validate', '--context', 'prod', '--plan', plan, '--json'])
      assert.equal(bad.code, 3, bad.stderr)
      assert.deepEqual(schemaProblems(bad.json), [])
      assert.ok(bad.json.findings.some((f: any) => /^UPG-/.test(f.rule)))
    })

    it('every request the driver sent matched the WSDL tables of the fixture', () => {
      assert.deepEqual(suite.fx.rejected, [])
    })
  })

  describe('Unity Connection through CUPI, IM and Presence through the platform CLI', {concurrency: false}, () => {
    const suite = ciscoSuite()
    const {cli, ok} = suite
    before(async () => {
      ok(await suite.addContext('prod'))
    })

    it('UC-2: cluster status from CUPI vmsservers', async () => {
      const doc = ok(await cli(['cluster', 'status', '--json']))
      assert.deepEqual(
        doc.servers.map((s: any) => `${s.name}:${s.role}:${s.status}`),
        ['cuc-pub:publisher:Primary', 'cuc-sub:subscriber:Secondary'],
      )
    })

    it('UC-7: deactivating the Primary is refused (exit 5) before anything is sent over SSH', async () => {
      const r = await cli(['cluster', 'deactivate', 'cuc-pub', '--yes', '--json'])
      assert.equal(r.code, 5)
      assert.equal(r.json.error.rule, 'UC-7')
      assert.ok(!readFileSync(join(suite.home, 'state', 'cisco-audit.log'), 'utf8').includes('utils cuc cluster'))
    })

    it('UC-14: cluster make-primary through `utils cuc cluster makeprimary`, waited until CUPI says Primary', async () => {
      const doc = ok(await cli(['cluster', 'make-primary', 'cuc-sub', '--yes', '--json']))
      assert.equal(doc.state, 'succeeded')
      assert.equal(doc.server.status, 'Primary')
      const after = ok(await cli(['cluster', 'status', '--json']))
      assert.deepEqual(
        after.servers.map((s: any) => s.status),
        ['Secondary', 'Primary'],
      )
    })

    it('UC-8: deactivating a Secondary warns that its calls are dropped and needs confirmation; activate brings it back', async () => {
      const unconfirmed = await cli(['cluster', 'deactivate', 'cuc-pub'])
      assert.equal(unconfirmed.code, 2, unconfirmed.stderr)
      assert.equal(suite.fx.nodes.get('cuc-pub')!.cupi!.display, 4)
      const r = await cli(['cluster', 'deactivate', 'cuc-pub', '--yes', '--json'])
      assert.equal(ok(r).server.status, 'Deactivated')
      assert.match(r.stderr, /UC-8/)
      assert.equal(ok(await cli(['cluster', 'activate', 'cuc-pub', '--yes', '--json'])).server.status, 'Secondary')
    })

    it('PRG-7: pcluster status parses `utils ha status` (slow, with an unknown line) into states and the recommended action', async () => {
      suite.fx.cliDelayMs = 400
      const r = await cli(['pcluster', 'status', '--json'])
      suite.fx.cliDelayMs = 0
      const doc = ok(r)
      assert.equal(doc.groups[0].name, 'DefaultCluster')
      assert.equal(doc.groups[0].row, 1)
      assert.deepEqual(
        doc.groups[0].nodes.map((n: any) => `${n.name} ${n.state}/${n.reason}`),
        ['imp-pub Normal/Normal', 'imp-sub Normal/Normal'],
      )
      assert.match(r.stderr, /a line ucctl does not know/)
      assert.match(r.stderr, /pinned the SSH host key of imp-pub/)
    })

    it('PRG-8: a fallback from Normal/Normal is refused (exit 5) before `utils ha` is sent; failover --yes goes through and is waited for', async () => {
      const refused = await cli(['pcluster', 'fallback', 'imp-pub', '--yes'])
      assert.equal(refused.code, 5, refused.stderr)
      assert.match(refused.stderr, /PRG-8/)
      const doc = ok(await cli(['pcluster', 'failover', 'imp-pub', '--yes', '--json']))
      assert.equal(doc.state, 'succeeded')
      assert.match(doc.pair, /imp-pub Idle \/ By Admin Request \+ imp-sub Running in Backup Mode \/ By Admin Request \(PRG-7 row 3\)/)
      const audit = readFileSync(join(suite.home, 'state', 'cisco-audit.log'), 'utf8')
      assert.ok(!audit.includes('utils ha fallback'))
      assert.ok(audit.includes('utils ha failover imp-pub'))
    })

    it('every request the driver sent matched the WSDL tables of the fixture', () => {
      assert.deepEqual(suite.fx.rejected, [])
    })
  })
})
