import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {testSeed} from '../helpers/seed.js'
import {RefusedError, UsageError} from '../../src/lib/errors.js'
import {
  acceptPeerHandover,
  answersCalls,
  checkClusterMembers,
  checkLicenses,
  checkPorts,
  CRITICAL_SERVICES,
  CRITICAL_STOP_TABLE,
  criticalStopEffect,
  networkFine,
  noPrimaryAdvice,
  DELIVERY_SERVICES,
  initialRoleState,
  nextSbrStep,
  parsePerServer,
  planManualAction,
  planRemoveServer,
  PORT_RULES,
  replicationAllowed,
  type RoleEffect,
  type RoleEvent,
  type RoleState,
  type RoleTiming,
  SERVER_STATUSES,
  type ServerStatus,
  servicesWanted,
  SINGLE_INBOX_SERVICES,
  stepRole,
} from '../../src/lib/domain/connection-cluster.js'
import {statusOutcome} from '../../src/lib/cli/connection-cluster.js'
import {TIMING_TABLE, timingFor} from '../../src/lib/domain/timing.js'

const T: RoleTiming = {
  keepaliveIntervalMs: 300,
  keepaliveTimeoutMs: 2000,
  startingMs: 1000,
  replicatingDataMs: 800,
  splitBrainRecoveryMs: 1000,
}
const T0 = 1_700_000_000_000

/**
 * Two role managers wired as the agents wire them: keepalives both ways while connected,
 * handover messages delivered to the peer (its refusal answered back), service steps done at once.
 */
class Pair {
  now = T0
  s: Record<string, RoleState>
  effects: Array<{node: string; effect: RoleEffect; at: number}> = []
  connected = true
  networkOk: Record<string, boolean> = {pub: true, sub: true}
  down: Record<string, boolean> = {pub: false, sub: false}
  private lastKeepalive = T0

  constructor(saved: Partial<Record<'pub' | 'sub', ServerStatus>> = {}) {
    this.s = {
      pub: initialRoleState({self: 'pub', role: 'publisher', peer: 'sub', nowMs: T0, saved: {status: saved.pub}}),
      sub: initialRoleState({self: 'sub', role: 'subscriber', peer: 'pub', nowMs: T0, saved: {status: saved.sub}}),
    }
  }

  other(n: string): string {
    return n === 'pub' ? 'sub' : 'pub'
  }

  step(n: string, e: RoleEvent): void {
    if (this.down[n]) return
    const r = stepRole(this.s[n], e, this.now, T)
    this.s[n] = r.state
    for (const effect of r.effects) {
      this.effects.push({node: n, effect, at: this.now})
      this.route(n, effect)
    }
  }

  private route(n: string, e: RoleEffect): void {
    const p = this.other(n)
    if (e.type === 'checkNetwork')
      this.step(n, {type: 'networkChecked', ok: this.networkOk[n], unreachable: this.networkOk[n] ? [] : ['gateway']})
    if (e.type === 'sbrStep') this.step(n, {type: 'sbrStepDone', phase: e.phase})
    if (e.type === 'handover') {
      let ok = this.connected && !this.down[p]
      let error: string | undefined
      if (ok) {
        try {
          acceptPeerHandover(this.s[p], e.phase)
          this.step(p, {type: 'peerHandover', phase: e.phase, peer: this.info(n)})
        } catch (error_) {
          ok = false
          error = (error_ as Error).message
        }
      }
      if (e.phase !== 'commit') this.step(n, {type: 'handoverAnswered', ok, ...(error ? {error} : {}), ...(ok ? {peer: this.info(p)} : {})})
    }
  }

  info(n: string) {
    return {status: this.s[n].status, since: this.s[n].statusSinceMs, sbrPhase: this.s[n].sbr?.phase ?? null, pendingToPeer: 0}
  }

  /** Time passes: ticks every 100 ms, keepalives both ways every interval while connected. */
  advance(ms: number): void {
    const end = this.now + ms
    while (this.now < end) {
      this.now += 100
      if (this.connected && this.now - this.lastKeepalive >= T.keepaliveIntervalMs) {
        this.lastKeepalive = this.now
        if (!this.down.pub && !this.down.sub) {
          this.step('sub', {type: 'keepalive', peer: this.info('pub')})
          this.step('pub', {type: 'keepalive', peer: this.info('sub')})
        }
      }
      for (const n of ['pub', 'sub']) this.step(n, {type: 'tick'})
    }
  }

  status(): [ServerStatus, ServerStatus] {
    return [this.s.pub.status, this.s.sub.status]
  }

  /** The role manager's events of a node since `from` (index in effects), as "step N: ..." lines. */
  events(n: string, since = 0): Array<{type: string; message: string; rule: string; step?: number}> {
    return this.effects
      .slice(since)
      .flatMap((x) =>
        x.node === n && x.effect.type === 'event'
          ? [{type: x.effect.eventType, message: x.effect.message, rule: x.effect.rule, step: x.effect.step}]
          : [],
      )
  }

  steps(n: string, rule: string, since = 0): number[] {
    return this.events(n, since)
      .filter((e) => e.rule === rule && e.step !== undefined)
      .map((e) => e.step!)
  }

  healthy(): this {
    this.advance(3000)
    assert.deepEqual(this.status(), ['Primary', 'Secondary'])
    return this
  }
}

const view = (
  status: ServerStatus,
  extra: Partial<{takingCalls: boolean; callsInProgress: number; role: 'publisher' | 'subscriber'}> = {},
) => ({
  name: 'cuc-sub',
  role: extra.role ?? ('subscriber' as const),
  status,
  takingCalls: extra.takingCalls ?? true,
  callsInProgress: extra.callsInProgress ?? 0,
})

describe('Unity Connection cluster (SPEC §4)', () => {
  it('UC-1: the publisher cannot be removed; a cluster has exactly one publisher and one subscriber', () => {
    assert.throws(
      () => planRemoveServer({name: 'cuc-pub', role: 'publisher'}),
      (e: Error) => e instanceof RefusedError && e.rule === 'UC-1' && /publisher cannot be removed/.test(e.message),
    )
    checkClusterMembers([
      {name: 'a', role: 'publisher'},
      {name: 'b', role: 'subscriber'},
    ])
    assert.throws(
      () =>
        checkClusterMembers([
          {name: 'a', role: 'publisher'},
          {name: 'b', role: 'publisher'},
        ]),
      (e: Error) => e instanceof UsageError && e.rule === 'UC-1',
    )
    assert.throws(() => checkClusterMembers([{name: 'a', role: 'publisher'}]), /exactly two servers/)
  })

  it('UC-2: the status table is the SPEC table, and only Primary and Secondary answer calls', () => {
    const table: Array<[string, string, string, string, string]> = [
      ['Primary', "publishes DB + message store; receives the peer's data", 'shows and accepts', 'yes', 'yes'],
      ['Secondary', 'receives from Primary, sends its own to Primary', 'shows and accepts', 'yes', 'yes'],
      ['Deactivated', 'receives from Primary', 'shows and accepts', 'no', 'no'],
      ['Not Functioning', 'no', 'no admin UI', 'no', 'no'],
      ['Starting', 'receives and sends', '', 'no', ''],
      ['Replicating Data', 'sends and receives', '', 'temporarily no', 'temporarily no'],
      [
        'Split Brain Recovery',
        'updates DB and message store on the server chosen Primary, replicates to the other',
        '',
        'temporarily no',
        'temporarily no',
      ],
    ]
    assert.deepEqual(
      SERVER_STATUSES.map((s) => [s.status, s.replicates, s.adminChanges, s.answersCalls, s.clientConnections]),
      table,
    )
    for (const s of SERVER_STATUSES) {
      assert.equal(answersCalls(s.status, true), s.answersCalls === 'yes', s.status)
      assert.equal(answersCalls(s.status, false), false, `${s.status} after Stop Taking Calls`)
      assert.equal(s.transient, ['Starting', 'Replicating Data', 'Split Brain Recovery'].includes(s.status))
    }
  })

  it('UC-2: who replicates to whom, by status pair', () => {
    const rows: Array<[ServerStatus, ServerStatus, boolean, string]> = [
      ['Primary', 'Secondary', true, 'UC-2'],
      ['Secondary', 'Primary', true, 'UC-2'],
      ['Primary', 'Deactivated', true, 'UC-2'],
      ['Deactivated', 'Primary', true, 'UC-2'],
      ['Primary', 'Starting', true, 'UC-2'],
      ['Starting', 'Primary', true, 'UC-2'],
      ['Primary', 'Replicating Data', true, 'UC-2'],
      ['Secondary', 'Deactivated', false, 'UC-2'],
      ['Secondary', 'Secondary', false, 'UC-2'],
      ['Primary', 'Not Functioning', false, 'UC-2'],
      ['Not Functioning', 'Primary', false, 'UC-2'],
      ['Primary', 'Primary', false, 'UC-11'],
      ['Split Brain Recovery', 'Split Brain Recovery', true, 'UC-11'],
    ]
    for (const [from, to, allowed, rule] of rows) {
      const r = replicationAllowed(from, to)
      assert.equal(r.allowed, allowed, `${from} → ${to}`)
      assert.equal(r.rule, rule, `${from} → ${to}`)
    }
  })

  it('UC-2: single-inbox sync runs on the Primary only; Starting has none', () => {
    for (const s of SINGLE_INBOX_SERVICES) {
      assert.ok(servicesWanted('Primary').includes(s))
      assert.ok(!servicesWanted('Secondary').includes(s))
      assert.ok(!servicesWanted('Starting').includes(s))
    }
    assert.deepEqual(servicesWanted('Not Functioning'), [])
  })

  it('UC-2: Starting lasts its configured time, then the fitting status; the timing rows exist in both profiles', () => {
    const p = new Pair()
    p.advance(T.startingMs - 200)
    assert.deepEqual(p.status(), ['Starting', 'Starting'])
    p.advance(600)
    assert.deepEqual(p.status(), ['Primary', 'Secondary'])
    for (const name of [
      'cucKeepaliveIntervalMs',
      'cucKeepaliveTimeoutMs',
      'cucStartingMs',
      'cucReplicatingDataMs',
      'cucSplitBrainRecoveryMs',
    ] as const) {
      assert.ok(
        TIMING_TABLE.some((r) => r.name === name),
        name,
      )
    }
  })

  it('UC-3: a healthy cluster has the publisher Primary, whichever server starts first', () => {
    const p = new Pair()
    p.advance(3000)
    assert.deepEqual(p.status(), ['Primary', 'Secondary'])
    assert.equal(p.s.pub.lastChange?.rule, 'UC-3')
  })

  it('UC-3: after Make Primary on the subscriber, the publisher becomes Secondary automatically', () => {
    const p = new Pair().healthy()
    p.step('sub', {type: 'manual', action: 'make-primary'})
    assert.deepEqual(p.status(), ['Secondary', 'Primary'])
  })

  it('UC-4: a server that starts alone becomes Primary and handles all calls; a returning one becomes Secondary', () => {
    const p = new Pair()
    p.down.sub = true
    p.advance(3000)
    assert.equal(p.s.pub.status, 'Primary')
    assert.equal(p.s.pub.lastChange?.rule, 'UC-4')
    p.down.sub = false
    p.s.sub = initialRoleState({self: 'sub', role: 'subscriber', peer: 'pub', nowMs: p.now})
    p.advance(2000)
    assert.deepEqual(p.status(), ['Primary', 'Secondary'])
  })

  it('UC-4: activate plans Starting, then the fitting status (Secondary while the peer is Primary)', () => {
    const plan = planManualAction('activate', view('Deactivated'), {name: 'cuc-pub', status: 'Primary'})
    assert.match(plan.changes[0], /Deactivated → Starting → Secondary/)
    const p = new Pair().healthy()
    p.step('sub', {type: 'manual', action: 'deactivate'})
    p.step('sub', {type: 'manual', action: 'activate'})
    assert.equal(p.s.sub.status, 'Starting')
    p.advance(1500)
    assert.deepEqual(p.status(), ['Primary', 'Secondary'])
  })

  it('UC-5: the peer is declared lost only after the keepalive timeout', () => {
    const p = new Pair().healthy()
    p.connected = false
    p.advance(T.keepaliveTimeoutMs - 400)
    assert.equal(p.s.sub.peerLost, false)
    assert.equal(p.s.sub.status, 'Secondary')
    p.advance(800)
    assert.equal(p.s.sub.peerLost, true)
    assert.ok(p.events('sub').some((e) => e.rule === 'UC-5' && /no keepalive from pub/.test(e.message)))
  })

  it('UC-5: documented keepalive timing detects a lost peer within 30 to 60 s', () => {
    const d = timingFor('documented')
    assert.ok(d.cucKeepaliveTimeoutMs >= 30_000)
    assert.ok(d.cucKeepaliveTimeoutMs + d.cucKeepaliveIntervalMs <= 60_000)
    const f = timingFor('fast')
    assert.ok(f.cucKeepaliveTimeoutMs > 3 * f.cucKeepaliveIntervalMs, 'a few missed keepalives, not one, make a loss')
  })

  it('UC-6: cluster status notes that the publisher being Not Functioning stops LDAP and digital-network directory updates', () => {
    const target = {context: 't', lab: false, nodes: []}
    const down = statusOutcome(target, [
      {name: 'cuc-pub', role: 'publisher', status: 'Not Functioning', answersCalls: false, callsInProgress: 0, reachable: false},
      {name: 'cuc-sub', role: 'subscriber', status: 'Primary', answersCalls: true, callsInProgress: 0, reachable: true},
    ])
    assert.ok((down.doc.notes as string[]).some((n) => n.startsWith('UC-6') && /LDAP/.test(n) && /digital-network/.test(n)))
    const up = statusOutcome(target, [
      {name: 'cuc-pub', role: 'publisher', status: 'Primary', answersCalls: true, callsInProgress: 0, reachable: true},
    ])
    assert.ok(!(up.doc.notes as string[]).some((n) => n.startsWith('UC-6')))
  })

  it('UC-7: only a Secondary can be deactivated; a Primary cannot', () => {
    for (const s of SERVER_STATUSES.map((x) => x.status)) {
      if (s === 'Secondary' || s === 'Deactivated') continue
      assert.throws(
        () => planManualAction('deactivate', view(s), {name: 'cuc-pub', status: 'Primary'}),
        (e: Error) => e instanceof RefusedError && ['UC-7', 'UC-2'].includes(e.rule!),
        s,
      )
    }
    assert.throws(
      () => planManualAction('deactivate', view('Primary'), {name: 'cuc-pub', status: 'Secondary'}),
      (e: Error) => e instanceof RefusedError && e.rule === 'UC-7' && /a Primary cannot/.test(e.message),
    )
    const plan = planManualAction('deactivate', view('Secondary'), {name: 'cuc-pub', status: 'Primary'})
    assert.deepEqual(plan.changes, ['cuc-sub: Secondary → Deactivated (answers no calls, accepts no messages)'])
    assert.equal(planManualAction('deactivate', view('Deactivated'), {name: 'cuc-pub', status: 'Primary'}).noop, true)
  })

  it('UC-8: Secondary → Deactivated drops calls in progress (warned); manual Primary/Secondary swaps drop none', () => {
    const plan = planManualAction('deactivate', view('Secondary', {callsInProgress: 3}), {name: 'cuc-pub', status: 'Primary'})
    assert.equal(plan.dropsCalls, 3)
    assert.match(plan.warnings[0], /3 calls in progress on cuc-sub will be dropped \(UC-8\).*--drain/)
    const p = new Pair().healthy()
    const mark = p.effects.length
    p.step('sub', {type: 'manual', action: 'make-primary'})
    p.step('pub', {type: 'manual', action: 'deactivate'})
    const drops = p.effects.slice(mark).filter((x) => x.effect.type === 'dropCalls')
    assert.deepEqual(
      drops.map((x) => x.node),
      ['pub'],
      'only the deactivation drops calls',
    )
    assert.ok(
      planManualAction('make-primary', view('Secondary'), {name: 'cuc-pub', status: 'Primary'}).rules.some(
        (r) => r.startsWith('UC-8') && /not affected/.test(r),
      ),
    )
  })

  it('UC-8: Stop Taking Calls keeps the status and answers no new calls; Take Calls resumes', () => {
    const p = new Pair().healthy()
    p.step('sub', {type: 'manual', action: 'stop-taking-calls'})
    assert.equal(p.s.sub.status, 'Secondary')
    assert.equal(answersCalls(p.s.sub.status, p.s.sub.takingCalls), false)
    assert.equal(planManualAction('stop-taking-calls', view('Secondary', {takingCalls: false}), undefined).noop, true)
    p.step('sub', {type: 'manual', action: 'take-calls'})
    assert.equal(answersCalls(p.s.sub.status, p.s.sub.takingCalls), true)
  })

  it('UC-10: the effect of a critical service stop, by server and status (table)', () => {
    const rows = CRITICAL_STOP_TABLE.map((r) => [r.role, r.status, criticalStopEffect(r.role, r.status, 'Secondary').effect])
    assert.deepEqual(rows, [
      ['publisher', 'Primary', 'status-change'],
      ['publisher', 'Secondary', 'degraded'],
      ['subscriber', 'Primary', 'degraded'],
    ])
    for (const peer of ['Deactivated', 'Not Functioning', undefined] as const) {
      assert.equal(criticalStopEffect('publisher', 'Primary', peer).effect, 'no-primary', `subscriber ${peer}`)
    }
  })

  it('UC-10: on the publisher while Primary the subscriber becomes Primary; on the subscriber while Primary nothing changes', () => {
    const p = new Pair().healthy()
    p.step('pub', {type: 'servicesDown', down: ['Connection Notifier']})
    assert.deepEqual(p.status(), ['Secondary', 'Primary'])
    assert.deepEqual(p.s.pub.down, ['Connection Notifier'])
    const mark = p.effects.length
    p.step('sub', {type: 'servicesDown', down: ['Connection Message Transfer Agent']})
    assert.deepEqual(p.status(), ['Secondary', 'Primary'], 'subscriber while Primary: degraded, status unchanged')
    p.step('pub', {type: 'servicesDown', down: ['Connection Notifier', 'Connection DB']})
    assert.deepEqual(p.status(), ['Secondary', 'Primary'], 'publisher while Secondary: degraded, status unchanged')
    assert.ok(p.events('sub', mark).some((e) => e.rule === 'UC-10' && /degraded, status unchanged/.test(e.message)))
  })

  it('UC-10 (literal): with the subscriber Deactivated, a critical service stopped on the Primary publisher makes it Secondary (degraded): no server is Primary until one is', () => {
    const p = new Pair().healthy()
    p.step('sub', {type: 'manual', action: 'deactivate'})
    p.advance(600)
    const mark = p.effects.length
    p.step('pub', {type: 'servicesDown', down: ['Connection Notifier']})
    assert.deepEqual(p.status(), ['Secondary', 'Deactivated'])
    assert.ok(p.events('pub', mark).some((e) => e.type === 'Alarm' && e.rule === 'UC-10' && /no server is Primary/.test(e.message)))
    assert.throws(
      () => acceptPeerHandover(p.s.sub, 'notify'),
      (e: Error) => e instanceof RefusedError && e.rule === 'UC-10',
    )
    p.advance(5000)
    assert.deepEqual(p.status(), ['Secondary', 'Deactivated'], 'still no Primary')
    assert.match(
      noPrimaryAdvice([
        {name: 'pub', role: 'publisher', status: 'Secondary', degraded: ['Connection Notifier']},
        {name: 'sub', role: 'subscriber', status: 'Deactivated'},
      ]) ?? '',
      /no server is Primary.*start Connection Notifier on pub.*activate sub/,
    )
    // The service back: the publisher is Primary again.
    p.step('pub', {type: 'servicesDown', down: []})
    assert.deepEqual(p.status(), ['Primary', 'Deactivated'])
    assert.equal(noPrimaryAdvice([{name: 'pub', role: 'publisher', status: 'Primary'}]), null)
  })

  it('UC-10 (literal): with the subscriber Not Functioning the publisher becomes Secondary and does not promote itself (UC-13) while degraded', () => {
    const p = new Pair().healthy()
    p.down.sub = true
    p.advance(3000)
    assert.equal(p.s.pub.peerLost, true)
    p.step('pub', {type: 'servicesDown', down: ['Connection DB']})
    assert.equal(p.s.pub.status, 'Secondary')
    p.advance(5000)
    assert.equal(p.s.pub.status, 'Secondary', 'no UC-13 takeover while its own critical services are down')
    p.step('pub', {type: 'servicesDown', down: []})
    assert.equal(p.s.pub.status, 'Primary')
  })

  it('UC-13 (run time): the network is fine when localhost and at least one other known server answer', () => {
    assert.deepEqual(
      networkFine(true, [
        {name: 'cucm-pub', answered: false},
        {name: 'gateway', answered: true},
      ]),
      {ok: true, unreachable: ['cucm-pub']},
    )
    assert.deepEqual(
      networkFine(true, [
        {name: 'cucm-pub', answered: false},
        {name: 'gateway', answered: false},
      ]),
      {ok: false, unreachable: ['cucm-pub', 'gateway']},
    )
    assert.equal(networkFine(false, [{name: 'gateway', answered: true}]).ok, false)
    assert.equal(networkFine(true, []).ok, true, 'no known server configured: localhost only')
  })

  it('UC-11: split brain: both Primary while apart; on contact both recover in the documented order; publisher Primary, subscriber Secondary', () => {
    const p = new Pair().healthy()
    p.connected = false
    p.advance(5000)
    assert.deepEqual(p.status(), ['Primary', 'Primary'])
    assert.equal(replicationAllowed('Primary', 'Primary').allowed, false)
    const mark = p.effects.length
    p.connected = true
    p.advance(400)
    assert.deepEqual(p.status(), ['Split Brain Recovery', 'Split Brain Recovery'])
    p.advance(3000)
    assert.deepEqual(p.status(), ['Primary', 'Secondary'])
    // The order of the recovery's service steps across both servers.
    const order = p.effects.slice(mark).flatMap((x) => {
      if (x.effect.type === 'sbrStep') return [`${x.node} ${x.effect.phase}`]
      if (x.effect.type === 'startServices' && x.effect.services.includes(SINGLE_INBOX_SERVICES[0]))
        return [`${x.node} mailbox sync starts`]
      if (x.effect.type === 'event' && x.effect.eventType === 'ClusterStatus' && /→ (Primary|Secondary)/.test(x.effect.message))
        return [`${x.node} ${x.effect.message.includes('→ Primary') ? 'Primary' : 'Secondary'}`]
      return []
    })
    // Delivery stops on both (in either order), then starts on the publisher before the subscriber.
    assert.deepEqual(order.slice(0, 2).sort(), ['pub stopped', 'sub stopped'])
    assert.deepEqual(order.slice(2), [
      'pub publisher-started',
      'sub subscriber-started',
      'sub Secondary',
      'pub Primary',
      'pub mailbox sync starts',
    ])
  })

  it('UC-11: the recovery steps: stop delivery and single inbox on both, then the publisher starts first', () => {
    const merged = {merged: true, elapsedMs: 5000, minimumMs: 1000}
    const first = nextSbrStep('publisher', null, null, merged)!
    assert.deepEqual(first.stop, [...DELIVERY_SERVICES, ...SINGLE_INBOX_SERVICES])
    assert.match(first.why, /unmounted/)
    assert.equal(nextSbrStep('publisher', 'stopped', null, merged), null, 'waits for the subscriber to stop')
    assert.equal(nextSbrStep('publisher', 'stopped', 'stopped', {...merged, merged: false}), null, 'waits for the data to be merged')
    assert.equal(nextSbrStep('publisher', 'stopped', 'stopped', {...merged, elapsedMs: 10}), null, 'lasts its configured time')
    assert.deepEqual(nextSbrStep('publisher', 'stopped', 'stopped', merged)!.start, [...DELIVERY_SERVICES])
    assert.equal(nextSbrStep('subscriber', 'stopped', 'stopped', merged), null, 'the subscriber starts after the publisher')
    assert.deepEqual(nextSbrStep('subscriber', 'stopped', 'publisher-started', merged)!.start, [...DELIVERY_SERVICES])
    assert.deepEqual(nextSbrStep('publisher', 'publisher-started', 'subscriber-started', merged)!.start, [...SINGLE_INBOX_SERVICES])
  })

  it('UC-12: a Primary publisher with an unrecoverable failure: steps 1-9 on the right servers, in order', () => {
    const p = new Pair().healthy()
    const mark = p.effects.length
    p.step('pub', {type: 'servicesDown', down: ['Connection DB']})
    assert.deepEqual(p.steps('pub', 'UC-12', mark), [1, 2, 3, 4])
    assert.deepEqual(p.steps('sub', 'UC-12', mark), [2, 3, 5, 6, 7, 8, 9])
    const alarms = [...p.events('pub', mark), ...p.events('sub', mark)].filter((e) => e.type === 'Alarm').map((e) => e.message)
    assert.equal(alarms.filter((m) => m.startsWith('status change starting')).length, 2, 'both raise "status change starting"')
    assert.equal(alarms.filter((m) => m.startsWith('status change complete')).length, 1, 'the new Primary raises "status change complete"')
    // Step 4 (the Primary steps down) happens before step 5 (the peer steps up).
    const seq = p.effects
      .slice(mark)
      .flatMap((x) => (x.effect.type === 'event' && x.effect.rule === 'UC-12' && x.effect.step ? [`${x.node}:${x.effect.step}`] : []))
    assert.ok(seq.indexOf('pub:4') < seq.indexOf('sub:5'))
    assert.ok(
      p.effects
        .slice(mark)
        .some(
          (x) =>
            x.node === 'sub' &&
            x.effect.type === 'startServices' &&
            CRITICAL_SERVICES.every((c) => (x.effect as {services: string[]}).services.includes(c)),
        ),
    )
  })

  it('UC-12: when the peer cannot take over, the Primary keeps its status', () => {
    const p = new Pair().healthy()
    p.connected = false
    p.step('pub', {type: 'servicesDown', down: ['Connection DB']})
    assert.equal(p.s.pub.status, 'Primary')
    assert.ok(p.events('pub').some((e) => /did not take the status change/.test(e.message)))
  })

  it('UC-13: a Secondary that hears nothing checks the network first, then takes over (steps 1-8)', () => {
    const p = new Pair().healthy()
    p.down.pub = true
    const mark = p.effects.length
    p.advance(T.keepaliveTimeoutMs + 500)
    assert.equal(p.s.sub.status, 'Primary')
    assert.deepEqual(p.steps('sub', 'UC-13', mark), [1, 2, 3, 4, 5, 6, 7, 8])
    const i = p.effects.findIndex((x, k) => k >= mark && x.effect.type === 'checkNetwork')
    const j = p.effects.findIndex((x, k) => k >= mark && x.effect.type === 'event' && x.effect.eventType === 'Alarm')
    assert.ok(i >= 0 && i < j, 'the network is checked before the alarm')
  })

  it('UC-13: network not fine: no status change and the remaining steps do not happen; it takes over once the network is fine', () => {
    const p = new Pair().healthy()
    p.networkOk.sub = false
    p.connected = false
    const mark = p.effects.length
    p.advance(T.keepaliveTimeoutMs * 3)
    assert.equal(p.s.sub.status, 'Secondary')
    assert.deepEqual([...new Set(p.steps('sub', 'UC-13', mark))], [1, 2, 3])
    assert.ok(
      p.events('sub', mark).some((e) => e.step === 3 && /network not fine \(no answer from gateway\): no status change/.test(e.message)),
    )
    p.networkOk.sub = true
    p.advance(T.keepaliveTimeoutMs + 300)
    assert.equal(p.s.sub.status, 'Primary')
  })

  it('UC-14: Make Primary: the Secondary notifies the Primary; steps 1-9; refused unless Secondary with a Primary peer', () => {
    const p = new Pair().healthy()
    const mark = p.effects.length
    p.step('sub', {type: 'manual', action: 'make-primary'})
    assert.deepEqual(p.status(), ['Secondary', 'Primary'])
    assert.deepEqual(p.steps('sub', 'UC-14', mark), [1, 2, 3, 5, 6, 7, 8, 9])
    assert.deepEqual(p.steps('pub', 'UC-14', mark), [2, 3, 4])
    assert.equal(planManualAction('make-primary', view('Primary'), {name: 'cuc-pub', status: 'Secondary'}).noop, true)
    assert.throws(
      () => planManualAction('make-primary', view('Deactivated'), {name: 'cuc-pub', status: 'Primary'}),
      (e: Error) => e instanceof RefusedError && e.rule === 'UC-14' && /activate it first/.test(e.hint ?? ''),
    )
    assert.throws(
      () => planManualAction('make-primary', view('Secondary'), undefined),
      (e: Error) => e instanceof RefusedError && e.rule === 'UC-14',
    )
    assert.throws(
      () => planManualAction('make-primary', view('Split Brain Recovery'), undefined),
      (e: Error) => e instanceof RefusedError && e.rule === 'UC-2',
    )
  })

  it('UC-14: a keepalive sent just before the handover (old Primary) is not taken for split brain', () => {
    const p = new Pair().healthy()
    const stale = p.info('pub')
    p.advance(200)
    p.step('sub', {type: 'manual', action: 'make-primary'})
    p.step('sub', {type: 'keepalive', peer: stale})
    assert.deepEqual(p.status(), ['Secondary', 'Primary'])
    p.advance(1000)
    assert.deepEqual(p.status(), ['Secondary', 'Primary'])
  })

  it('UC-14: a Make Primary the Primary refuses leaves both statuses as they were', () => {
    const p = new Pair().healthy()
    p.s.pub = {...p.s.pub, status: 'Replicating Data'}
    p.step('sub', {type: 'manual', action: 'make-primary'})
    assert.equal(p.s.sub.status, 'Secondary')
    assert.equal(p.s.sub.handover, null)
  })

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
