// Issue 16: a context of kind cisco against the fixtures, the hard cases: read-only contexts,
// commands the interfaces cannot serve, wrong password, SOAP fault, malformed XML, a changed SSH
// host key, a node down; redacted wire logs and the audit log; the fixture's own WSDL checks.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import {ciscoSuite} from '../helpers/cisco-fixture.js'

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
}

// Two groups that share nothing run side by side, each against its own fixture cluster and home,
// each one's tests in order (a suite would inherit the concurrency of its parent).
describe('cisco contexts: refusals, faults and records (issue 16)', {concurrency: 2}, () => {
  describe('refusals before any request', {concurrency: false}, () => {
    const suite = ciscoSuite()
    const {cli, ok} = suite

    it('context add --cisco', async () => {
      ok(await suite.addContext('prod'))
      // Pins the SSH host keys of the IM and Presence nodes.
      ok(await cli(['pcluster', 'status', '--json']))
    })

    it('a read-only context refuses every mutating command with exit 5 before any request; dry runs and reads work', async () => {
      ok(await suite.addContext('ro', '--read-only'))
      const seen = suite.fx.requests.length
      for (const args of [
        ['service', 'stop', 'Cisco Tftp', '--node', 'cucm-pub', '--yes'],
        ['pcluster', 'fallback', 'imp-pub', '--yes'],
        ['cluster', 'activate', 'cuc-sub', '--yes'],
        ['throttle', 'params', '--node', 'cucm-pub', '--set', 'codeYellowEntryLatencyMs=25', '--yes'],
      ]) {
        const r = await cli([...args, '--context', 'ro', '--json'])
        assert.equal(r.code, 5, `${args.join(' ')}: ${r.stdout}`)
        assert.match(r.json.error.message, /read-only/)
      }
      assert.equal(suite.fx.requests.length, seen)
      ok(await cli(['service', 'list', '--node', 'cucm-pub', '--context', 'ro', '--json']))
    })

    it('with a cisco context current, context and lab commands still act on what they always did', async () => {
      const list = ok(await cli(['context', 'list', '--json']))
      assert.ok(list.contexts.some((c: any) => c.name === 'prod'))
      const lab = await cli(['lab', 'status', '--json'])
      assert.notEqual(lab.code, 5, lab.stderr)
    })

    it('commands the interfaces cannot serve are refused with exit 5, naming why', async () => {
      for (const [args, why] of [
        [['lab', 'up', '--context', 'prod'], /not the embedded lab/],
        [['ctios', 'status'], /CTI OS/],
        [['service', 'startup', 'Cisco Tftp', 'Manual', '--node', 'cucm-pub'], /startup type/],
      ] as const) {
        const r = await cli([...args])
        assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`)
        assert.match(r.stderr, why)
      }
    })

    it('a changed SSH host key is refused with a clear message; nothing is sent', async () => {
      const pins = join(suite.home, 'config', 'cisco-known-hosts.json')
      const saved = readFileSync(pins, 'utf8')
      const changed = Object.fromEntries(Object.entries(JSON.parse(saved)).map(([k]) => [k, 'SHA256:somethingelse']))
      writeFileSync(pins, JSON.stringify(changed))
      const r = await cli(['pcluster', 'status'])
      writeFileSync(pins, saved)
      assert.equal(r.code, 5, r.stderr)
      assert.match(r.stderr, /not the one pinned on first use/)
    })

    it('every request the driver sent matched the WSDL tables of the fixture', () => {
      assert.deepEqual(suite.fx.rejected, [])
    })
  })

  describe('faults, records and nodes down', {concurrency: false}, () => {
    const suite = ciscoSuite()
    const {cli, ok} = suite
    before(async () => {
      ok(await suite.addContext('prod'))
    })

    it('faults: a wrong password exits 4; a SOAP fault and malformed XML exit 1 saying so', async () => {
      const wrong = await cli(['status', '--json'], {UCCTL_CISCO_PASSWORD: 'not-the-password'})
      assert.equal(wrong.code, 4)
      assert.equal(wrong.json.error.code, 'Unauthorized')
      const sshWrong = await cli(['pcluster', 'status', '--json'], {UCCTL_CISCO_PASSWORD: 'not-the-password'})
      assert.equal(sshWrong.code, 4, sshWrong.stderr)
      assert.match(sshWrong.json.error.message, /refused the platform CLI login/)
      suite.fx.faults.set('soapGetServiceStatus', 'soap-fault')
      const fault = await cli(['service', 'list', '--node', 'cucm-pub'])
      assert.equal(fault.code, 1)
      assert.match(fault.stderr, /soapGetServiceStatus failed: soapGetServiceStatus failed on the server/)
      suite.fx.faults.set('soapGetServiceStatus', 'malformed')
      const malformed = await cli(['service', 'list', '--node', 'cucm-pub'])
      assert.equal(malformed.code, 1)
      assert.match(malformed.stderr, /malformed XML/)
    })

    it('--debug-wire writes the exchanges redacted; no password anywhere but the 0600 credentials file; every request audited', async () => {
      const wire = join(suite.home, 'wire.log')
      ok(await cli(['service', 'list', '--node', 'cucm-sub', '--debug-wire', wire, '--json']))
      const text = readFileSync(wire, 'utf8')
      assert.match(text, /soapGetServiceStatus/)
      assert.match(text, /authorization: Basic \[redacted\]/)
      assert.equal(statSync(wire).mode & 0o777, 0o600)
      const basic = Buffer.from(`${suite.fx.username}:${suite.fx.password}`).toString('base64')
      for (const f of filesUnder(suite.home)) {
        if (f.endsWith('credentials.json')) continue
        const content = readFileSync(f, 'utf8')
        assert.ok(!content.includes(suite.fx.password) && !content.includes(basic), `credential in ${f}`)
      }
      const audit = readFileSync(join(suite.home, 'state', 'cisco-audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      assert.ok(
        audit.some(
          (a) =>
            a.interface === 'Control Center Services' &&
            a.operation === 'soapGetServiceStatus' &&
            a.node === 'cucm-sub' &&
            a.outcome === 'ok',
        ),
      )
      assert.ok(audit.some((a) => a.outcome === 'Unauthorized'))
    })

    it('node down: status marks it unreachable and answers for the rest (exit 0); a read of that node exits 7', async () => {
      await suite.fx.stop('cucm-sub')
      const status = await cli(['status', '--json'])
      const doc = ok(status)
      const down = doc.nodes.find((n: any) => n.name === 'cucm-sub')
      assert.equal(down.health, 'unreachable')
      assert.equal(down.error.code, 'Unreachable')
      assert.match(status.stderr, /warning: could not read cucm-sub/)
      // A check never passes on what it did not read.
      const check = await cli(['status', '--check', '--json'])
      assert.equal(check.code, 3, check.stdout)
      assert.ok(
        check.json.findings.some((f: any) => f.node === 'cucm-sub' && f.severity === 'error' && /could not read cucm-sub/.test(f.message)),
        check.stdout,
      )
      const throttle = ok(await cli(['throttle', 'status', '--json']))
      assert.equal(throttle.nodes.find((n: any) => n.name === 'cucm-sub').error.code, 'Unreachable')
      const r = await cli(['service', 'list', '--node', 'cucm-sub'])
      assert.equal(r.code, 7)
    })

    it('publishers down: cluster and pcluster status answer from the other server and mark the one not read (exit 0)', async () => {
      await suite.fx.stop('cuc-pub')
      await suite.fx.stop('imp-pub')
      const cluster = await cli(['cluster', 'status', '--json'])
      const c = ok(cluster)
      assert.deepEqual(
        c.unread.map((u: any) => [u.name, u.error.code]),
        [['cuc-pub', 'Unreachable']],
      )
      assert.equal(c.servers.find((x: any) => x.name === 'cuc-pub').error.code, 'Unreachable')
      assert.match(cluster.stderr, /warning: could not read cuc-pub/)
      const presence = await cli(['pcluster', 'status', '--json'])
      const p = ok(presence)
      assert.ok(
        p.groups.every((g: any) => g.seenBy === 'imp-sub'),
        presence.stdout,
      )
      assert.equal(p.groups.flatMap((g: any) => g.nodes).find((n: any) => n.name === 'imp-pub').error.code, 'Unreachable')
      assert.match(presence.stderr, /warning: could not read imp-pub/)
      const table = await cli(['pcluster', 'status'])
      assert.match(table.stdout, /not read: Unreachable/)
    })

    it('every request the driver sent matched the WSDL tables of the fixture', () => {
      assert.deepEqual(suite.fx.rejected, [])
    })

    it('the fixture really rejects what does not match the WSDL: a wrong namespace, an unknown element, an unqualified child', async () => {
      const {request} = await import('node:https')
      const node = suite.fx.nodes.get('cucm-pub')!
      const post = (action: string, inner: string, ns = 'http://schemas.cisco.com/ast/soap') =>
        new Promise<number>((resolve, reject) => {
          const body = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="${ns}"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`
          const req = request(
            `${node.url}/controlcenterservice2/services/ControlCenterServices`,
            {
              method: 'POST',
              ca: readFileSync(suite.fx.ca),
              headers: {
                soapaction: `"${action}"`,
                authorization: 'Basic ' + Buffer.from(`${suite.fx.username}:${suite.fx.password}`).toString('base64'),
              },
            },
            (res) => {
              res.resume()
              resolve(res.statusCode ?? 0)
            },
          )
          req.on('error', reject)
          req.end(body)
        })
      assert.equal(await post('soapGetServiceStatus', '<ns:soapGetServiceStatus><ns:ServiceStatus/></ns:soapGetServiceStatus>'), 200)
      assert.equal(
        await post(
          'soapGetServiceStatus',
          '<ns:soapGetServiceStatus><ns:ServiceStatus/></ns:soapGetServiceStatus>',
          'http://example.com/other',
        ),
        500,
      )
      assert.equal(await post('soapGetServiceStatus', '<ns:soapGetServiceStatus><ns:ServiceName/></ns:soapGetServiceStatus>'), 500)
      assert.equal(await post('soapGetServiceStatus', '<ns:soapGetServiceStatus><ServiceStatus/></ns:soapGetServiceStatus>'), 500)
      assert.equal(await post('soapDoControlServices', '<ns:soapGetServiceStatus><ns:ServiceStatus/></ns:soapGetServiceStatus>'), 500)
      assert.equal(suite.fx.rejected.length, 4, suite.fx.rejected.join('\n'))
    })
  })
})
