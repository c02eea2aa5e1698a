import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  CheckFailedError,
  ConflictError,
  errorFromWire,
  EXIT_CODES,
  exitCodeOf,
  ForbiddenError,
  InternalError,
  InterruptedError,
  NotFoundError,
  PartialFailureError,
  RefusedError,
  UnauthorizedError,
  UnreachableError,
  UsageError,
  WaitTimeoutError,
} from '../../src/lib/errors.js'

// DESIGN.md "Exit codes" as a table: error class → exit code → HTTP status of the agent.
const TABLE = [
  [InternalError, 1, 500],
  [PartialFailureError, 1, 500],
  [UsageError, 2, 400],
  [NotFoundError, 2, 404],
  [CheckFailedError, 3, 200],
  [UnauthorizedError, 4, 401],
  [ForbiddenError, 4, 403],
  [RefusedError, 5, 422],
  [ConflictError, 6, 409],
  [UnreachableError, 7, 502],
  [WaitTimeoutError, 124, 504],
  [InterruptedError, 130, 499],
] as const

describe('errors and exit codes (DESIGN.md)', () => {
  for (const [Cls, exit, status] of TABLE) {
    it(`${Cls.name} exits ${exit} and is HTTP ${status} on the wire, and comes back as itself`, () => {
      const e = new Cls('x', {rule: 'UC-7', hint: 'h'})
      assert.equal(exitCodeOf(e), exit)
      assert.equal(e.httpStatus, status)
      const back = errorFromWire(status, e.toWire())
      assert.ok(back instanceof Cls, `${back.name} is not ${Cls.name}`)
      assert.equal(back.rule, 'UC-7')
      assert.equal(back.hint, 'h')
    })
  }

  it('every documented exit code is in the table, once', () => {
    assert.deepEqual(
      EXIT_CODES.map((c) => c.code),
      [0, 1, 2, 3, 4, 5, 6, 7, 124, 130],
    )
  })

  it("oclif's parser errors (exit 2) are usage errors; anything unknown is internal (1)", () => {
    assert.equal(exitCodeOf(Object.assign(new Error('Nonexistent flag'), {oclif: {exit: 2}})), 2)
    assert.equal(exitCodeOf(new TypeError('bug')), 1)
  })

  it('an unknown error code from an agent falls back to its HTTP status', () => {
    assert.ok(errorFromWire(409, {code: 'Whatever', message: 'm'}) instanceof ConflictError)
    assert.ok(errorFromWire(599, undefined) instanceof InternalError)
  })
})
