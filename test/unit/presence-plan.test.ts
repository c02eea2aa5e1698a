// The operator's group actions (domain/presence-plan.ts): which SRM performs each (PRG-3), their
// dry run, and the one lock that keeps one operator action per group (PRG-8).
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {describe, it} from 'node:test'
import {OperationRegistry} from '../../src/lib/agent/operations.js'
import {
  actionImpact,
  applyEvent,
  GROUP_ACTION_TABLE,
  GROUP_ACTIONS,
  newGroup,
  operatorEvent,
  performerOf,
  planRebalance,
} from '../../src/lib/domain/presence-redundancy.js'
import {ConflictError, NotFoundError, UsageError} from '../../src/lib/errors.js'
import {tempDir} from '../helpers/agents.js'

const A = 'imp-pub'
const B = 'imp-sub'
const T0 = 1_700_000_000_000
const group = () =>
  newGroup({
    name: 'prg1',
    nodes: [
      {name: A, users: 4000},
      {name: B, users: 4000},
    ],
    haEnabled: true,
  })

describe('presence group actions', () => {
  it('PRG-3: the SRM that performs a failover is the peer of the failed node; a fallback, the node taking its users back', () => {
    const g = group()
    assert.equal(performerOf(g, 'failover', A), B)
    assert.equal(performerOf(g, 'failover', B), A)
    assert.equal(performerOf(g, 'fallback', A), A)
    for (const action of ['recover', 'ha-enable', 'ha-disable', 'rebalance'] as const) assert.equal(performerOf(g, action, undefined), null)
    // The machine says the same: the mover of a failover's users is the performer.
    const moves = applyEvent(g, operatorEvent('failover', A)!, T0).effects.filter((e) => e.kind === 'moveUsers')
    assert.deepEqual(
      moves.map((m) => m.by),
      [B],
    )
    assert.throws(() => performerOf(g, 'failover', 'cucm-pub'), NotFoundError)
  })

  it('PRG-8, PRG-9: each action is listed once, with its event; an action on a node needs the node', () => {
    assert.deepEqual(Object.keys(GROUP_ACTION_TABLE), [...GROUP_ACTIONS])
    assert.deepEqual(operatorEvent('ha-enable', undefined), {type: 'haEnable'})
    assert.equal(operatorEvent('rebalance', undefined), null)
    assert.throws(() => operatorEvent('fallback', undefined), UsageError)
  })

  it('PRG-10: the dry run of a rebalance lists its moves; PRG-11: the impact only of actions that move users by SRM', () => {
    assert.deepEqual(planRebalance([{from: A, to: B, users: 10}]), {
      changes: [`assign 10 users of ${A} to ${B}, and move them`],
      rules: ['PRG-10: users spread evenly over the nodes'],
    })
    assert.equal(actionImpact('failover', A).impact?.[1].subject, `ad hoc chat rooms hosted on ${A}`)
    assert.equal(actionImpact('recover', undefined).impact?.length, 5)
    assert.deepEqual(actionImpact('ha-disable', undefined), {})
  })

  it("PRG-8: one lock per group: a peer's lease and an operation of this node exclude each other; a lease ends by itself", async () => {
    const dir = tempDir()
    let now = T0
    try {
      const ops = new OperationRegistry(dir, A, () => now)
      ops.hold('group:prg1', 'token-b', B, 1000)
      assert.throws(
        () => ops.start('ha-disable', {group: 'prg1'}, ['group:prg1'], async () => ({})),
        (e: Error) => e instanceof ConflictError && /from imp-sub/.test(e.message),
      )
      // The holder may renew its own lease; another may not take it.
      ops.hold('group:prg1', 'token-b', B, 1000)
      assert.throws(() => ops.hold('group:prg1', 'token-c', A, 1000), ConflictError)
      now += 1001
      assert.equal(ops.lockOf('group:prg1'), undefined, 'an expired lease holds nothing')
      // An operation that takes over the lock its owner held, and holds it until it ends.
      ops.hold('group:prg1', 'token-a', A, 1000)
      let finish = () => {}
      const op = ops.start('failover', {group: 'prg1'}, ['group:prg1'], () => new Promise((r) => (finish = () => r({}))), {
        owner: 'token-a',
      })
      assert.equal(ops.lockOf('group:prg1')?.operation, op.id)
      assert.throws(() => ops.hold('group:prg1', 'token-b', B, 1000), ConflictError)
      finish()
      await ops.waitForChange(op.id, 0, 5000)
      assert.equal(ops.lockOf('group:prg1'), undefined)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
