import {describe, it} from 'node:test'
import assert from 'node:assert/strict'

import {UsageError} from '../../src/lib/errors.js'
import {
  areCompatible,
  compareVersions,
  formatVersion,
  isAtOrBefore,
  isReleaseOf,
  matchesFirstUpgraded,
  parseVersion,
} from '../../src/lib/domain/version.js'

// Every version form printed in seeds 000, 001 and 003, with the fields it must yield.
const FORMS = [
  {text: '9.0.2.10000-4', form: 'five-field', fields: {major: 9, minor: 0, maintenance: 2, build: 10000, n: 4}},
  {text: '9.0.12.30000-2', form: 'five-field', fields: {major: 9, minor: 0, maintenance: 12, build: 30000, n: 2}},
  {text: '9.0(1)', form: 'parenthesized', fields: {major: 9, minor: 0, maintenance: 1}},
  {text: '8.6(4)', form: 'parenthesized', fields: {major: 8, minor: 6, maintenance: 4}},
  {text: '8.0(1)', form: 'parenthesized', fields: {major: 8, minor: 0, maintenance: 1}},
  {text: '4.6.1.x', form: 'wildcard', fields: {major: 4, minor: 6, maintenance: 1}},
  {text: '8.6.x', form: 'wildcard', fields: {major: 8, minor: 6}},
  {text: '7.0', form: 'dotted', fields: {major: 7, minor: 0}},
  {text: '4.6.2', form: 'dotted', fields: {major: 4, minor: 6, maintenance: 2}},
  {text: '5.0', form: 'dotted', fields: {major: 5, minor: 0}},
  {text: '4.6.1.3', form: 'dotted', fields: {major: 4, minor: 6, maintenance: 1, build: 3}},
] as const

describe('parseVersion', () => {
  for (const row of FORMS) {
    it(`UPG-1: parses ${row.text} as ${row.form}`, () => {
      const v = parseVersion(row.text)
      assert.equal(v.form, row.form)
      assert.equal(v.text, row.text)
      const got = {major: v.major, minor: v.minor, maintenance: v.maintenance, build: v.build, n: v.n}
      assert.deepEqual(got, {maintenance: undefined, build: undefined, n: undefined, ...row.fields})
      assert.equal(formatVersion(v), row.text)
    })
  }

  for (const bad of ['', '9', '9.0.2.10000.5', 'nine.0', '9.0(x)', '9.0.2.10000-', 'v9.0.1', '9.0.1.x.1']) {
    it(`UPG-1: rejects ${JSON.stringify(bad)} with a UsageError naming it`, () => {
      assert.throws(
        () => parseVersion(bad),
        (err: unknown) => err instanceof UsageError && err.message.includes(`"${bad}"`) && err.exitCode === 2,
      )
    })
  }
})

describe('compareVersions', () => {
  const ORDER = [
    {a: '9.0.1.10000-9', b: '9.0.2.10000-4', expected: -1},
    {a: '9.0.12.30000-2', b: '9.0.2.10000-4', expected: 1},
    {a: '9.0.1.10000-9', b: '9.0.1.10000-8', expected: 1},
    {a: '9.0.1.10000-9', b: '9.0.1.10000-9', expected: 0},
    {a: '8.6.2.10000-30', b: '9.0(1)', expected: -1},
    {a: '9.0(1)', b: '9.0.1.10000-9', expected: 0},
    {a: '8.5', b: '8.6(3)', expected: -1},
    {a: '4.6.2', b: '4.6.1.x', expected: 1},
  ] as const
  for (const row of ORDER) {
    it(`UPG-1: compares ${row.a} with ${row.b} → ${row.expected}`, () => {
      assert.equal(compareVersions(row.a, row.b), row.expected)
      assert.equal(compareVersions(row.b, row.a), -row.expected || 0)
    })
  }

  it('UPG-6: "8.5 and earlier" includes 8.5 builds and 8.0(1), not 8.6.1', () => {
    assert.equal(isAtOrBefore('8.5.1.10000-5', '8.5'), true)
    assert.equal(isAtOrBefore('8.0(1)', '8.5'), true)
    assert.equal(isAtOrBefore('8.6.1.10000-1', '8.5'), false)
  })
})

describe('isReleaseOf (short form vs five fields)', () => {
  it('UPG-5: installed 9.0.1.10000-9 is target release 9.0(1)', () => {
    assert.equal(isReleaseOf('9.0.1.10000-9', '9.0(1)'), true)
  })
  it('UPG-5: installed 9.0.2.10000-4 is not release 9.0(1)', () => {
    assert.equal(isReleaseOf('9.0.2.10000-4', '9.0(1)'), false)
  })
  it('UPG-5: CUCM 8.6.2.10000-30 belongs to 8.6.x; CUP 8.6.4.10000-10 to 8.6(4)', () => {
    assert.equal(isReleaseOf('8.6.2.10000-30', '8.6.x'), true)
    assert.equal(isReleaseOf('8.6.4.10000-10', '8.6(4)'), true)
    assert.equal(isReleaseOf('8.6.3.10000-10', '8.6(4)'), false)
  })
  it('UPG-5: a release name does not belong to a five-field version (it cannot show the build)', () => {
    assert.equal(isReleaseOf('9.0(1)', '9.0.1.10000-9'), false)
  })
})

// UPG-1, every example pair of seed 003 (as printed there).
const UPG1_PAIRS = [
  {imp: '9.0.2.10000-4', cucm: '9.0.12.30000-2', compatible: true},
  {imp: '9.0.2.10000-4', cucm: '9.1.1.10000-3', compatible: false},
  {imp: '9.0.1.10000-9', cucm: '8.6.2.10000-6', compatible: false},
] as const

describe('UPG-1 compatibility', () => {
  for (const row of UPG1_PAIRS) {
    it(`UPG-1: IM&P ${row.imp} ${row.compatible ? 'works' : 'does not work'} with CUCM ${row.cucm}`, () => {
      assert.equal(areCompatible(row.cucm, row.imp), row.compatible)
    })
  }
})

describe('UPG-2 five fields', () => {
  const ROWS = [
    {first: '9.0.1.10000-9', candidate: '9.0.1.10000-9', matches: true},
    {first: '9.0.1.10000-9', candidate: '9.0.1.10000-8', matches: false},
    {first: '9.0.1.10000-9', candidate: '9.0.1.10001-9', matches: false},
    {first: '9.0.1.10000-9', candidate: '9.0.2.10000-9', matches: false},
    {first: '9.0.1.10000-9', candidate: '9.0(1)', matches: false},
  ] as const
  for (const row of ROWS) {
    it(`UPG-2: ${row.candidate} ${row.matches ? 'matches' : 'does not match'} first upgraded ${row.first}`, () => {
      assert.equal(matchesFirstUpgraded(row.first, row.candidate), row.matches)
    })
  }
})
