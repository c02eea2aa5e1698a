import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {testSeed} from '../helpers/seed.js'

import {UsageError} from '../../src/lib/errors.js'
import {
  PRESENCE_LIMITS,
  balancedAssignment,
  checkCapacity,
  checkRedundancyGroups,
  checkWanLink,
  rebalanceMoves,
  type PresenceNodeFacts,
} from '../../src/lib/domain/presence-capacity.js'

const imp = (name: string, over: Partial<PresenceNodeFacts> = {}): PresenceNodeFacts => ({
  name,
  version: '10.0.1.10000-1',
  cluster: 'cucm1',
  databasePublisher: 'imp-pub',
  ...over,
})
const NODES = [imp('imp-pub'), imp('imp-sub'), imp('imp-3'), imp('imp-4')]

describe('PRG-1: presence redundancy group membership', () => {
  it('PRG-1: a valid two-node group and a one-node group pass', () => {
    const r = checkRedundancyGroups(
      [
        {name: 'prg1', nodes: ['imp-pub', 'imp-sub']},
        {name: 'prg2', nodes: ['imp-3']},
      ],
      NODES,
    )
    assert.deepEqual(r, {ok: true, findings: []})
  })

  it('PRG-1: a group has one or two nodes', () => {
    const empty = checkRedundancyGroups([{name: 'prg1', nodes: []}], NODES)
    assert.equal(empty.ok, false)
    assert.match(empty.findings[0]!.message, /0 node/)
    const three = checkRedundancyGroups([{name: 'prg1', nodes: ['imp-pub', 'imp-sub', 'imp-3']}], NODES)
    assert.equal(three.ok, false)
    assert.deepEqual(
      three.findings.map((f) => [f.rule, f.severity]),
      [['PRG-1', 'error']],
    )
    assert.match(three.findings[0]!.message, /3 node/)
  })

  it('PRG-1: a node is in at most one group', () => {
    const r = checkRedundancyGroups(
      [
        {name: 'prg1', nodes: ['imp-pub', 'imp-sub']},
        {name: 'prg2', nodes: ['imp-sub', 'imp-3']},
      ],
      NODES,
    )
    assert.equal(r.ok, false)
    assert.equal(r.findings.length, 1)
    assert.match(r.findings[0]!.message, /imp-sub is in 2 groups \(prg1, prg2\)/)
  })

  it('PRG-1: both nodes run the same version, in the same cluster, with the same database publisher', () => {
    const nodes = [imp('a'), imp('b', {version: '10.0.1.10000-2'}), imp('c', {cluster: 'cucm2'}), imp('d', {databasePublisher: 'imp-x'})]
    const check = (pair: string[]) => checkRedundancyGroups([{name: 'g', nodes: pair}], nodes)
    assert.match(
      check(['a', 'b'])
        .findings.map((f) => f.message)
        .join(),
      /version/,
    )
    assert.match(
      check(['a', 'c'])
        .findings.map((f) => f.message)
        .join(),
      /cluster/,
    )
    assert.match(
      check(['a', 'd'])
        .findings.map((f) => f.message)
        .join(),
      /database publisher/,
    )
    for (const p of [
      ['a', 'b'],
      ['a', 'c'],
      ['a', 'd'],
    ])
      assert.equal(check(p).ok, false)
    assert.equal(checkRedundancyGroups([{name: 'g', nodes: ['a', 'nope']}], nodes).ok, false, 'unknown node')
  })

  it('PRG-1: WAN needs at least 10 Mb/s and at most 80 ms round trip', () => {
    assert.equal(checkWanLink({cluster: 'c', bandwidthMbps: 10, roundTripMs: 80}).ok, true)
    const slow = checkWanLink({cluster: 'c', bandwidthMbps: 9.5, roundTripMs: 81})
    assert.equal(slow.ok, false)
    assert.deepEqual(
      slow.findings.map((f) => f.rule),
      ['PRG-1', 'PRG-1'],
    )
    assert.match(slow.findings[0]!.message, /9.5 Mb\/s/)
    assert.match(slow.findings[1]!.message, /81 ms/)
    assert.equal(checkWanLink({cluster: 'c', bandwidthMbps: Number.NaN, roundTripMs: 1}).ok, false)
  })
})

describe('PRG-10: capacity and balance', () => {
  it('PRG-10: at most 15,000 users per group', () => {
    const ok = checkCapacity('c', [
      {
        name: 'g',
        nodes: [
          {name: 'a', users: 7500},
          {name: 'b', users: 7500},
        ],
      },
    ])
    assert.equal(ok.ok, true)
    const over = checkCapacity('c', [
      {
        name: 'g',
        nodes: [
          {name: 'a', users: 7501},
          {name: 'b', users: 7500},
        ],
      },
    ])
    assert.equal(over.ok, false)
    assert.ok(over.findings.some((f) => f.severity === 'error' && /15000/.test(f.message)))
  })

  it('PRG-10: at most 3 groups and 45,000 users per cluster', () => {
    const group = (i: number, users = 7500) => ({
      name: `g${i}`,
      nodes: [
        {name: `a${i}`, users},
        {name: `b${i}`, users},
      ],
    })
    assert.equal(checkCapacity('c', [group(1), group(2), group(3)]).ok, true)
    const four = checkCapacity('c', [group(1, 100), group(2, 100), group(3, 100), group(4, 100)])
    assert.equal(four.ok, false)
    assert.match(four.findings.map((f) => f.message).join(), /4 presence redundancy groups/)
    const users = checkCapacity('c', [
      group(1),
      group(2),
      {
        name: 'g3',
        nodes: [
          {name: 'x', users: 7500},
          {name: 'y', users: 7501},
        ],
      },
    ])
    assert.ok(users.findings.some((f) => /45001 users/.test(f.message)))
  })

  it('PRG-10: each server at most 35% CPU', () => {
    const r = checkCapacity('c', [
      {
        name: 'g',
        nodes: [
          {name: 'a', users: 10, cpuPercent: 35},
          {name: 'b', users: 10, cpuPercent: 36},
        ],
      },
    ])
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.severity, f.message.startsWith('b runs at 36% CPU')]),
      [['PRG-10', 'warning', true]],
    )
    assert.equal(r.ok, true, 'a warning does not fail the check')
  })

  it('PRG-10: each node of a group carries at most half of what it can hold', () => {
    const r = checkCapacity('c', [
      {
        name: 'g',
        nodes: [
          {name: 'a', users: 2501, capacity: 5000},
          {name: 'b', users: 2500, capacity: 5000},
        ],
      },
    ])
    assert.deepEqual(
      r.findings.map((f) => f.message.slice(0, 25)),
      ['a carries 2501 users, mor'],
    )
    const single = checkCapacity('c', [{name: 'g', nodes: [{name: 'a', users: 9000}]}])
    assert.ok(!single.findings.some((f) => /half/.test(f.message)), 'a one-node group has no peer to protect')
  })

  it('PRG-10: users spread unevenly are reported', () => {
    const r = checkCapacity('c', [
      {
        name: 'g',
        nodes: [
          {name: 'a', users: 6000},
          {name: 'b', users: 1000},
        ],
      },
    ])
    assert.ok(r.findings.some((f) => /not spread evenly/.test(f.message)))
  })

  it('PRG-10: balanced assignment, e.g. 6 nodes and 45,000 users → 7,500 per node', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']
    assert.deepEqual(
      balancedAssignment(45_000, nodes).map((a) => a.users),
      [7500, 7500, 7500, 7500, 7500, 7500],
    )
    assert.deepEqual(balancedAssignment(7, ['a', 'b', 'c']), [
      {node: 'a', users: 3},
      {node: 'b', users: 2},
      {node: 'c', users: 2},
    ])
    assert.equal(PRESENCE_LIMITS.maxUsersPerCluster, PRESENCE_LIMITS.maxUsersPerGroup * PRESENCE_LIMITS.maxGroupsPerCluster)
    assert.throws(() => balancedAssignment(-1, nodes), UsageError)
    assert.throws(() => balancedAssignment(10, []), UsageError)
    assert.throws(() => balancedAssignment(1.5, nodes), UsageError)
  })

  it('PRG-10: balanced assignment and rebalance moves keep every user and differ by one at most', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(20_000), {minLength: 1, maxLength: 6}), (counts) => {
        const current = counts.map((users, i) => ({node: `n${i}`, users}))
        const total = counts.reduce((a, b) => a + b, 0)
        const target = balancedAssignment(
          total,
          current.map((c) => c.node),
        )
        assert.equal(
          target.reduce((a, t) => a + t.users, 0),
          total,
        )
        const us = target.map((t) => t.users)
        assert.ok(Math.max(...us) - Math.min(...us) <= 1)
        const after = new Map(current.map((c) => [c.node, c.users]))
        for (const m of rebalanceMoves(current)) {
          assert.ok(m.users > 0)
          after.set(m.from, after.get(m.from)! - m.users)
          after.set(m.to, after.get(m.to)! + m.users)
        }
        const final = [...after.values()]
        assert.equal(
          final.reduce((a, b) => a + b, 0),
          total,
        )
        assert.ok(Math.max(...final) - Math.min(...final) <= 1)
      }),
      {seed: testSeed('PRG-10 property')},
    )
    assert.deepEqual(
      rebalanceMoves([
        {node: 'a', users: 7501},
        {node: 'b', users: 7500},
      ]),
      [],
      'the odd user stays put',
    )
  })
})
