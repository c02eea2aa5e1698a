// One lock mechanism (issue 15): an action validated before its operation exists (an upgrade
// asks every peer first) reserves the operation registry's lock keys, and its operation takes
// them over; a second action meanwhile is 409 Busy, whether the first is validated or running.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, describe, it} from 'node:test'
import {OperationRegistry} from '../../src/lib/agent/operations.js'
import {ConflictError} from '../../src/lib/errors.js'
import {eventually, tempDir} from '../helpers/agents.js'

describe('operation lock keys and reservations', () => {
  const dir = tempDir()
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('UPG-4: a reservation holds its keys while the action is validated; its operation takes them over; released, they are free', async () => {
    const ops = new OperationRegistry(dir, 'cucm-pub')
    const reservation = ops.reserve('upgrade', ['partitions'])
    assert.throws(
      () => ops.reserve('switch-version', ['partitions']),
      (e: Error) => e instanceof ConflictError && /being validated/.test(e.message),
    )
    assert.throws(() => ops.start('switch-version', {}, ['partitions'], async () => ({})), ConflictError)
    let finish = () => {}
    const op = ops.start('upgrade', {}, ['partitions', 'service:x'], () => new Promise((resolve) => (finish = () => resolve({}))), {
      owner: reservation.id,
    })
    // The operation holds the key now: the reservation's release does not free it.
    reservation.release()
    assert.throws(
      () => ops.reserve('upgrade', ['partitions']),
      (e: Error) => e instanceof ConflictError && e.message.includes(`(upgrade, ${op.id}) is running`),
    )
    finish()
    await eventually(() => (ops.get(op.id).state === 'succeeded' ? true : undefined))
    ops.reserve('switch-version', ['partitions']).release()
    const refused = ops.reserve('upgrade', ['partitions'])
    refused.release()
    refused.release()
    ops.reserve('upgrade', ['partitions']).release()
  })
})
