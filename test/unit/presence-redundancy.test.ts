import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'

import {NotFoundError, RefusedError} from '../../src/lib/errors.js'
import {
  DOCUMENTED_HA_TIMERS,
  FAILOVER_IMPACT,
  NODE_STATES,
  PRG7_ROWS,
  REASONS,
  allowedActions,
  applyEvent,
  classifyGroup,
  classifyPair,
  describeAction,
  groupStatus,
  HA_TIMING_TABLE,
  haTimersFor,
  haTimersFromTiming,
  planAction,
  isTransient,
  newGroup,
  normalizeReason,
  normalizeState,
  recommendedActionFor,
  type GroupState,
  type HaEffect,
  type HaEvent,
  type NodeState,
  type NodeStatus,
  type Reason,
  failoverImpact,
  failoverImpactText,
} from '../../src/lib/domain/presence-redundancy.js'
import {timingFor} from '../../src/lib/domain/timing.js'

const A = 'imp-pub'
const B = 'imp-sub'
const T0 = 1_700_000_000_000
const DELAY = DOCUMENTED_HA_TIMERS.criticalServiceDownDelayMs
const MIN = 60_000

/** A step: the event, and how long after the previous step it happens. */
type Step = HaEvent | [HaEvent, number]

function fresh(opts: {autoFallback?: boolean; haEnabled?: boolean; replicationReady?: boolean} = {}): GroupState {
  return newGroup({
    name: 'prg1',
    nodes: [
      {name: A, users: 4000},
      {name: B, users: 3000},
    ],
    haEnabled: true,
    ...opts,
  })
}

function run(steps: readonly Step[], g: GroupState = fresh()): {group: GroupState; effects: HaEffect[]; now: number} {
  let now = T0
  const effects: HaEffect[] = []
  for (const s of steps) {
    const [e, dt] = Array.isArray(s) ? s : [s, 1000]
    now += dt
    const r = applyEvent(g, e, now)
    g = r.group
    effects.push(...r.effects)
  }
  return {group: g, effects, now}
}

const byName = (g: GroupState, name: string) => g.nodes.find((n) => n.name === name)!
const rowOf = (g: GroupState): number | null => classifyGroup(g)?.row.row ?? null
const total = (g: GroupState): number => g.nodes[0].users + g.nodes[1].users

// Event shorthands.
const failover = (node: string): HaEvent => ({type: 'failover', node})
const fallback = (node: string): HaEvent => ({type: 'fallback', node})
const aged = (node: string): HaEvent => ({type: 'criticalServiceDown', node, sinceMs: 0}) // down far longer than the delay
const dbFail = (node: string): HaEvent => ({type: 'databaseFailure', node})
const srm = (node: string): HaEvent => ({type: 'srmRestarted', node})
const boot = (node: string, servicesUp = true): HaEvent => ({type: 'nodeBoot', node, servicesUp})
const back = (node: string): HaEvent => ({type: 'servicesBack', node})
const lost = (node: string): HaEvent => ({type: 'peerHeartbeatLost', node})
const reboot = (node: string): HaEvent => ({type: 'peerRebootAnnounced', node})
const takeover: HaEvent = {type: 'takeoverComplete'}
const takeback: HaEvent = {type: 'takebackComplete'}
const moveFailed: HaEvent = {type: 'userMoveFailed'}
const recover: HaEvent = {type: 'recover'}
const haEnable: HaEvent = {type: 'haEnable'}
const haDisable: HaEvent = {type: 'haDisable'}
const tick: HaEvent = {type: 'tick'}

describe('presence redundancy: node states and reasons', () => {
  it('PRG-5: the node states, spelled as the document does, with transient and stable flags', () => {
    assert.deepEqual(
      NODE_STATES.map((s) => s.state),
      [
        'Initializing',
        'Idle',
        'Normal',
        'Running in Backup Mode',
        'Taking Over',
        'Failing Over',
        'Failed Over',
        'Failed Over with Critical Services Not Running',
        'Falling Back',
        'Taking Back',
        'Running in Failed Mode',
        'Backup Activated',
        'Failover Affected Services',
        'Unknown',
      ],
    )
    for (const s of ['Initializing', 'Taking Over', 'Failing Over', 'Falling Back', 'Taking Back'] as const)
      assert.equal(isTransient(s), true, s)
    for (const s of ['Idle', 'Normal', 'Running in Backup Mode', 'Failed Over', 'Failed Over with Critical Services Not Running'] as const)
      assert.equal(isTransient(s), false, s)
    assert.match(NODE_STATES.find((s) => s.state === 'Idle')!.meaning, /fallback/)
    assert.match(NODE_STATES.find((s) => s.state === 'Normal')!.meaning, /failover/)
    assert.equal(normalizeState('backup mode'), 'Running in Backup Mode')
    assert.equal(normalizeState('Failed Over with Critical Services not Running'), 'Failed Over with Critical Services Not Running')
  })

  it('PRG-6: the reasons, spelled as the document does, and their other spellings', () => {
    const reasons = REASONS.map((r) => r.reason)
    for (const r of [
      'By Admin Request',
      'Initialization',
      'Automatic Fallback',
      'Critical Service Down',
      'Database Failure',
      'Start of Critical Services Failed',
      'Peer Down',
      'Peer Reboot',
      'Peer Down During Initialization',
      'Cisco Server Recovery Manager Take Over Users Failed',
      'Cisco Server Recovery Manager Take Back Users Failed',
      'Auto Recover Database Failure',
      'Auto Recover Critical Service Down',
      'Unknown',
    ])
      assert.ok(reasons.includes(r as Reason), r)
    assert.equal(normalizeReason('On Admin Request'), 'By Admin Request')
    assert.equal(normalizeReason('initializing'), 'Initialization')
    assert.equal(normalizeReason('Critical Services Down'), 'Critical Service Down')
    assert.equal(normalizeReason('SRM Take Back Users Failed'), 'Cisco Server Recovery Manager Take Back Users Failed')
    assert.equal(normalizeReason('Normal'), 'Normal')
    assert.equal(normalizeReason('nonsense'), undefined)
  })
})

// ---------------------------------------------------------------------------------------
// PRG-7: one scenario per row, driven from Normal / Normal. Node 1 is imp-pub unless said.

interface RowScenario {
  row: number
  title: string
  steps: Step[]
  start?: GroupState
  /** node 1 then node 2, as [state, reason]; null for a down node. */
  expect: [[NodeState, Reason] | null, [NodeState, Reason]]
  node1?: string
}

const ROW_SCENARIOS: RowScenario[] = [
  {
    row: 1,
    title: 'HA running on both nodes',
    steps: [],
    expect: [
      ['Normal', 'Normal'],
      ['Normal', 'Normal'],
    ],
  },
  {
    row: 2,
    title: 'manual failover in progress',
    steps: [failover(A)],
    expect: [
      ['Failing Over', 'By Admin Request'],
      ['Taking Over', 'By Admin Request'],
    ],
  },
  {
    row: 3,
    title: 'manual failover done',
    steps: [failover(A), takeover],
    expect: [
      ['Idle', 'By Admin Request'],
      ['Running in Backup Mode', 'By Admin Request'],
    ],
  },
  {
    row: 4,
    title: 'manual fallback in progress',
    steps: [failover(A), takeover, fallback(A)],
    expect: [
      ['Taking Back', 'By Admin Request'],
      ['Falling Back', 'By Admin Request'],
    ],
  },
  {
    row: 5,
    title: 'SRM restarted on node 1 while Idle',
    steps: [failover(A), takeover, srm(A)],
    expect: [
      ['Idle', 'Initialization'],
      ['Running in Backup Mode', 'By Admin Request'],
    ],
  },
  {
    row: 6,
    title: 'both SRMs restarted during manual failover',
    steps: [failover(A), takeover, srm(A), srm(B)],
    expect: [
      ['Idle', 'Initialization'],
      ['Running in Backup Mode', 'Initialization'],
    ],
  },
  {
    row: 6,
    title: 'both nodes rebooted during manual failover',
    steps: [failover(A), takeover, boot(B), boot(A)],
    expect: [
      ['Idle', 'Initialization'],
      ['Running in Backup Mode', 'Initialization'],
    ],
  },
  {
    row: 7,
    title: 'SRM restarted on node 2 in backup mode',
    steps: [failover(A), takeover, srm(B)],
    expect: [
      ['Idle', 'By Admin Request'],
      ['Running in Backup Mode', 'Initialization'],
    ],
  },
  {
    row: 8,
    title: 'SRM restarted on node 2 during takeover',
    steps: [failover(A), srm(B)],
    expect: [
      ['Failing Over', 'By Admin Request'],
      ['Taking Over', 'Initialization'],
    ],
  },
  {
    row: 9,
    title: 'SRM restarted on node 1 during takeback',
    steps: [failover(A), takeover, fallback(A), srm(A)],
    expect: [
      ['Taking Back', 'Initialization'],
      ['Falling Back', 'By Admin Request'],
    ],
  },
  {
    row: 10,
    title: 'automatic fallback in progress',
    start: fresh({autoFallback: true}),
    steps: [aged(A), back(A), [tick, 30 * MIN]],
    expect: [
      ['Taking Back', 'Automatic Fallback'],
      ['Falling Back', 'Automatic Fallback'],
    ],
  },
  {
    row: 11,
    title: 'services of node 1 started by hand',
    steps: [aged(A), back(A)],
    expect: [
      ['Failed Over', 'Critical Service Down'],
      ['Running in Backup Mode', 'Critical Service Down'],
    ],
  },
  {
    row: 11,
    title: 'node 1 rebooted with its services',
    steps: [aged(A), boot(A)],
    expect: [
      ['Failed Over', 'Initialization'],
      ['Running in Backup Mode', 'Critical Service Down'],
    ],
  },
  {
    row: 12,
    title: 'automatic failover on a critical service down',
    steps: [aged(A)],
    expect: [
      ['Failed Over with Critical Services Not Running', 'Critical Service Down'],
      ['Running in Backup Mode', 'Critical Service Down'],
    ],
  },
  {
    row: 13,
    title: 'automatic failover on a database failure',
    steps: [dbFail(A)],
    expect: [
      ['Failed Over with Critical Services Not Running', 'Database Failure'],
      ['Running in Backup Mode', 'Database Failure'],
    ],
  },
  {
    row: 14,
    title: 'services cannot start during takeback',
    steps: [failover(A), takeover, fallback(A), aged(A)],
    expect: [
      ['Running in Failed Mode', 'Start of Critical Services Failed'],
      ['Running in Failed Mode', 'Start of Critical Services Failed'],
    ],
  },
  {
    row: 15,
    title: 'critical service down on the backup node',
    steps: [failover(A), takeover, aged(B)],
    expect: [
      ['Running in Failed Mode', 'Critical Service Down'],
      ['Running in Failed Mode', 'Critical Service Down'],
    ],
  },
  {row: 16, title: 'heartbeat of node 1 lost', steps: [lost(A)], expect: [null, ['Running in Backup Mode', 'Peer Down']]},
  {row: 17, title: 'node 1 rebooted (announced)', steps: [reboot(A)], expect: [null, ['Running in Backup Mode', 'Peer Reboot']]},
  {
    row: 18,
    title: 'node 1 back after being down, with services',
    steps: [lost(A), boot(A)],
    expect: [
      ['Failed Over', 'Initialization'],
      ['Running in Backup Mode', 'Peer Down During Initialization'],
    ],
  },
  {
    row: 18,
    title: 'node 1 back after being down, without services',
    steps: [reboot(A), boot(A, false)],
    expect: [
      ['Failed Over with Critical Services Not Running', 'Initialization'],
      ['Running in Backup Mode', 'Peer Down During Initialization'],
    ],
  },
  {
    row: 18,
    title: 'node 2 did not see node 1 at start-up',
    steps: [{type: 'peerNotSeenAtInit', node: A}],
    expect: [
      ['Failed Over', 'Initialization'],
      ['Running in Backup Mode', 'Peer Down During Initialization'],
    ],
  },
  {
    row: 19,
    title: 'users could not move during takeover',
    steps: [failover(A), moveFailed],
    expect: [
      ['Running in Failed Mode', 'Cisco Server Recovery Manager Take Over Users Failed'],
      ['Running in Failed Mode', 'Cisco Server Recovery Manager Take Over Users Failed'],
    ],
  },
  {
    row: 20,
    title: 'users could not move during fallback',
    steps: [failover(A), takeover, fallback(A), moveFailed],
    expect: [
      ['Running in Failed Mode', 'Cisco Server Recovery Manager Take Back Users Failed'],
      ['Running in Failed Mode', 'Cisco Server Recovery Manager Take Back Users Failed'],
    ],
  },
  {
    row: 21,
    title: 'SRM restarted on node 2 while node 1 failed',
    steps: [dbFail(A), srm(B)],
    expect: [
      ['Running in Failed Mode', 'Unknown'],
      ['Running in Failed Mode', 'Unknown'],
    ],
  },
  {
    row: 21,
    title: 'the backup node lost while node 1 is Idle',
    steps: [failover(A), takeover, lost(B)],
    expect: [
      ['Running in Failed Mode', 'Unknown'],
      ['Running in Failed Mode', 'Unknown'],
    ],
  },
  {
    row: 22,
    title: 'database down on the backup node: automatic recovery',
    steps: [aged(A), back(A), dbFail(B)],
    expect: [
      ['Backup Activated', 'Auto Recover Database Failure'],
      ['Failover Affected Services', 'Auto Recover Database Failure'],
    ],
  },
  {
    row: 23,
    title: 'critical service down on the backup node: automatic recovery',
    steps: [aged(A), back(A), aged(B)],
    expect: [
      ['Backup Activated', 'Auto Recover Database Failure'],
      ['Failover Affected Services', 'Auto Recover Critical Service Down'],
    ],
  },
  {
    row: 24,
    title: 'HA enabled while a node is down',
    steps: [haDisable, lost(B), haEnable],
    expect: [
      ['Unknown', 'Unknown'],
      ['Unknown', 'Unknown'],
    ],
  },
]

const cell = (c: [NodeState, Reason] | null): string => (c === null ? 'down' : `${c[0]} / ${c[1]}`)

describe('PRG-7: the state pairs, one scenario per row', () => {
  for (const s of ROW_SCENARIOS) {
    it(`PRG-7 row ${s.row}: ${s.title}: ${cell(s.expect[0])} + ${cell(s.expect[1])}`, () => {
      const {group} = run(s.steps, s.start)
      const n1 = byName(group, s.node1 ?? A)
      const n2 = group.nodes.find((n) => n !== n1)!
      assert.deepEqual(n1.state === null ? null : [n1.state, n1.reason], s.expect[0])
      assert.deepEqual([n2.state, n2.reason], s.expect[1])
      const c = classifyGroup(group)
      assert.ok(c, 'the pair classifies')
      assert.equal(c.row.row, s.row)
      if (![1, 14, 15, 19, 20, 21, 24].includes(s.row)) assert.equal(group.nodes[c.node1].name, n1.name, 'node 1 orientation')
      assert.equal(total(group), 7000)
    })
  }

  it('PRG-7: the table has rows 1..24, each matched by its own documented pair only', () => {
    assert.deepEqual(
      PRG7_ROWS.map((r) => r.row),
      Array.from({length: 24}, (_, i) => i + 1),
    )
    // Every (state, reason) combination a row's sides accept classifies as that row and no other.
    for (const r of PRG7_ROWS) {
      const statuses = (sd: (typeof r)['node1']): NodeStatus[] =>
        sd.states.flatMap((st): NodeStatus[] =>
          st === 'down'
            ? [{state: null, reason: null}]
            : (sd.reasons.length ? sd.reasons : (['Unknown'] as Reason[])).map((reason) => ({state: st, reason})),
        )
      for (const a of statuses(r.node1))
        for (const b of statuses(r.node2)) {
          const matching = PRG7_ROWS.filter((x) => classifyPair(a, b) === x)
          assert.deepEqual(
            matching.map((x) => x.row),
            [r.row],
            `${JSON.stringify(a)} ${JSON.stringify(b)}`,
          )
        }
    }
  })

  it('PRG-7 row 11: both alternatives of node 1 classify, a third reason does not', () => {
    const n2: NodeStatus = {state: 'Running in Backup Mode', reason: 'Critical Service Down'}
    assert.equal(classifyPair({state: 'Failed Over', reason: 'Initialization'}, n2)?.row, 11)
    assert.equal(classifyPair({state: 'Failed Over', reason: 'Critical Service Down'}, n2)?.row, 11)
    assert.equal(classifyPair({state: 'Failed Over', reason: 'Peer Down'}, n2), null)
  })

  it('PRG-7 row 18: Failed Over with or without services classifies; a down node 1 with that node 2 does not', () => {
    const n2: NodeStatus = {state: 'Running in Backup Mode', reason: 'Peer Down During Initialization'}
    assert.equal(classifyPair({state: 'Failed Over', reason: 'Initialization'}, n2)?.row, 18)
    assert.equal(classifyPair({state: 'Failed Over with Critical Services Not Running', reason: 'Initialization'}, n2)?.row, 18)
    assert.equal(classifyPair({state: null, reason: null}, n2), null)
  })

  it('PRG-7 rows 16, 17: a down node 1 is explicit, and node 2 tells which cause', () => {
    assert.equal(classifyPair({state: null, reason: null}, {state: 'Running in Backup Mode', reason: 'Peer Down'})?.row, 16)
    assert.equal(classifyPair({state: null, reason: null}, {state: 'Running in Backup Mode', reason: 'Peer Reboot'})?.row, 17)
    assert.equal(classifyPair({state: null, reason: null}, {state: 'Normal', reason: 'Normal'}), null)
    const {group} = run([lost(A)])
    assert.equal(byName(group, A).users, 0, 'no user on the down node')
    assert.equal(byName(group, B).users, 7000)
  })

  it('PRG-7: recommendedActionFor names the nodes of the pair; an undocumented pair says so', () => {
    const {group} = run([aged(A)])
    const text = recommendedActionFor(group)
    assert.match(text, /reboot node 1 \(imp-pub\)/)
    assert.equal(groupStatus(group).recommendedAction, text)
    assert.equal(groupStatus(group).row, 12)
    const odd: GroupState = {...group, nodes: [{...group.nodes[0], state: 'Idle', reason: 'Peer Down'}, group.nodes[1]]}
    assert.match(recommendedActionFor(odd), /not in the documented table/)
  })

  it('PRG-7: takeover completion after an SRM restart during takeover ends in row 7', () => {
    assert.equal(rowOf(run([failover(A), srm(B), takeover]).group), 7)
  })

  it('PRG-7: automatic recovery completes with the roles swapped (rows 22 → 13, 23 → 12)', () => {
    const r22 = run([aged(A), back(A), dbFail(B), takeover]).group
    assert.equal(rowOf(r22), 13)
    assert.equal(r22.nodes[classifyGroup(r22)!.node1].name, B)
    assert.equal(byName(r22, A).users, 7000)
    const r23 = run([aged(A), back(A), aged(B), takeover]).group
    assert.equal(rowOf(r23), 12)
    assert.equal(byName(r23, B).users, 0)
  })
})

// ---------------------------------------------------------------------------------------

describe('presence redundancy: failover, fallback, SRM', () => {
  it('PRG-2: failover moves the users of the failed node to its peer; fallback brings them back', () => {
    const f = run([failover(A), takeover])
    assert.deepEqual([byName(f.group, A).users, byName(f.group, B).users], [0, 7000])
    assert.ok(f.effects.some((e) => e.kind === 'moveUsers' && e.from === A && e.to === B && e.users === 4000))
    const b = run([failover(A), takeover, fallback(A), takeback])
    assert.equal(rowOf(b.group), 1)
    assert.deepEqual([byName(b.group, A).users, byName(b.group, B).users], [4000, 3000])
    assert.ok(b.effects.some((e) => e.kind === 'moveUsers' && e.from === B && e.to === A && e.users === 4000))
  })

  it('PRG-2: automatic fallback only when enabled, once node 1 has been healthy for the delay', () => {
    const on = fresh({autoFallback: true})
    assert.equal(rowOf(run([aged(A), back(A), [tick, 29 * MIN]], on).group), 11, 'not before 30 min')
    const done = run([aged(A), back(A), [tick, 30 * MIN], takeback], on)
    assert.equal(rowOf(done.group), 1)
    assert.equal(byName(done.group, A).users, 4000)
    assert.equal(rowOf(run([aged(A), back(A), [tick, 300 * MIN]]).group), 11, 'off by default: stays failed over')
  })

  it('PRG-3: documented SRM timers, and a critical service is acted on only after the delay', () => {
    assert.deepEqual(
      {...DOCUMENTED_HA_TIMERS},
      {
        keepaliveIntervalMs: 15_000,
        keepaliveTimeoutMs: 60_000,
        initKeepaliveTimeoutMs: 120_000,
        criticalServiceDownDelayMs: 90_000,
        autoFallbackDelayMs: 1_800_000,
      },
    )
    assert.ok(haTimersFor('fast').criticalServiceDownDelayMs < DELAY)
    const early = run([{type: 'criticalServiceDown', node: A}, [tick, DELAY - 1000]])
    assert.equal(rowOf(early.group), 1)
    assert.equal(byName(early.group, A).criticalServicesRunning, false)
    const late = run([{type: 'criticalServiceDown', node: A}, [tick, DELAY]])
    assert.equal(rowOf(late.group), 12)
    const recovered = run([{type: 'criticalServiceDown', node: A}, back(A), [tick, DELAY]])
    assert.equal(rowOf(recovered.group), 1, 'services back within the delay: no failover')
  })

  it("PRG-3: the SRM timers are rows of the one timing table, per profile, and follow a node's overrides", () => {
    assert.deepEqual(haTimersFromTiming(timingFor('documented')), DOCUMENTED_HA_TIMERS)
    assert.deepEqual(haTimersFromTiming(timingFor('fast')), haTimersFor('fast'))
    assert.equal(haTimersFromTiming(timingFor('fast', {srmKeepaliveTimeoutMs: 5000})).keepaliveTimeoutMs, 5000)
    for (const r of HA_TIMING_TABLE) assert.ok(r.fast < r.documented, r.name)
  })

  it('PRG-8: planAction shows the transitions to the stable pair and the moves, or refuses as the action would', () => {
    const plan = planAction(fresh(), {type: 'failover', node: A}, T0)
    assert.deepEqual(plan.changes, [
      'imp-pub: Normal / Normal → Failing Over / By Admin Request',
      'imp-sub: Normal / Normal → Taking Over / By Admin Request',
      'stop the critical services of imp-pub',
      'move 4000 users imp-pub → imp-sub (performed by the SRM of imp-sub, PRG-3)',
      'imp-pub: Failing Over / By Admin Request → Idle / By Admin Request',
      'imp-sub: Taking Over / By Admin Request → Running in Backup Mode / By Admin Request',
    ])
    assert.ok(plan.rules.includes('PRG-7: row 1 → row 3'))
    const g = run([failover(A), takeover]).group
    assert.ok(planAction(g, {type: 'fallback', node: A}, T0).changes.includes('start the critical services of imp-pub'))
    assert.throws(
      () => planAction(fresh(), {type: 'fallback', node: A}, T0),
      (e: RefusedError) => e.rule === 'PRG-8',
    )
  })

  it("PRG-3: the peer's SRM performs every failover, never the failed node's", () => {
    for (const steps of [
      [failover(A)],
      [aged(A)],
      [dbFail(A)],
      [lost(A)],
      [reboot(A)],
      [{type: 'peerNotSeenAtInit', node: A} as HaEvent],
    ]) {
      const moves = run(steps).effects.filter((e) => e.kind === 'moveUsers')
      assert.ok(moves.length > 0, JSON.stringify(steps))
      for (const m of moves) assert.ok(m.kind === 'moveUsers' && m.from === A && m.by === B, JSON.stringify(m))
    }
  })

  it('PRG-4: SRM cannot start critical services on an Idle node', () => {
    const idle = run([failover(A), takeover]).group
    const r = applyEvent(idle, back(A), T0 + 10_000)
    assert.deepEqual(r.effects, [{kind: 'stopCriticalServices', node: A}])
    assert.deepEqual(r.group, idle)
    const rebooted = applyEvent(idle, boot(A), T0 + 10_000)
    assert.ok(rebooted.effects.some((e) => e.kind === 'stopCriticalServices' && e.node === A))
    assert.equal(byName(rebooted.group, A).criticalServicesRunning, false)
    assert.equal(byName(rebooted.group, A).state, 'Idle')
  })

  it('PRG-11: the documented impact of failover on clients', () => {
    const impact = Object.fromEntries(FAILOVER_IMPACT.map((i) => [i.subject, i.impact]))
    assert.match(impact['softphone calls']!, /not dropped/)
    assert.match(impact['ad hoc chat rooms hosted on the failed node']!, /lost/)
    assert.match(impact['persistent chat rooms on the failed node']!, /until recovery/)
    assert.match(impact['presence and instant messaging']!, /sign in again/)
    assert.match(impact['other clusters']!, /Intercluster Sync Agent/)
  })
})

describe('presence redundancy: operator actions', () => {
  it("PRG-8: manual failover stops the failed node's critical services and moves its users", () => {
    const r = applyEvent(fresh(), failover(A), T0)
    assert.deepEqual(r.effects, [
      {kind: 'stopCriticalServices', node: A},
      {kind: 'moveUsers', from: A, to: B, users: 4000, by: B},
    ])
    assert.equal(byName(r.group, A).criticalServicesRunning, false)
  })

  it("PRG-8: manual fallback restarts the primary's critical services and disconnects the failed-over users", () => {
    const idle = run([failover(A), takeover]).group
    const r = applyEvent(idle, fallback(A), T0 + 60_000)
    assert.deepEqual(r.effects, [
      {kind: 'startCriticalServices', node: A},
      {kind: 'moveUsers', from: B, to: A, users: 4000, by: A},
    ])
  })

  it('PRG-8: manual recovery restarts SRM on both nodes and returns the group to Normal', () => {
    const failedGroup = run([failover(A), moveFailed]).group
    const r = applyEvent(failedGroup, recover, T0 + 60_000)
    assert.equal(rowOf(r.group), 1)
    assert.deepEqual(
      r.effects.filter((e) => e.kind === 'restartSrm').map((e) => e.kind === 'restartSrm' && e.node),
      [A, B],
    )
    assert.deepEqual([byName(r.group, A).users, byName(r.group, B).users], [4000, 3000])
  })

  it('PRG-8: an action the state does not allow is refused with the pair and what is allowed', () => {
    const idle = run([failover(A), takeover]).group
    const before = structuredClone(idle)
    assert.throws(
      () => applyEvent(idle, failover(B), T0),
      (e: unknown) => {
        assert.ok(e instanceof RefusedError)
        assert.equal(e.exitCode, 5)
        assert.equal(e.rule, 'PRG-8')
        assert.match(e.message, /imp-pub Idle \/ By Admin Request \+ imp-sub Running in Backup Mode \/ By Admin Request \(PRG-7 row 3\)/)
        assert.deepEqual(e.details?.allowed, ['fallback imp-pub', 'ha disable'])
        assert.equal(e.details?.row, 3)
        return true
      },
    )
    assert.deepEqual(idle, before, 'nothing changed')
    assert.throws(() => applyEvent(idle, fallback(B), T0), RefusedError, 'fallback to the backup node')
    assert.throws(() => applyEvent(fresh(), fallback(A), T0), RefusedError, 'fallback from Normal')
    assert.throws(() => applyEvent(fresh(), recover, T0), RefusedError, 'recover when nothing failed')
    assert.throws(() => applyEvent(run([aged(A)]).group, fallback(A), T0), RefusedError, 'fallback while services are down')
    assert.throws(() => applyEvent(fresh({haEnabled: false}), failover(A), T0), RefusedError, 'failover with HA disabled')
    assert.throws(() => applyEvent(fresh(), failover('imp-x'), T0), NotFoundError)
  })

  it('PRG-8: allowedActions by state pair', () => {
    const cases: [Step[], string[]][] = [
      [[], ['failover imp-pub', 'failover imp-sub', 'ha disable']],
      [[failover(A)], []],
      [
        [failover(A), takeover],
        ['fallback imp-pub', 'ha disable'],
      ],
      [[aged(A)], ['ha disable']],
      [
        [aged(A), back(A)],
        ['fallback imp-pub', 'ha disable'],
      ],
      [
        [failover(A), takeover, aged(B)],
        ['recover', 'ha disable'],
      ],
      [[lost(A)], ['ha disable']],
      [
        [lost(A), boot(A)],
        ['fallback imp-pub', 'ha disable'],
      ],
      [[failover(A), takeover, lost(B)], ['ha disable']],
      [[haDisable], ['ha enable']],
    ]
    for (const [steps, allowed] of cases) {
      const g = run(steps).group
      assert.deepEqual(allowedActions(g).map(describeAction), allowed, JSON.stringify(steps))
      assert.deepEqual(groupStatus(g).allowedActions, allowed)
    }
  })

  it('PRG-9: HA enable needs replication; refused otherwise and when already enabled', () => {
    const off = fresh({haEnabled: false, replicationReady: false})
    assert.throws(
      () => applyEvent(off, haEnable, T0),
      (e: unknown) => e instanceof RefusedError && e.rule === 'PRG-9' && /replication/.test(e.message),
    )
    assert.throws(
      () => applyEvent(fresh(), haEnable, T0),
      (e: unknown) => e instanceof RefusedError && e.rule === 'PRG-9',
    )
    assert.throws(
      () => applyEvent(fresh({haEnabled: false}), haDisable, T0),
      (e: unknown) => e instanceof RefusedError && e.rule === 'PRG-9',
    )
    const on = applyEvent(fresh({haEnabled: false}), haEnable, T0)
    assert.equal(rowOf(on.group), 1)
    assert.ok(on.effects.some((e) => e.kind === 'haMonitoring' && e.enabled))
  })

  it("PRG-9: HA enable with one node's services down fails it over at once; with both down the group fails", () => {
    const one = run([haDisable, {type: 'criticalServiceDown', node: B}, haEnable]).group
    assert.equal(rowOf(one), 12)
    assert.equal(one.nodes[classifyGroup(one)!.node1].name, B)
    assert.deepEqual([byName(one, A).users, byName(one, B).users], [7000, 0])
    const both = run([haDisable, {type: 'criticalServiceDown', node: A}, {type: 'criticalServiceDown', node: B}, haEnable]).group
    assert.equal(rowOf(both), 15)
    assert.ok(both.nodes.every((n) => n.state === 'Running in Failed Mode'))
  })

  it('PRG-9: HA disable makes the nodes independent; users of the failed node stay on the backup', () => {
    const g = run([aged(A), haDisable]).group
    assert.equal(g.haEnabled, false)
    assert.deepEqual([byName(g, A).users, byName(g, B).users], [0, 7000])
    assert.deepEqual([byName(g, A).assignedUsers, byName(g, B).assignedUsers], [0, 7000], 'not moved back')
    assert.match(recommendedActionFor(g), /disabled/)
    const stuck = run([failover(A), moveFailed, haDisable]).group
    assert.deepEqual([byName(stuck, A).users, byName(stuck, B).users], [0, 7000])
    assert.throws(
      () => applyEvent(run([failover(A)]).group, haDisable, T0),
      (e: unknown) => e instanceof RefusedError && e.rule === 'PRG-8',
    )
  })
})

// ---------------------------------------------------------------------------------------
// Property: random operations and faults.

const node = fc.constantFrom(A, B)
const eventArb: fc.Arbitrary<HaEvent> = fc.oneof(
  // Weighted towards the manual path so that its rows (2-9) show up among the faults.
  {arbitrary: node.map((n): HaEvent => ({type: 'failover', node: n})), weight: 4},
  {arbitrary: node.map((n): HaEvent => ({type: 'fallback', node: n})), weight: 4},
  fc.constant<HaEvent>({type: 'recover'}),
  fc.constant<HaEvent>({type: 'haEnable'}),
  fc.constant<HaEvent>({type: 'haDisable'}),
  fc
    .record({node, age: fc.integer({min: 0, max: 2 * DELAY})})
    .map(({node: n, age}): HaEvent => ({type: 'criticalServiceDown', node: n, sinceMs: -age})),
  node.map((n): HaEvent => ({type: 'databaseFailure', node: n})),
  node.map((n): HaEvent => ({type: 'peerHeartbeatLost', node: n})),
  node.map((n): HaEvent => ({type: 'peerRebootAnnounced', node: n})),
  {arbitrary: node.map((n): HaEvent => ({type: 'srmRestarted', node: n})), weight: 3},
  fc.record({node, up: fc.boolean()}).map(({node: n, up}): HaEvent => ({type: 'nodeBoot', node: n, servicesUp: up})),
  node.map((n): HaEvent => ({type: 'servicesBack', node: n})),
  node.map((n): HaEvent => ({type: 'peerNotSeenAtInit', node: n})),
  fc.constant<HaEvent>({type: 'userMoveFailed'}),
  {arbitrary: fc.constant<HaEvent>({type: 'takeoverComplete'}), weight: 4},
  {arbitrary: fc.constant<HaEvent>({type: 'takebackComplete'}), weight: 2},
  fc.constant<HaEvent>({type: 'tick'}),
)
const stepArb = fc.record({event: eventArb, dt: fc.integer({min: 0, max: 40 * MIN})})

/** Rows after a completed failover: node 1 holds no user. */
const FAILED_OVER_ROWS = [3, 5, 6, 7, 11, 12, 13, 16, 17, 18]

describe('presence redundancy: property', () => {
  it('PRG-7, PRG-8: every reachable pair is a table row; refused actions change nothing; users are conserved', () => {
    const reached = new Set<number>()
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({min: 0, max: 9000}),
        fc.integer({min: 0, max: 9000}),
        fc.array(stepArb, {maxLength: 40}),
        (autoFallback, ua, ub, steps) => {
          let g = newGroup({
            name: 'prg1',
            nodes: [
              {name: A, users: ua},
              {name: B, users: ub},
            ],
            autoFallback,
            haEnabled: true,
          })
          let now = T0
          const history: string[] = []
          for (const {event, dt} of steps) {
            now += dt
            const e: HaEvent = event.type === 'criticalServiceDown' ? {...event, sinceMs: now + (event.sinceMs ?? 0)} : event
            history.push(JSON.stringify(e))
            const prev = g
            const snapshot = structuredClone(g)
            const allowed = allowedActions(g).map(describeAction)
            const isAction = ['failover', 'fallback', 'recover', 'haEnable', 'haDisable'].includes(e.type)
            try {
              g = applyEvent(g, e, now).group
              if (isAction) assert.ok(allowed.includes(describeAction(e as never)), `applied but not allowed: ${history.join(' ')}`)
            } catch (err) {
              assert.ok(err instanceof RefusedError, `only operator actions are refused: ${String(err)}`)
              assert.ok(isAction && !allowed.includes(describeAction(e as never)))
              assert.deepEqual(err.details?.allowed, allowed)
            }
            assert.deepEqual(prev, snapshot, 'the input group was not touched (a refused action changes nothing)')
            if (g.haEnabled) {
              const c = classifyGroup(g)
              assert.ok(c, `pair not in PRG-7 after ${history.join(' ')}: ${JSON.stringify(g.nodes)}`)
              reached.add(c.row.row)
              const n1 = g.nodes[c.node1]
              if (FAILED_OVER_ROWS.includes(c.row.row))
                assert.equal(n1.users, 0, `users left on node 1 in row ${c.row.row}: ${history.join(' ')}`)
            }
            assert.equal(total(g), ua + ub, `users not conserved: ${history.join(' ')}`)
            assert.equal(g.nodes[0].assignedUsers + g.nodes[1].assignedUsers, ua + ub)
            for (const n of g.nodes) {
              assert.ok(n.users >= 0)
              // Without HA nobody takes a down node's users (PRG-9); with HA a down node holds none.
              if (g.haEnabled && n.state === null) assert.equal(n.users, 0, `users on a down node: ${history.join(' ')}`)
            }
          }
        },
      ),
      {numRuns: 1000, seed: 20140101},
    )
    // With a fixed seed the walk is reproducible; it must reach every row a scenario reaches.
    const scenarioRows = new Set(ROW_SCENARIOS.map((s) => s.row))
    const missing = [...scenarioRows].filter((r) => !reached.has(r))
    assert.deepEqual(missing, [], `rows never reached by the random walk: ${missing.join(', ')}`)
  })
})

describe('PRG-11 (run time): the impact of a failover, fallback or recovery', () => {
  it('PRG-11: five documented effects, the failed node named where the text says so', () => {
    const items = failoverImpact('imp-pub')
    assert.deepEqual(
      items.map((i) => i.subject),
      [
        'presence and instant messaging',
        'ad hoc chat rooms hosted on imp-pub',
        'persistent chat rooms on imp-pub',
        'softphone calls',
        'other clusters',
      ],
    )
    assert.ok(items.every((i) => i.rule === 'PRG-11'))
    assert.match(
      failoverImpactText(),
      /^PRG-11: .*ad hoc chat rooms hosted on the failed node: lost.*softphone calls: not dropped.*Intercluster Sync Agent/,
    )
  })
})
