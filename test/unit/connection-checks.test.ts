import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {checkLicenses, checkPorts, parsePerServer, PORT_RULES} from '../../src/lib/domain/connection-checks.js'
import {UsageError} from '../../src/lib/errors.js'
import {testSeed} from '../helpers/seed.js'

describe('Unity Connection cluster (SPEC §4)', () => {
  it('UC-15: the port table, by integration type', () => {
    const n = 16
    assert.deepEqual(
      PORT_RULES.map((r) => [r.integration, r.phoneSystem, r.perServer, r.distribution, r.phoneSystemPorts(n), r.perServerPorts(n)]),
      [
        ['sccp', '2N', "N (half of the phone system's)", 'subscriber answers most calls', 32, 16],
        ['sip-trunk', 'N', 'N/2', 'even', 16, 8],
        ['pimg-timg', 'N', 'N (the same ports on both)', 'even', 16, 16],
        ['sip', 'N', 'N/2', 'even', 16, 8],
      ],
    )
  })

  it('UC-15: each mismatch is an explained error; a matching plan passes', () => {
    assert.equal(
      checkPorts({
        integration: 'sccp',
        needed: 16,
        phoneSystem: 32,
        perServer: [
          {name: 'pub', ports: 16},
          {name: 'sub', ports: 16},
        ],
      }).ok,
      true,
    )
    const sccp = checkPorts({
      integration: 'sccp',
      needed: 16,
      phoneSystem: 16,
      perServer: [
        {name: 'pub', ports: 8},
        {name: 'sub', ports: 16},
      ],
    })
    assert.equal(sccp.ok, false)
    assert.deepEqual(
      sccp.findings.map((f) => [f.rule, f.severity, f.node ?? null]),
      [
        ['UC-15', 'error', null],
        ['UC-15', 'error', 'pub'],
      ],
    )
    assert.match(sccp.findings[0].message, /phone system has 16 .* 2N = 32/)
    const pimg = checkPorts({
      integration: 'pimg-timg',
      needed: 16,
      perServer: [
        {name: 'pub', ports: 16},
        {name: 'sub', ports: 24},
      ],
    })
    assert.ok(pimg.findings.some((f) => f.severity === 'error' && /same ports/.test(f.message)))
    assert.equal(
      checkPorts({
        integration: 'sip-trunk',
        needed: 16,
        phoneSystem: 16,
        perServer: [
          {name: 'pub', ports: 8},
          {name: 'sub', ports: 8},
        ],
      }).ok,
      true,
    )
    const alone = checkPorts({
      integration: 'sip',
      needed: 16,
      perServer: [
        {name: 'pub', ports: 16},
        {name: 'sub', ports: 0},
      ],
    })
    assert.ok(alone.findings.some((f) => f.severity === 'error' && /one server alone must carry all calls/.test(f.message)))
    assert.throws(() => checkPorts({integration: 'sip', needed: 0}), UsageError)
    assert.deepEqual(parsePerServer('16, 8'), [16, 8])
    for (const bad of ['16', '16,x', '-1,2', '1,2,3', ',4']) assert.throws(() => parsePerServer(bad), UsageError, bad)
  })

  it('UC-15: any N: a plan built from the table passes for every integration', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 2000}), fc.constantFrom(...PORT_RULES), (n, r) => {
        const per = r.perServerPorts(n)
        return checkPorts({
          integration: r.integration,
          needed: n,
          phoneSystem: r.phoneSystemPorts(n),
          perServer: [
            {name: 'a', ports: per},
            {name: 'b', ports: per},
          ],
        }).ok
      }),
      {seed: testSeed('UC-15 property')},
    )
  })

  it('UC-16: each server needs its own license holding its own MAC address', () => {
    const ok = checkLicenses([
      {name: 'cuc-pub', role: 'publisher', mac: '00:50:56:9A:3C:01', licenseMac: '0050.569a.3c01'},
      {name: 'cuc-sub', role: 'subscriber', mac: '00-50-56-9a-3c-02', licenseMac: '00:50:56:9a:3c:02'},
    ])
    assert.deepEqual(ok, {ok: true, findings: []})
    const swapped = checkLicenses([
      {name: 'cuc-pub', role: 'publisher', mac: '00:50:56:9a:3c:01', licenseMac: '00:50:56:9a:3c:02'},
      {name: 'cuc-sub', role: 'subscriber', mac: '00:50:56:9a:3c:02', licenseMac: null},
    ])
    assert.equal(swapped.ok, false)
    assert.deepEqual(
      swapped.findings.map((f) => [f.rule, f.node]),
      [
        ['UC-16', 'cuc-pub'],
        ['UC-16', 'cuc-sub'],
      ],
    )
    assert.match(swapped.findings[0].message, /license for MAC 00:50:56:9a:3c:02 \(the MAC of cuc-sub\), not its own MAC 00:50:56:9a:3c:01/)
    assert.match(swapped.findings[1].message, /no license installed/)
  })
})
