import {describe, it} from 'node:test'
import assert from 'node:assert/strict'

import {UsageError} from '../../src/lib/errors.js'
import {
  type LoadCheckInput,
  LOAD_DEFAULTS_BY_ICM,
  checkLoadParameter,
  effectiveLoad,
  failoverAgentState,
  loadChangeRefusal,
  loadDefaultFor,
  parseConfigurationParameters,
  withLoad,
} from '../../src/lib/domain/load-parameter.js'

const summary = (input: LoadCheckInput) => checkLoadParameter(input).findings.map((f) => `${f.rule} ${f.severity}`)

describe('parseConfigurationParameters (LOAD-6)', () => {
  it('LOAD-6: keeps the order, zero or one value per /NAME', () => {
    const parsed = parseConfigurationParameters('  /LOAD 0\t/NODEBUG  /PBX ACD1 ')
    assert.deepEqual(parsed.params, [
      {name: 'LOAD', value: '0', position: 0},
      {name: 'NODEBUG', value: null, position: 2},
      {name: 'PBX', value: 'ACD1', position: 3},
    ])
    assert.deepEqual(parsed.problems, [])
    assert.equal(parsed.load, 0)
  })

  it('LOAD-6: an empty field has no parameters and no problems', () => {
    assert.deepEqual(parseConfigurationParameters('   '), {params: [], problems: [], load: null})
  })

  const BAD = [
    {field: 'LOAD 0', kinds: ['malformed', 'malformed'], why: 'no slash'},
    {field: '/LOAD 0 1', kinds: ['malformed'], why: 'a second value'},
    {field: '/ 0', kinds: ['malformed', 'malformed'], why: 'empty name'},
    {field: '/LOAD 0 /LOAD 1', kinds: ['duplicate-load'], why: 'duplicated /LOAD'},
    {field: '/load 0 /LOAD 0', kinds: ['duplicate-load'], why: 'duplicated /LOAD in another case'},
    {field: '/LOAD zero', kinds: ['load-not-integer'], why: 'a non-integer value'},
    {field: '/LOAD 0.5', kinds: ['load-not-integer'], why: 'a fractional value'},
    {field: '/LOAD 2', kinds: ['load-out-of-range'], why: 'an out-of-range value'},
    {field: '/LOAD -1', kinds: ['load-out-of-range'], why: 'a negative value'},
    {field: '/LOAD', kinds: ['load-missing-value'], why: 'no value'},
    {field: '/PBX A /PBX B /LOAD 0', kinds: ['duplicate'], why: 'a duplicated other parameter'},
  ] as const
  for (const row of BAD) {
    it(`LOAD-6: reports ${row.why}: ${JSON.stringify(row.field)}`, () => {
      const parsed = parseConfigurationParameters(row.field)
      assert.deepEqual(
        parsed.problems.map((p) => p.kind),
        row.kinds,
      )
    })
  }

  it('LOAD-6: with two /LOAD the value is unknown', () => {
    assert.equal(parseConfigurationParameters('/LOAD 0 /LOAD 0').load, null)
  })
})

// LOAD-3 as a table: the document's rows, one concrete ICM version each, and the default.
const LOAD3_ROWS = [
  {icm: '4.6.1.x', example: '4.6.1.3', load: 0},
  {icm: '4.6.1.x', example: '4.5', load: 0},
  {icm: '4.6.2', example: '4.6.2', load: 1},
  {icm: '5.0', example: '5.0', load: 1},
  {icm: '6.0', example: '6.0(0)', load: 1},
  {icm: '7.0', example: '7.0(0)', load: 0},
  {icm: '8.0(1)', example: '8.0(1)', load: 0},
] as const

describe('LOAD-3 defaults by ICM version', () => {
  it("LOAD-3: the table holds exactly the document's rows", () => {
    assert.deepEqual(
      LOAD_DEFAULTS_BY_ICM.map((r) => [r.icm, r.load]),
      [
        ['4.6.1.x', 0],
        ['4.6.2', 1],
        ['5.0', 1],
        ['6.0', 1],
        ['7.0', 0],
        ['8.0(1)', 0],
      ],
    )
  })
  for (const row of LOAD3_ROWS) {
    it(`LOAD-3: ICM ${row.example} (row ${row.icm}) defaults to /LOAD ${row.load}`, () => {
      assert.equal(loadDefaultFor(row.example)?.load, row.load)
      assert.equal(loadDefaultFor(row.example)?.icm, row.icm)
    })
  }
  it('LOAD-3: ICM 7.5 and 8.5 have no documented default', () => {
    assert.equal(loadDefaultFor('7.5'), undefined)
    assert.equal(loadDefaultFor('8.5(1)'), undefined)
  })
})

describe('checkLoadParameter', () => {
  it('LOAD-1: /LOAD 0 with CTI OS 8.0 on ICM 8.0(1) passes', () => {
    assert.deepEqual(checkLoadParameter({params: '/LOAD 0', icmVersion: '8.0(1)', ctiosVersion: '8.0'}), {ok: true, findings: []})
  })

  it('LOAD-1: an empty field: enter /LOAD 0 and restart the PG', () => {
    const result = checkLoadParameter({params: '', icmVersion: '8.0(1)', ctiosVersion: '8.0'})
    assert.equal(result.ok, false)
    assert.deepEqual(
      result.findings.map((f) => [f.rule, f.severity, f.fix]),
      [['LOAD-1', 'error', 'enter /LOAD 0 and restart the PG']],
    )
    assert.match(result.findings[0].message, /ICM 8\.0\(1\), CTI OS 8\.0/)
  })

  it('LOAD-2: /LOAD 1 where CTI OS is used breaks LOAD-1 and explains NotReady on failover', () => {
    const result = checkLoadParameter({params: '/LOAD 1', icmVersion: '8.0(1)', ctiosVersion: '8.0'})
    assert.deepEqual(
      result.findings.map((f) => f.rule),
      ['LOAD-1'],
    )
    assert.match(result.findings[0].message, /NotReady on failover/)
    assert.match(result.findings[0].message, /LOAD-2/)
    assert.match(result.findings[0].message, /ICM 8\.0\(1\), CTI OS 8\.0/)
  })

  it('LOAD-1: without CTI OS, /LOAD 1 is not a CTI OS failover problem', () => {
    assert.deepEqual(checkLoadParameter({params: '/LOAD 1', icmVersion: '6.0', ctiosVersion: null}).findings, [])
  })

  it('LOAD-4: CTI OS 7.0 with /LOAD 1', () => {
    const result = checkLoadParameter({params: '/LOAD 1', icmVersion: '7.0', ctiosVersion: '7.0'})
    assert.deepEqual(summary({params: '/LOAD 1', icmVersion: '7.0', ctiosVersion: '7.0'}), ['LOAD-1 error', 'LOAD-4 error'])
    assert.match(result.findings[1].message, /CTI OS 7\.0 does not support \/LOAD 1/)
  })

  it('LOAD-4: CTI OS 7.0 on ICM 6.0 without /LOAD gets the default /LOAD 1', () => {
    const result = checkLoadParameter({params: '/PBX ACD', icmVersion: '6.0', ctiosVersion: '7.0'})
    assert.deepEqual(
      result.findings.filter((f) => f.rule !== 'LOAD-6').map((f) => `${f.rule} ${f.severity}`),
      ['LOAD-1 error', 'LOAD-4 error'],
    )
    assert.match(result.findings.find((f) => f.rule === 'LOAD-4')!.message, /default of ICM 6\.0/)
  })

  it('LOAD-1: no /LOAD on ICM 7.0 (default 0) is only a warning', () => {
    assert.deepEqual(summary({params: '/PBX ACD', icmVersion: '7.0', ctiosVersion: '7.0'}), ['LOAD-6 warning', 'LOAD-1 warning'])
  })

  const TRAP = [
    {target: '4.6.2', field: '/LOAD 1', findings: ['LOAD-1 error', 'LOAD-3 error']},
    {target: '5.0', field: '', findings: ['LOAD-1 error', 'LOAD-3 error']},
    {target: '6.0', field: '/LOAD 0', findings: []},
    {target: '7.0', field: '/LOAD 0', findings: []},
  ] as const
  for (const row of TRAP) {
    it(`LOAD-3: upgrade from 4.6.1.x to ${row.target} with ${JSON.stringify(row.field)}`, () => {
      const input = {params: row.field, icmVersion: row.target, ctiosVersion: '6.0', upgradedFrom: '4.6.1.2'}
      assert.deepEqual(summary(input), row.findings)
      const trap = checkLoadParameter(input).findings.find((f) => f.rule === 'LOAD-3')
      if (trap) assert.match(trap.message, new RegExp(`from ICM 4\\.6\\.1\\.2 .* to ICM ${row.target.replace('.', '\\.')}`))
    })
  }

  it('LOAD-3: the same upgrade without CTI OS raises nothing', () => {
    assert.deepEqual(summary({params: '/LOAD 1', icmVersion: '5.0', upgradedFrom: '4.6.1.2', usesCtios: false}), [])
  })

  it('LOAD-5: RejectIfAlreadyLoggedIn = 1 is a warning about desktop crashes', () => {
    const result = checkLoadParameter({params: '/LOAD 0', icmVersion: '7.0', ctiosVersion: '7.0', rejectIfAlreadyLoggedIn: 1})
    assert.equal(result.ok, true)
    assert.deepEqual(
      result.findings.map((f) => `${f.rule} ${f.severity}`),
      ['LOAD-5 warning'],
    )
    assert.match(result.findings[0].message, /same agent ID/)
    assert.match(result.findings[0].fix, /supervisor/)
    assert.deepEqual(summary({params: '/LOAD 0', icmVersion: '7.0', ctiosVersion: '7.0', rejectIfAlreadyLoggedIn: 0}), [])
  })

  it('LOAD-6: duplicated /LOAD and an unknown parameter', () => {
    const result = checkLoadParameter({params: '/LOAD 0 /LOAD 0 /FOO', icmVersion: '8.0(1)', ctiosVersion: '8.0'})
    assert.equal(result.ok, false)
    assert.deepEqual(
      result.findings.map((f) => `${f.rule} ${f.severity}`),
      ['LOAD-6 error', 'LOAD-6 warning'],
    )
    assert.match(result.findings[0].message, /\/LOAD appears 2 times/)
    assert.match(result.findings[1].message, /\/FOO is not a parameter ucctl knows/)
  })

  it('LOAD-6: an out-of-range /LOAD is an error and not read as 0 or 1', () => {
    assert.deepEqual(summary({params: '/LOAD 3', icmVersion: '8.0(1)', ctiosVersion: '8.0'}), ['LOAD-6 error'])
  })

  it('LOAD-6: a malformed field is reported, not treated as empty', () => {
    // ICM 8.0(1) defaults to /LOAD 0, so the missing /LOAD itself is only a LOAD-1 warning.
    assert.deepEqual(summary({params: 'LOAD', icmVersion: '8.0(1)', ctiosVersion: '8.0'}), ['LOAD-6 error', 'LOAD-1 warning'])
  })

  it('LOAD-3: an unparsable ICM version is a UsageError naming it', () => {
    assert.throws(
      () => checkLoadParameter({params: '/LOAD 0', icmVersion: 'eight', ctiosVersion: '8.0'}),
      (err: unknown) => err instanceof UsageError && err.message.includes('"eight"'),
    )
  })
})

describe('writing /LOAD into the field', () => {
  const WRITES = [
    {field: '', value: 0, out: '/LOAD 0', why: 'an empty field gets /LOAD 0 (LOAD-1)'},
    {field: '/LOAD 1', value: 0, out: '/LOAD 0', why: 'the value is replaced'},
    {field: '/PBX ACD1  /LOAD 1\t/NODEBUG', value: 0, out: '/PBX ACD1 /LOAD 0 /NODEBUG', why: 'the other parameters stay, in order'},
    {field: '/PBX ACD1', value: 0, out: '/PBX ACD1 /LOAD 0', why: 'a field without /LOAD gets it appended'},
    {field: '/load 1 /PBX A /LOAD 0', value: 0, out: '/LOAD 0 /PBX A', why: 'a duplicated /LOAD is dropped'},
    {field: '/LOAD /PBX A', value: 1, out: '/LOAD 1 /PBX A', why: 'a /LOAD without value gets one'},
  ] as const
  for (const row of WRITES) {
    it(`LOAD-6: ${row.why}: ${JSON.stringify(row.field)} → ${JSON.stringify(row.out)}`, () => {
      const out = withLoad(row.field, row.value)
      assert.equal(out, row.out)
      const parsed = parseConfigurationParameters(out)
      assert.equal(parsed.load, row.value)
      assert.deepEqual(parsed.problems, [])
    })
  }

  it('LOAD-3: the /LOAD in effect is the written one, else the ICM default, else unknown', () => {
    assert.equal(effectiveLoad('/LOAD 1', '8.0(1)'), 1)
    assert.equal(effectiveLoad('/PBX A', '6.0'), 1)
    assert.equal(effectiveLoad('', '8.0(1)'), 0)
    assert.equal(effectiveLoad('', '8.5(1)'), null)
    assert.equal(effectiveLoad('/LOAD 0 /LOAD 1', '8.0(1)'), null)
  })

  it('LOAD-1: writing /LOAD 1 on a CTI OS peripheral is refused; /LOAD 0 is not', () => {
    const p = {configurationParameters: '/LOAD 0 /PBX A', icmVersion: '8.0(1)', ctiosVersion: '8.0'}
    assert.equal(loadChangeRefusal(p, 1)?.rule, 'LOAD-1')
    assert.equal(loadChangeRefusal(p, 0), null)
  })

  it('LOAD-2 (run time), LOAD-3: /LOAD 1 may be written where the ICM version defaults to it (4.6.2, 5.0, 6.0), not elsewhere', () => {
    assert.equal(loadChangeRefusal({configurationParameters: '/LOAD 0', icmVersion: '6.0', ctiosVersion: '6.0'}, 1), null)
    assert.equal(loadChangeRefusal({configurationParameters: '/LOAD 0', icmVersion: '5.0', ctiosVersion: '6.0'}, 1), null)
    assert.equal(loadChangeRefusal({configurationParameters: '/LOAD 0', icmVersion: '7.0', ctiosVersion: '8.0'}, 1)?.rule, 'LOAD-1')
  })

  it('LOAD-2 (run time): agents Not Ready after a failover unless /LOAD 1 is in effect; never CTI-7 with CTI OS 7.0 (LOAD-4)', () => {
    assert.deepEqual(failoverAgentState({loadInEffect: 0, ctiosVersion: '8.0'}), {mode: 'Not Ready', rule: 'LOAD-2'})
    assert.deepEqual(failoverAgentState({loadInEffect: null, ctiosVersion: '8.0'}), {mode: 'Not Ready', rule: 'LOAD-2'})
    assert.deepEqual(failoverAgentState({loadInEffect: 1, ctiosVersion: '6.0'}), {mode: 'CTI-7', rule: 'CTI-7'})
    assert.deepEqual(failoverAgentState({loadInEffect: 1, ctiosVersion: '7.0'}), {mode: 'Not Ready', rule: 'LOAD-4'})
  })

  it('LOAD-4: writing /LOAD 1 with CTI OS 7.0 is refused by LOAD-4 first', () => {
    assert.equal(loadChangeRefusal({configurationParameters: '', icmVersion: '7.0', ctiosVersion: '7.0'}, 1)?.rule, 'LOAD-4')
  })

  it('LOAD-1: a field changed but not yet read by the PG (no restart) is reported', () => {
    const pending = checkLoadParameter({params: '/LOAD 0', icmVersion: '8.0(1)', ctiosVersion: '8.0', loadInEffect: 1})
    assert.deepEqual(
      pending.findings.map((f) => `${f.rule} ${f.severity}`),
      ['LOAD-1 error'],
    )
    assert.match(pending.findings[0].message, /still runs with \/LOAD 1/)
    assert.equal(pending.findings[0].fix, 'restart the PG')
    assert.deepEqual(checkLoadParameter({params: '/LOAD 0', icmVersion: '8.0(1)', ctiosVersion: '8.0', loadInEffect: 0}).findings, [])
  })
})
