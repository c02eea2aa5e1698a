// The Server Recovery Manager's reducer (domain/presence-srm.ts), event by event, and how the
// agent hosts it: heartbeats never wait behind a long effect (PRG-3).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ReducerHost} from '../../src/lib/agent/reducer-host.js'
import {
  applyEvent,
  haTimersFor,
  initialSrm,
  isImmediate,
  newGroup,
  reduceSrm,
  type Services,
  type SrmEffect,
  type SrmEvent,
  type SrmState,
} from '../../src/lib/domain/presence-redundancy.js'

const A = 'imp-pub'
const B = 'imp-sub'
const SRM = 'Cisco Server Recovery Manager'
const ENGINE = 'Cisco Presence Engine'
const T0 = 1_700_000_000_000
const timers = haTimersFor('fast')
const healthy: Services = {down: [], up: true, database: null}
const group = newGroup({
  name: 'prg1',
  nodes: [
    {name: A, users: 10},
    {name: B, users: 10},
  ],
  haEnabled: true,
})
const start = () => initialSrm({me: A, peer: B, timers, critical: [ENGINE], srmService: SRM}, group)

/** Folds events in order; the effects of all of them. */
function fold(s: SrmState, ...events: SrmEvent[]): {state: SrmState; effects: SrmEffect[]} {
  const effects: SrmEffect[] = []
  for (const e of events) {
    const r = reduceSrm(s, e)
    s = r.state
    effects.push(...r.effects)
  }
  return {state: s, effects}
}
const started = (now = T0, id = 'init-1'): SrmEvent => ({
  type: 'serviceChanged',
  now,
  service: SRM,
  to: 'Running',
  initId: id,
  services: healthy,
})
const peerWord = (seenInit: string | null) => ({
  initializing: false,
  initId: 'peer-1',
  initKind: 'boot' as const,
  seenInit,
  servicesUp: true,
  tableStamp: 0,
})
const kinds = (fx: SrmEffect[]) => fx.map((f) => f.kind)
const applied = (fx: SrmEffect[]) => fx.flatMap((f) => (f.kind === 'apply' ? f.events.map((e) => e.type) : []))
/** An SRM that has started and heard its peer (Running). */
const running = () =>
  fold(start(), started(), {type: 'heartbeatDone', now: T0 + 10, peer: peerWord('init-1'), group, services: healthy}).state

describe('the Server Recovery Manager (reducer)', () => {
  it('PRG-3: the SRM starts Initializing with a heartbeat; the first start is the boot, a later one a restart', () => {
    const r = fold(start(), started())
    assert.equal(r.state.srm, 'initializing')
    assert.equal(r.state.initKind, 'boot')
    assert.deepEqual(kinds(r.effects), ['emit', 'heartbeat'])
    const stopped = fold(r.state, {type: 'serviceChanged', now: T0 + 1, service: SRM, to: 'Stopped', initId: 'x', services: healthy})
    assert.equal(stopped.state.srm, 'stopped')
    assert.deepEqual(kinds(fold(stopped.state, {type: 'keepalive'}).effects), [], 'a stopped SRM neither heartbeats nor monitors')
    assert.equal(fold(stopped.state, started(T0 + 2, 'init-2')).state.initKind, 'restart')
  })

  it('PRG-3: one heartbeat at a time; one asked for meanwhile is sent when the first is answered', () => {
    const s = running()
    const r = fold(s, {type: 'keepalive'}, {type: 'keepalive'})
    assert.deepEqual(kinds(r.effects), ['heartbeat'])
    assert.equal(r.state.heartbeat, 'again')
    const done = fold(r.state, {type: 'heartbeatDone', now: T0 + 20, peer: peerWord('init-1'), group, services: healthy})
    assert.equal(kinds(done.effects).filter((k) => k === 'heartbeat').length, 1)
    assert.equal(done.state.heartbeat, 'sending')
  })

  it("PRG-3: no heartbeat within the keepalive timeout: the peer is lost and its group action's lock dropped", () => {
    const s = running()
    const late = T0 + 10 + timers.keepaliveTimeoutMs + 1
    const r = fold(s, {type: 'heartbeatDone', now: late, peer: null, group, services: healthy})
    assert.ok(kinds(r.effects).includes('dropPeerLease'))
    assert.deepEqual(applied(r.effects), ['peerHeartbeatLost', 'tick'])
    const inTime = fold(s, {type: 'heartbeatDone', now: T0 + 20, peer: null, group, services: healthy})
    assert.deepEqual(applied(inTime.effects), ['tick'])
  })

  it('PRG-7 row 18: the peer not seen within the initialization keepalive timeout: this node boots alone', () => {
    const s = fold(start(), started()).state
    const r = fold(s, {type: 'heartbeatDone', now: T0 + timers.initKeepaliveTimeoutMs, peer: null, group, services: healthy})
    assert.equal(r.state.srm, 'running')
    const first = r.effects.find((f) => f.kind === 'apply' && f.first)
    assert.deepEqual(first, {
      kind: 'apply',
      events: [
        {type: 'peerNotSeenAtInit', node: B},
        {type: 'peerHeartbeatLost', node: B},
      ],
      first: true,
    })
    assert.ok(kinds(r.effects).includes('endInterruptedMove'), 'PRG-7 rows 19, 20: a move interrupted before the start ends')
  })

  it('PRG-3: a critical service down is reported; not while the SRM itself starts or stops the services', () => {
    const s = running()
    const down = {
      type: 'serviceChanged',
      now: T0 + 30,
      service: ENGINE,
      to: 'Stopped',
      initId: 'x',
      services: {...healthy, down: [ENGINE], up: false},
    } as const
    assert.deepEqual(applied(fold(s, down).effects), ['criticalServiceDown'])
    assert.deepEqual(applied(fold(s, {type: 'servicesActing', delta: 1}, down).effects), [])
  })

  it('PRG-4: a critical service started on an Idle node is stopped; the Idle node has its services stopped', () => {
    const failed = applyEvent(group, {type: 'failover', node: A}, T0)
    const idle = applyEvent(failed.group, {type: 'takeoverComplete'}, T0 + 1).group
    const s = fold(running(), {type: 'applied', local: false, node: B, stamp: T0 + 1, effects: [], group: idle})
    assert.ok(s.effects.some((f) => f.kind === 'stopCritical' && f.reason === 'PRG-4'))
    const r = fold(s.state, {type: 'serviceChanged', now: T0 + 40, service: ENGINE, to: 'Running', initId: 'x', services: healthy})
    assert.deepEqual(
      r.effects.filter((f) => f.kind === 'stopService'),
      [{kind: 'stopService', service: ENGINE}],
    )
  })

  it('PRG-7 row 14: critical services that cannot start during a takeback: that move is off, and the services are down', () => {
    const r = fold(running(), {type: 'servicesFailedToStart', now: T0 + 50, stamp: 42, message: 'exit 3'})
    assert.deepEqual(r.state.abortedMoves, [42])
    assert.deepEqual(applied(r.effects), ['criticalServiceDown'])
  })

  it('PRG-3: a long effect (stopping services) never holds back a heartbeat: short effects are performed at once', async () => {
    assert.equal(isImmediate({kind: 'heartbeat'}), true)
    assert.equal(isImmediate({kind: 'stopCritical', reason: 'PRG-8'}), false)
    const sent: number[] = []
    let release = () => {}
    const h = new ReducerHost<number, 'stop' | 'beat' | 'stopped', 'stopServices' | 'heartbeat'>(0, {
      reduce: (n, e) => ({state: n + 1, effects: e === 'stop' ? ['stopServices'] : e === 'beat' ? ['heartbeat'] : []}),
      immediate: (f) => f === 'heartbeat',
      performNow: () => {
        sent.push(Date.now())
        return undefined
      },
      perform: () => new Promise((resolve) => (release = () => resolve('stopped'))),
      failed: () => undefined,
    })
    h.dispatch('stop')
    assert.equal(h.busy, true)
    h.dispatch('beat')
    h.dispatch('beat')
    assert.equal(sent.length, 2, 'both heartbeats went while the services were still stopping')
    release()
    await h.idle()
    assert.equal(h.state, 4)
  })
})
