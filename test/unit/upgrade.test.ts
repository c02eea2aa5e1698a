import {describe, it} from 'node:test'
import assert from 'node:assert/strict'

import {NotFoundError, RefusedError, UsageError} from '../../src/lib/errors.js'
import {
  type Cluster,
  type ClusterNode,
  type HistoryEntry,
  type PlanStep,
  type NodePartitions,
  planUpgrade,
  upgradeType,
} from '../../src/lib/domain/upgrade.js'
import {
  allowedBecause,
  checkSwitchVersionAllowed,
  checkUpgradeAllowed,
  clusterFromPartitions,
  upgradeTargetFor,
} from '../../src/lib/domain/upgrade-guards.js'
import {validatePlan} from '../../src/lib/domain/upgrade-runbook.js'
import {REFRESH_STEPS, STANDARD_STEPS} from '../helpers/upgrade-orders.js'

const CUCM_NEW = '9.0.1.10000-37'
const IMP_NEW = '9.0.1.10000-9'

function node(name: string, product: 'cucm' | 'imp', role: 'publisher' | 'subscriber', activeVersion: string): ClusterNode {
  return {name, product, role, activeVersion, inactiveVersion: null}
}

/** The default lab (DESIGN.md): a standard upgrade to 9.0(1). */
const STANDARD: Cluster = {
  nodes: [
    node('cucm-pub', 'cucm', 'publisher', '8.6.2.10000-30'),
    node('cucm-sub', 'cucm', 'subscriber', '8.6.2.10000-30'),
    node('imp-pub', 'imp', 'publisher', '8.6.4.10000-10'),
    node('imp-sub', 'imp', 'subscriber', '8.6.4.10000-10'),
  ],
}

const REFRESH: Cluster = {
  nodes: [
    node('cucm-pub', 'cucm', 'publisher', '8.5.1.10000-26'),
    node('cucm-sub', 'cucm', 'subscriber', '8.5.1.10000-26'),
    node('imp-pub', 'imp', 'publisher', '8.6.3.10000-20'),
    node('imp-sub', 'imp', 'subscriber', '8.6.3.10000-20'),
  ],
}

/** The cluster after the history ran: upgrade fills the inactive partition, switch swaps them. */
function apply(cluster: Cluster, history: readonly HistoryEntry[]): Cluster {
  const nodes = cluster.nodes.map((n) => {
    let cur = n
    for (const h of history.filter((x) => x.node === n.name)) {
      cur =
        h.action === 'upgrade'
          ? {...cur, inactiveVersion: h.version ?? (cur.product === 'cucm' ? CUCM_NEW : IMP_NEW)}
          : {...cur, activeVersion: cur.inactiveVersion!, inactiveVersion: cur.activeVersion}
    }
    return cur
  })
  return {nodes}
}

const up = (n: string): HistoryEntry => ({node: n, action: 'upgrade', version: n.startsWith('cucm') ? CUCM_NEW : IMP_NEW})
const sw = (n: string): HistoryEntry => ({node: n, action: 'switch-version'})

describe('upgradeType', () => {
  const ROWS = [
    {rule: 'UPG-5', cucm: '8.6.2.10000-30', imp: '8.6.4.10000-10', type: 'standard'},
    {rule: 'UPG-5', cucm: '8.6(1)', imp: '8.6(4)', type: 'standard'},
    {rule: 'UPG-6', cucm: '8.5.1.10000-26', imp: '8.6.3.10000-20', type: 'refresh'},
    {rule: 'UPG-6', cucm: '8.0(3)', imp: '8.5(4)', type: 'refresh'},
    {rule: 'UPG-6', cucm: '8.5', imp: '8.6(3)', type: 'refresh'},
  ] as const
  for (const row of ROWS) {
    it(`${row.rule}: CUCM ${row.cucm} with CUP ${row.imp} is a ${row.type} upgrade`, () => {
      assert.equal(upgradeType(row.cucm, row.imp), row.type)
    })
  }

  const NEITHER = [
    {rule: 'UPG-5', cucm: '9.0.1.10000-37', imp: '8.6.4.10000-10', names: 'Unified CM 9.0.1.10000-37 is no documented'},
    {rule: 'UPG-5', cucm: '8.6.2.10000-30', imp: '8.6.5.10000-1', names: 'IM and Presence 8.6.5.10000-1 is no documented'},
    {rule: 'UPG-5', cucm: '8.6.2.10000-30', imp: '8.6.3.10000-20', names: 'IM and Presence 8.6.3.10000-20 is a refresh-upgrade source'},
    {rule: 'UPG-6', cucm: '8.5.1.10000-26', imp: '8.6.4.10000-10', names: 'IM and Presence 8.6.4.10000-10 is a standard-upgrade source'},
  ] as const
  for (const row of NEITHER) {
    it(`${row.rule}: CUCM ${row.cucm} with CUP ${row.imp} is refused, saying which`, () => {
      assert.throws(
        () => upgradeType(row.cucm, row.imp),
        (err: unknown) => err instanceof RefusedError && err.rule === row.rule && err.message.includes(row.names),
      )
    })
  }

  it('UPG-5: an unparsable source is a UsageError naming it', () => {
    assert.throws(
      () => upgradeType('eight', '8.6(4)'),
      (err: unknown) => err instanceof UsageError && err.message.includes('"eight"'),
    )
  })
})

describe('planUpgrade', () => {
  it('UPG-5: standard order for the lab, nodes of a step together', () => {
    const plan = planUpgrade(STANDARD, '9.0(1)')
    assert.equal(plan.type, 'standard')
    assert.equal(plan.rule, 'UPG-5')
    assert.deepEqual(plan.steps, STANDARD_STEPS)
  })

  it('UPG-6: refresh order', () => {
    const plan = planUpgrade(REFRESH, {cucm: '9.0(1)', imp: '9.0(1)'})
    assert.equal(plan.type, 'refresh')
    assert.deepEqual(plan.steps, REFRESH_STEPS)
  })

  it('UPG-7: every subscriber of a step shares its number (parallel)', () => {
    const big: Cluster = {
      nodes: [
        ...STANDARD.nodes,
        node('cucm-sub2', 'cucm', 'subscriber', '8.6.2.10000-30'),
        node('imp-sub2', 'imp', 'subscriber', '8.6.4.10000-10'),
      ],
    }
    const plan = planUpgrade(big, '9.0(1)')
    assert.deepEqual(plan.steps[1], {number: 2, action: 'upgrade', nodes: ['imp-pub', 'cucm-sub', 'cucm-sub2']})
    assert.deepEqual(plan.steps[2], {number: 3, action: 'upgrade', nodes: ['imp-sub', 'imp-sub2']})
  })

  it("UPG-5: a step with no node is left out and the documents' numbers stay", () => {
    const small: Cluster = {nodes: STANDARD.nodes.filter((n) => n.name !== 'imp-sub')}
    assert.deepEqual(
      planUpgrade(small, '9.0(1)').steps.map((s) => s.number),
      [1, 2, 4, 5],
    )
  })

  it('UPG-5: the plan keeps its type in the middle of the upgrade (after switching)', () => {
    const history = [up('cucm-pub'), up('imp-pub'), up('cucm-sub'), up('imp-sub'), sw('cucm-pub'), sw('imp-pub')]
    assert.equal(planUpgrade(apply(STANDARD, history), '9.0(1)').type, 'standard')
  })

  it('UPG-1: a target pair with different major.minor is refused', () => {
    assert.throws(
      () => planUpgrade(STANDARD, {cucm: '9.0(1)', imp: '9.1(1)'}),
      (err: unknown) => err instanceof RefusedError && err.rule === 'UPG-1',
    )
  })

  it('UPG-5: a target other than 9.0(1) has no documented order', () => {
    assert.throws(
      () => planUpgrade(STANDARD, '9.1(1)'),
      (err: unknown) => err instanceof RefusedError && err.rule === 'UPG-5' && err.message.includes('9.1(1)'),
    )
  })

  it('UPG-5: a cluster with two CUCM publishers is a UsageError', () => {
    const bad: Cluster = {nodes: [...STANDARD.nodes, node('cucm-pub2', 'cucm', 'publisher', '8.6.2.10000-30')]}
    assert.throws(() => planUpgrade(bad, '9.0(1)'), UsageError)
  })
})

describe('validatePlan', () => {
  const rulesOf = (steps: readonly PlanStep[], cluster: Cluster = STANDARD) =>
    validatePlan(cluster, '9.0(1)', steps).findings.map((f) => `${f.rule} ${f.step} ${f.node}`)

  it('UPG-5: the documented order passes', () => {
    assert.deepEqual(validatePlan(STANDARD, '9.0(1)', STANDARD_STEPS), {ok: true, findings: []})
  })

  it('UPG-6: the documented refresh order passes', () => {
    assert.equal(validatePlan(REFRESH, '9.0(1)', REFRESH_STEPS).ok, true)
  })

  it('UPG-7: running a parallel step one node at a time passes', () => {
    const steps: PlanStep[] = [
      STANDARD_STEPS[0],
      {number: 2, action: 'upgrade', nodes: ['imp-pub']},
      {number: 3, action: 'upgrade', nodes: ['cucm-sub']},
      {number: 4, action: 'upgrade', nodes: ['imp-sub']},
      ...STANDARD_STEPS.slice(3).map((s) => ({...s, number: s.number + 1})),
    ]
    assert.deepEqual(validatePlan(STANDARD, '9.0(1)', steps).findings, [])
  })

  it('UPG-5: steps 4 and 5 swapped', () => {
    const steps = STANDARD_STEPS.map((s) => (s.number === 4 ? {...s, number: 5} : s.number === 5 ? {...s, number: 4} : s))
    const result = validatePlan(STANDARD, '9.0(1)', steps)
    assert.equal(result.ok, false)
    assert.deepEqual(
      result.findings.map((f) => `${f.rule} ${f.step} ${f.node}`),
      ['UPG-5 4 imp-pub', 'UPG-5 4 cucm-sub'],
    )
    assert.match(result.findings[0].message, /out of order: switch-version imp-pub .* runs before switch-version cucm-pub/)
    assert.match(result.findings[0].fix, /after runbook step 5/)
  })

  it('UPG-6: a refresh cluster run in the standard order (IM&P before the CUCM publisher switched)', () => {
    assert.deepEqual(rulesOf(STANDARD_STEPS, REFRESH), ['UPG-6 2 imp-pub', 'UPG-6 2 cucm-sub', 'UPG-6 3 imp-sub'])
  })

  it('UPG-5: step 3 missing', () => {
    const result = validatePlan(
      STANDARD,
      '9.0(1)',
      STANDARD_STEPS.filter((s) => s.number !== 3),
    )
    assert.equal(result.ok, false)
    assert.deepEqual(
      result.findings.map((f) => [f.rule, f.severity, f.step, f.node]),
      [['UPG-5', 'error', 3, 'imp-sub']],
    )
    assert.match(result.findings[0].message, /missing: upgrade imp-sub/)
  })

  it('UPG-7: steps 1 and 2 run in parallel where they may not', () => {
    const steps: PlanStep[] = [{number: 1, action: 'upgrade', nodes: ['cucm-pub', 'imp-pub', 'cucm-sub']}, ...STANDARD_STEPS.slice(2)]
    const result = validatePlan(STANDARD, '9.0(1)', steps)
    assert.deepEqual(
      result.findings.map((f) => `${f.rule} ${f.step} ${f.node}`),
      ['UPG-7 1 imp-pub', 'UPG-7 1 cucm-sub'],
    )
    assert.match(result.findings[0].message, /in parallel with upgrade cucm-pub/)
  })

  it('UPG-7: a node in the wrong step (CUCM subscriber with the IM&P subscribers)', () => {
    const steps: PlanStep[] = [
      STANDARD_STEPS[0],
      {number: 2, action: 'upgrade', nodes: ['imp-pub']},
      {number: 3, action: 'upgrade', nodes: ['imp-sub', 'cucm-sub']},
      ...STANDARD_STEPS.slice(3),
    ]
    const result = validatePlan(STANDARD, '9.0(1)', steps)
    assert.deepEqual(
      result.findings.map((f) => `${f.rule} ${f.step} ${f.node}`),
      ['UPG-7 3 cucm-sub'],
    )
    assert.match(result.findings[0].message, /wrong step: upgrade cucm-sub \(documents' step 2\) runs in parallel with upgrade imp-sub/)
  })

  it('UPG-7: switch and upgrade mixed in one step', () => {
    const steps: PlanStep[] = [
      ...STANDARD_STEPS.slice(0, 2),
      {number: 3, action: 'upgrade', nodes: ['imp-sub']},
      {number: 3, action: 'switch-version', nodes: ['cucm-pub']},
      ...STANDARD_STEPS.slice(4),
    ]
    assert.deepEqual(rulesOf(steps), ['UPG-7 3 cucm-pub'])
  })

  it('UPG-5: an unknown node is a finding, not an exception', () => {
    const steps = STANDARD_STEPS.map((s) => (s.number === 3 ? {...s, nodes: ['imp-sub', 'imp-sub9']} : s))
    const result = validatePlan(STANDARD, '9.0(1)', steps)
    assert.deepEqual(
      result.findings.map((f) => `${f.rule} ${f.step} ${f.node}`),
      ['UPG-5 3 imp-sub9'],
    )
    assert.match(result.findings[0].message, /unknown node "imp-sub9"/)
  })

  it('UPG-5: a duplicate node is a finding', () => {
    const steps = STANDARD_STEPS.map((s) => (s.number === 3 ? {...s, nodes: ['imp-sub', 'imp-sub']} : s))
    assert.deepEqual(rulesOf(steps), ['UPG-5 3 imp-sub'])
  })

  it('UPG-5: a malformed runbook step is a UsageError', () => {
    const steps = [{number: 1, action: 'reboot', nodes: ['cucm-pub']}] as unknown as PlanStep[]
    assert.throws(
      () => validatePlan(STANDARD, '9.0(1)', steps),
      (err: unknown) => err instanceof UsageError && err.message.includes('"reboot"'),
    )
    const zero = [{number: 0, action: 'upgrade', nodes: ['cucm-pub']}] as PlanStep[]
    assert.throws(() => validatePlan(STANDARD, '9.0(1)', zero), UsageError)
  })
})

describe('checkUpgradeAllowed / checkSwitchVersionAllowed', () => {
  /** Runs a whole plan, checking each action first; returns the first refusal or null. */
  function walk(cluster: Cluster, steps: readonly PlanStep[]): string | null {
    let history: HistoryEntry[] = []
    for (const s of steps) {
      const state = apply(cluster, history)
      for (const n of s.nodes) {
        const refusal =
          s.action === 'upgrade'
            ? checkUpgradeAllowed(state, n, {cucm: '9.0(1)', imp: IMP_NEW}, history)
            : checkSwitchVersionAllowed(state, n, '9.0(1)', history)
        if (refusal) return `${refusal.rule} ${s.action} ${n}`
      }
      history = [...history, ...s.nodes.map((n) => (s.action === 'upgrade' ? up(n) : sw(n)))]
    }
    return null
  }

  it('UPG-5: every action of the standard order is allowed in order', () => {
    assert.equal(walk(STANDARD, STANDARD_STEPS), null)
  })

  it('UPG-6: every action of the refresh order is allowed in order', () => {
    assert.equal(walk(REFRESH, REFRESH_STEPS), null)
  })

  it('UPG-6: the standard order on a refresh cluster is refused at IM&P publisher upgrade', () => {
    assert.equal(walk(REFRESH, STANDARD_STEPS), 'UPG-6 upgrade imp-pub')
  })

  it('UPG-3: IM&P publisher before Unified CM has the target on a partition', () => {
    const refusal = checkUpgradeAllowed(STANDARD, 'imp-pub', '9.0(1)', [])
    assert.equal(refusal?.rule, 'UPG-3')
    assert.match(refusal!.message, /Unified CM 9\.0\(1\) is on neither partition of cucm-pub/)
    assert.match(refusal!.hint, /upgrade Unified CM \(cucm-pub\) to 9\.0\(1\) first/)
  })

  it('UPG-3: allowed once the target is on the inactive partition, and on the active one', () => {
    const history = [up('cucm-pub')]
    assert.equal(checkUpgradeAllowed(apply(STANDARD, history), 'imp-pub', '9.0(1)', history), null)
    const switched: Cluster = {
      nodes: STANDARD.nodes.map((n) => (n.name === 'cucm-pub' ? {...n, activeVersion: CUCM_NEW, inactiveVersion: n.activeVersion} : n)),
    }
    assert.equal(checkUpgradeAllowed(switched, 'imp-pub', '9.0(1)', history), null)
  })

  it('UPG-3: a five-field CUCM target must be on a partition exactly', () => {
    const history = [up('cucm-pub')]
    const refusal = checkUpgradeAllowed(apply(STANDARD, history), 'imp-pub', {cucm: '9.0.1.10000-36', imp: IMP_NEW}, history)
    assert.equal(refusal?.rule, 'UPG-3')
  })

  it('UPG-2: a later IM&P node must match the first upgraded one in all five fields', () => {
    const history = [up('cucm-pub'), up('imp-pub'), up('cucm-sub')]
    const state = apply(STANDARD, history)
    const refusal = checkUpgradeAllowed(state, 'imp-sub', {cucm: '9.0(1)', imp: '9.0.1.10000-8'}, history)
    assert.equal(refusal?.rule, 'UPG-2')
    assert.match(refusal!.message, /9\.0\.1\.10000-8 does not match 9\.0\.1\.10000-9 of the first upgraded IM and Presence node imp-pub/)
    assert.equal(checkUpgradeAllowed(state, 'imp-sub', {cucm: '9.0(1)', imp: IMP_NEW}, history), null)
  })

  it('UPG-2: a release name cannot prove the five fields; the first version comes from the partition if not recorded', () => {
    const history: HistoryEntry[] = [up('cucm-pub'), {node: 'imp-pub', action: 'upgrade'}, up('cucm-sub')]
    const state = apply(STANDARD, history)
    const refusal = checkUpgradeAllowed(state, 'imp-sub', '9.0(1)', history)
    assert.equal(refusal?.rule, 'UPG-2')
    assert.match(refusal!.hint, /exactly 9\.0\.1\.10000-9/)
  })

  it('UPG-1: an IM&P target of another major.minor than the CUCM target is refused', () => {
    const history = [up('cucm-pub')]
    const refusal = checkUpgradeAllowed(apply(STANDARD, history), 'imp-pub', {cucm: '9.0(1)', imp: '9.1.1.10000-3'}, history)
    assert.equal(refusal?.rule, 'UPG-1')
  })

  it('UPG-5: IM&P subscriber before step 2 has finished is refused (UPG-4: before anything runs)', () => {
    const history = [up('cucm-pub'), up('imp-pub')]
    const refusal = checkUpgradeAllowed(apply(STANDARD, history), 'imp-sub', '9.0.1.10000-9', history)
    assert.equal(refusal?.rule, 'UPG-5')
    assert.match(refusal!.message, /step 2 .* has not finished on cucm-sub/)
  })

  it('UPG-5: a CUCM subscriber may not upgrade before the CUCM publisher', () => {
    assert.equal(checkUpgradeAllowed(STANDARD, 'cucm-sub', '9.0(1)', [])?.rule, 'UPG-5')
    assert.equal(checkUpgradeAllowed(STANDARD, 'cucm-pub', '9.0(1)', []), null)
  })

  it('UPG-5: upgrading a node twice is refused', () => {
    const history = [up('cucm-pub')]
    assert.match(checkUpgradeAllowed(apply(STANDARD, history), 'cucm-pub', '9.0(1)', history)!.message, /already upgraded/)
  })

  it('UPG-5: an unknown node is NotFoundError', () => {
    assert.throws(() => checkUpgradeAllowed(STANDARD, 'cucm-pub9', '9.0(1)', []), NotFoundError)
  })

  it('UPG-5: switch version of the CUCM publisher before step 3 has finished is refused', () => {
    const history = [up('cucm-pub'), up('imp-pub'), up('cucm-sub')]
    const refusal = checkSwitchVersionAllowed(apply(STANDARD, history), 'cucm-pub', '9.0(1)', history)
    assert.equal(refusal?.rule, 'UPG-5')
    assert.match(refusal!.hint, /upgrade imp-sub/)
  })

  it('UPG-6: refresh: the CUCM publisher switches right after its upgrade', () => {
    const history = [up('cucm-pub')]
    assert.equal(checkSwitchVersionAllowed(apply(REFRESH, history), 'cucm-pub', '9.0(1)', history), null)
    assert.equal(checkSwitchVersionAllowed(apply(STANDARD, history), 'cucm-pub', '9.0(1)', history)?.rule, 'UPG-5')
  })

  it('UPG-5: switching a node that was not upgraded is refused', () => {
    const refusal = checkSwitchVersionAllowed(STANDARD, 'cucm-pub', '9.0(1)', [])
    assert.equal(refusal?.rule, 'UPG-5')
    assert.match(refusal!.message, /has not been upgraded/)
  })
})

describe('clusterFromPartitions / upgradeTargetFor / allowedBecause', () => {
  const report = (n: ClusterNode, history: HistoryEntry[]): NodePartitions => ({
    node: n.name,
    product: n.product,
    role: n.role,
    active: n.activeVersion,
    inactive: n.inactiveVersion,
    history,
  })

  it('UPG-2: histories of several nodes merge by time, so the first upgraded IM&P node is known', () => {
    const reports = [
      report(STANDARD.nodes[0], [{...up('cucm-pub'), time: '2024-01-01T10:00:00.000Z'}]),
      report(STANDARD.nodes[1], [{...up('cucm-sub'), time: '2024-01-01T11:30:00.000Z'}]),
      // imp-sub reports first but upgraded later; an entry about another node is ignored.
      report(STANDARD.nodes[3], [
        {node: 'imp-sub', action: 'upgrade', version: IMP_NEW, time: '2024-01-01T12:00:00.000Z'},
        {node: 'imp-pub', action: 'upgrade', version: 'x'},
      ]),
      report(STANDARD.nodes[2], [{node: 'imp-pub', action: 'upgrade', version: '9.0.1.10000-8', time: '2024-01-01T11:00:00.000Z'}]),
    ]
    const {cluster, history} = clusterFromPartitions(reports)
    assert.deepEqual(
      cluster.nodes.map((n) => n.name),
      ['cucm-pub', 'cucm-sub', 'imp-sub', 'imp-pub'],
    )
    assert.deepEqual(
      history.map((h) => `${h.node} ${h.version}`),
      [`cucm-pub ${CUCM_NEW}`, 'imp-pub 9.0.1.10000-8', `cucm-sub ${CUCM_NEW}`, `imp-sub ${IMP_NEW}`],
    )
  })

  it('UPG-1: an IM&P node is checked against what the CUCM publisher installed; before that, its own version', () => {
    assert.equal(upgradeTargetFor(STANDARD, 'imp-pub', IMP_NEW, []), IMP_NEW)
    assert.equal(upgradeTargetFor(STANDARD, 'cucm-sub', CUCM_NEW, [up('cucm-pub')]), CUCM_NEW)
    assert.deepEqual(upgradeTargetFor(STANDARD, 'imp-pub', '9.1.1.10000-3', [up('cucm-pub')]), {cucm: CUCM_NEW, imp: '9.1.1.10000-3'})
    const history = [up('cucm-pub')]
    const target = upgradeTargetFor(apply(STANDARD, history), 'imp-pub', '9.1.1.10000-3', history)
    assert.equal(checkUpgradeAllowed(apply(STANDARD, history), 'imp-pub', target, history)?.rule, 'UPG-1')
  })

  it('UPG-3: a dry run names the rules that allow an IM&P upgrade', () => {
    const history = [up('cucm-pub')]
    const lines = allowedBecause(apply(STANDARD, history), 'imp-pub', 'upgrade', {cucm: CUCM_NEW, imp: IMP_NEW}, history)
    assert.deepEqual(lines, [
      'UPG-5: upgrade imp-pub is step 2 of the standard upgrade; every earlier step has finished',
      'UPG-7: step 2 may run in parallel on cucm-sub',
      `UPG-3: Unified CM ${CUCM_NEW} is on the inactive partition of cucm-pub`,
      `UPG-2: imp-pub is the first IM and Presence node upgraded: every later one must install exactly ${IMP_NEW}`,
      `UPG-1: IM and Presence ${IMP_NEW} and Unified CM ${CUCM_NEW} share major.minor 9.0`,
    ])
  })

  it('UPG-6: a dry run of the refresh order says the CUCM publisher switches at step 2', () => {
    const history = [up('cucm-pub')]
    assert.deepEqual(allowedBecause(apply(REFRESH, history), 'cucm-pub', 'switch-version', CUCM_NEW, history), [
      'UPG-6: switch-version cucm-pub is step 2 of the refresh upgrade; every earlier step has finished',
    ])
  })
})
