import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {decideRestart, FRESH_TRACKER, type RestartTracker} from '../../src/lib/domain/restart-policy.js'
import {TIMING_TABLE, timingFor} from '../../src/lib/domain/timing.js'

const t = timingFor('documented')

describe('restart policy (SVC-4 and published practice)', () => {
  it('SVC-4: the first abnormal exit is restarted quickly (about 100 ms, under 200 ms)', () => {
    const {decision} = decideRestart(FRESH_TRACKER, {startedAtMs: 0, nowMs: 50}, t)
    assert.deepEqual(decision, {action: 'restart', delayMs: 100})
    assert.ok(decideRestart(FRESH_TRACKER, {startedAtMs: 0, nowMs: 50}, timingFor('fast')).decision.action === 'restart')
  })

  it('SVC-4: a process that keeps dying is restarted with exponential backoff', () => {
    let tracker: RestartTracker = FRESH_TRACKER
    const delays: number[] = []
    let now = 0
    for (let i = 0; i < 4; i++) {
      const r = decideRestart(tracker, {startedAtMs: now, nowMs: now + 10}, {...t, restartBurstWindowMs: 1})
      tracker = r.tracker
      assert.equal(r.decision.action, 'restart')
      if (r.decision.action === 'restart') delays.push(r.decision.delayMs)
      now += 1000
    }
    assert.deepEqual(delays, [100, 200, 400, 800])
  })

  it('SVC-4: the backoff never exceeds its ceiling', () => {
    const tracker: RestartTracker = {recent: [], consecutive: 30}
    const r = decideRestart(tracker, {startedAtMs: 0, nowMs: 1}, t)
    assert.deepEqual(r.decision, {action: 'restart', delayMs: t.restartMaxDelayMs})
  })

  it('SVC-4: past the burst limit within the window the process is Failed, not restarted', () => {
    let tracker: RestartTracker = FRESH_TRACKER
    let now = 0
    const actions: string[] = []
    for (let i = 0; i <= t.restartBurstLimit; i++) {
      const r = decideRestart(tracker, {startedAtMs: now, nowMs: now + 1}, t)
      tracker = r.tracker
      actions.push(r.decision.action)
      now += 10
    }
    assert.deepEqual(actions, [...Array(t.restartBurstLimit).fill('restart'), 'fail'])
  })

  it('SVC-4: restarts older than the burst window no longer count', () => {
    const old: RestartTracker = {recent: Array(t.restartBurstLimit).fill(0), consecutive: 1}
    const r = decideRestart(old, {startedAtMs: t.restartBurstWindowMs, nowMs: t.restartBurstWindowMs + 5}, t)
    assert.equal(r.decision.action, 'restart')
  })

  it('SVC-4: a stable run resets the backoff to the first delay', () => {
    const tracker: RestartTracker = {recent: [], consecutive: 4}
    const r = decideRestart(tracker, {startedAtMs: 0, nowMs: t.restartResetAfterMs}, t)
    assert.deepEqual(r.decision, {action: 'restart', delayMs: t.restartInitialDelayMs})
  })

  const burst = (escalation: {automatic: boolean; nodeRestartAtMs: number | null}, start = 0) => {
    let tracker: RestartTracker = FRESH_TRACKER
    let now = start
    let last = decideRestart(tracker, {startedAtMs: now, nowMs: now + 1}, t, escalation)
    for (let i = 0; i <= t.restartBurstLimit; i++) {
      last = decideRestart(tracker, {startedAtMs: now, nowMs: now + 1}, t, escalation)
      tracker = last.tracker
      now += 10
    }
    return last.decision
  }

  it('SVC-5: past the burst limit an Automatic process is an unrecoverable fault: NMM restarts the node', () => {
    const d = burst({automatic: true, nodeRestartAtMs: null})
    assert.equal(d.action, 'restart-node')
    assert.match(d.action === 'restart-node' ? d.reason : '', /SVC-5/)
  })

  it('SVC-5: at most one node restart per window; the fault persisting after it makes the process Failed', () => {
    assert.equal(burst({automatic: true, nodeRestartAtMs: 0}, 100).action, 'fail')
    assert.equal(burst({automatic: true, nodeRestartAtMs: 0}, t.nmmRestartWindowMs).action, 'restart-node', 'a new window allows another')
  })

  it('SVC-5: a Manual process does not start with the node (SVC-3): past the burst limit it is Failed, no node restart', () => {
    assert.equal(burst({automatic: false, nodeRestartAtMs: null}).action, 'fail')
  })

  it('timing profiles: every setting has a documented and a fast value, fast never slower', () => {
    for (const s of TIMING_TABLE) {
      assert.ok(s.fast <= s.documented, `${s.name}: fast ${s.fast} > documented ${s.documented}`)
      assert.ok(s.source.length > 0)
    }
    assert.equal(timingFor('fast', {stopGraceMs: 7}).stopGraceMs, 7)
  })
})
