import {describe, it} from 'node:test'
import assert from 'node:assert/strict'

import {UsageError} from '../../src/lib/errors.js'
import {
  type ThrottleEvent,
  type ThrottleParams,
  type ThrottleState,
  DEFAULT_THROTTLE_PARAMS,
  THROTTLE_PARAMETERS,
  admitCall,
  describeThrottleChanges,
  exitLatencyMs,
  initialThrottleState,
  parseThrottleAssignments,
  resolveThrottleParams,
  stepThrottle,
  throttleStateAfterRestart,
  validateThrottleParams,
  REPEATED_CODE_YELLOW_ENTRIES,
  throttleInvestigation,
} from '../../src/lib/domain/throttle.js'

const rep = (n: number, delayMs: number): number[] => Array.from({length: n}, () => delayMs)

interface Trace {
  state: ThrottleState
  /** State name after each sample. */
  names: string[]
  activity: number[]
  events: (ThrottleEvent & {index: number})[]
}

/** Feeds one sample a second, starting at `t0`, from `state`. */
function run(delays: readonly number[], params: ThrottleParams = DEFAULT_THROTTLE_PARAMS, state = initialThrottleState(), t0 = 0): Trace {
  const trace: Trace = {state, names: [], activity: [], events: []}
  delays.forEach((delayMs, i) => {
    const r = stepThrottle(trace.state, {timeMs: t0 + i * 1000, delayMs}, params)
    trace.state = r.state
    trace.names.push(r.state.state)
    trace.activity.push(r.state.counters.ThrottlingSampleActivity)
    trace.events.push(...r.events.map((e) => ({...e, index: i})))
  })
  return trace
}

const eventsOf = (t: Trace) => t.events.map((e) => `${e.type}@${e.index}`)
const params = (p: Partial<ThrottleParams>): ThrottleParams => ({...DEFAULT_THROTTLE_PARAMS, ...p})

describe('parameters', () => {
  it('THR-2: the table holds the published defaults and ranges', () => {
    assert.deepEqual(
      THROTTLE_PARAMETERS.map((r) => [r.name, r.unit, r.default, r.min, r.max, r.rule]),
      [
        ['Code Yellow Entry Latency', 'ms', 20, 5, 500, 'THR-2'],
        ['Code Yellow Exit Latency', '%', 40, 1, 100, 'THR-3'],
        ['Code Yellow Duration', 'min', 99999, 1, 99999, 'THR-4'],
        ['System Throttle Sample Size', 's', 10, 0, 300, 'THR-5'],
      ],
    )
  })

  it('THR-3: exit latency = entry × exit% (20 ms × 40 % = 8 ms)', () => {
    assert.equal(exitLatencyMs(DEFAULT_THROTTLE_PARAMS), 8)
    assert.equal(exitLatencyMs(params({codeYellowEntryLatencyMs: 15})), 6)
  })

  const RANGE = [
    {rule: 'THR-2', key: 'codeYellowEntryLatencyMs', bad: [4, 501], good: 5},
    {rule: 'THR-3', key: 'codeYellowExitLatencyPercent', bad: [0, 101], good: 100},
    {rule: 'THR-4', key: 'codeYellowDurationMin', bad: [0, 100000], good: 1},
    {rule: 'THR-5', key: 'systemThrottleSampleSizeSec', bad: [-1, 301], good: 300},
  ] as const
  for (const row of RANGE) {
    it(`${row.rule}: ${row.key} out of range ${row.bad.join(' and ')} is an error, ${row.good} is accepted`, () => {
      for (const value of row.bad) {
        const check = validateThrottleParams({[row.key]: value})
        assert.equal(check.ok, false)
        assert.deepEqual(
          check.findings.map((f) => `${f.rule} ${f.severity}`),
          [`${row.rule} error`],
        )
        assert.match(check.findings[0].message, /out of range/)
      }
      assert.equal(validateThrottleParams({[row.key]: row.good}).ok, true)
    })
  }

  it('THR-7: any change from the default is accepted with a warning; defaults raise nothing', () => {
    const check = validateThrottleParams({codeYellowEntryLatencyMs: 30})
    assert.equal(check.ok, true)
    assert.deepEqual(
      check.findings.map((f) => `${f.rule} ${f.severity}`),
      ['THR-7 warning'],
    )
    assert.match(check.findings[0].message, /discouraged unless Cisco support recommends it/)
    assert.deepEqual(validateThrottleParams({...DEFAULT_THROTTLE_PARAMS}).findings, [])
  })

  it('THR-7: an unknown name and a non-integer are errors; service-parameter names are accepted', () => {
    assert.deepEqual(
      validateThrottleParams({codeGreen: 1, 'Code Yellow Exit Latency': '40.5'}).findings.map((f) => `${f.rule} ${f.parameter}`),
      ['THR-7 codeGreen', 'THR-3 codeYellowExitLatencyPercent'],
    )
    assert.equal(resolveThrottleParams({'code yellow duration': '30'}).codeYellowDurationMin, 30)
  })

  it('THR-5: sample size 0 warns that throttling is disabled', () => {
    const rules = validateThrottleParams({systemThrottleSampleSizeSec: 0}).findings.map((f) => `${f.rule} ${f.severity}`)
    assert.deepEqual(rules, ['THR-5 warning', 'THR-7 warning'])
  })

  it('THR-2: resolveThrottleParams throws a UsageError naming the bad value', () => {
    assert.throws(
      () => resolveThrottleParams({codeYellowEntryLatencyMs: 1000}),
      (err: unknown) => err instanceof UsageError && err.message.includes('1000') && err.rule === 'THR-2',
    )
  })
})

describe('stepThrottle', () => {
  it('THR-6: ThrottlingSampleActivity counts consecutive non-zero samples, capped at the sample size', () => {
    const t = run([...rep(12, 3), 0, 3, 3])
    assert.deepEqual(t.activity, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 0, 1, 2])
  })

  it('THR-5: the average is computed only after sample-size consecutive non-zero samples', () => {
    const t = run(rep(10, 25))
    assert.deepEqual(
      t.names.slice(0, 9),
      rep(9, 0).map(() => 'Normal'),
    )
    assert.equal(t.names[9], 'Code Yellow')
    const nine = run(rep(9, 25))
    assert.equal(nine.state.counters.AverageExpectedDelay, 0)
    assert.equal(t.state.counters.AverageExpectedDelay, 25)
  })

  it('THR-2: enters Code Yellow when the average exceeds the entry latency', () => {
    const t = run(rep(10, 25))
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9'])
    assert.equal(t.state.counters.TotalCodeYellowEntry, 1)
    assert.equal(t.state.counters.CodeYellowEntryExit, 1)
    assert.equal(t.state.codeYellowSinceMs, 9000)
  })

  it('THR-2: an average equal to the entry latency does not enter', () => {
    assert.deepEqual(eventsOf(run(rep(30, 20))), [])
  })

  it('THR-6: a zero sample resets the run, so spikes separated by zeros never enter', () => {
    const t = run([...rep(9, 50), 0, ...rep(9, 50), 0, ...rep(9, 50)])
    assert.deepEqual(eventsOf(t), [])
    assert.equal(t.state.state, 'Normal')
  })

  it('THR-3: stays in Code Yellow while the average is above 8 ms', () => {
    const t = run([...rep(10, 25), ...rep(30, 15), ...rep(30, 9)])
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9'])
    assert.equal(t.state.state, 'Code Yellow')
    assert.equal(t.state.counters.AverageExpectedDelay, 9)
  })

  it('THR-3: exits when the sliding average falls to 8 ms or below', () => {
    // After k samples of 5 ms the average is 25 − 2k: 9 at k = 8, 7 at k = 9.
    const t = run([...rep(10, 25), ...rep(9, 5)])
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9', 'CodeYellowExit@18'])
    assert.equal(t.names[17], 'Code Yellow')
    assert.equal(t.state.state, 'Normal')
    assert.equal(t.state.counters.CodeYellowEntryExit, 0)
  })

  it('THR-3: an average of exactly 8 ms exits (seed 004: "8 ミリ秒以下")', () => {
    const t = run([...rep(10, 25), ...rep(10, 8)])
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9', 'CodeYellowExit@19'])
    assert.equal(t.events[1].averageExpectedDelayMs, 8)
  })

  it('THR-3: a zero sample in Code Yellow exits at once', () => {
    const t = run([...rep(10, 25), 0])
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9', 'CodeYellowExit@10'])
  })

  it('THR-6: TotalCodeYellowEntry counts every entry', () => {
    const t = run([...rep(10, 25), 0, ...rep(10, 30)])
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9', 'CodeYellowExit@10', 'CodeYellowEntry@20'])
    assert.equal(t.state.counters.TotalCodeYellowEntry, 2)
  })

  it('THR-4: Code Red when still in Code Yellow after the duration; the caller must restart and dump', () => {
    const p = params({codeYellowDurationMin: 1})
    // Entry at sample 9 (t = 9 s); one minute later is sample 69.
    const before = run([...rep(10, 25), ...rep(59, 30)], p)
    assert.equal(before.state.state, 'Code Yellow')
    const t = run([...rep(10, 25), ...rep(60, 30)], p)
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9', 'CodeRedEntry@69'])
    const red = t.events[1]
    assert.equal(red.type, 'CodeRedEntry')
    if (red.type === 'CodeRedEntry') {
      assert.deepEqual(red.actions, ['restart-service', 'write-memory-dump'])
      assert.equal(red.service, 'Cisco CallManager')
    }
    assert.equal(t.state.state, 'Code Red')
    assert.equal(t.state.counters.CodeRedEntryExit, 1)
  })

  it('THR-4: Code Red ignores samples until the restart; then Normal with reset averages', () => {
    const p = params({codeYellowDurationMin: 1})
    const red = run([...rep(10, 25), ...rep(60, 30)], p).state
    const still = run(rep(20, 0), p, red, 70_000)
    assert.equal(still.state.state, 'Code Red')
    assert.deepEqual(still.events, [])
    const fresh = throttleStateAfterRestart()
    assert.equal(fresh.state, 'Normal')
    assert.deepEqual(fresh.counters, {
      AverageExpectedDelay: 0,
      ThrottlingSampleActivity: 0,
      CallsRejectedDueToThrottling: 0,
      TotalCodeYellowEntry: 0,
      CodeYellowEntryExit: 0,
      CodeRedEntryExit: 0,
    })
  })

  it('THR-4: duration 99999 never reaches Code Red', () => {
    const t = run([...rep(10, 25), ...rep(7200, 30)])
    assert.deepEqual(eventsOf(t), ['CodeYellowEntry@9'])
    assert.equal(t.state.state, 'Code Yellow')
  })

  it('THR-5: sample size 0 disables throttling', () => {
    const t = run(rep(100, 500), params({systemThrottleSampleSizeSec: 0}))
    assert.deepEqual(eventsOf(t), [])
    assert.equal(t.state.state, 'Normal')
    assert.equal(admitCall(t.state).admitted, true)
  })

  it('THR-5: setting sample size 0 while in Code Yellow leaves it', () => {
    const yellow = run(rep(10, 25)).state
    const t = run([500], params({systemThrottleSampleSizeSec: 0}), yellow, 10_000)
    assert.deepEqual(eventsOf(t), ['CodeYellowExit@0'])
    assert.equal(t.state.state, 'Normal')
  })

  it('THR-5: a smaller sample size enters sooner', () => {
    assert.deepEqual(eventsOf(run(rep(3, 25), params({systemThrottleSampleSizeSec: 3}))), ['CodeYellowEntry@2'])
  })

  it('THR-6: admitCall rejects in Code Yellow and counts CallsRejectedDueToThrottling', () => {
    let s = run(rep(10, 25)).state
    for (let i = 0; i < 3; i++) {
      const r = admitCall(s)
      assert.equal(r.admitted, false)
      s = r.state
    }
    assert.equal(s.counters.CallsRejectedDueToThrottling, 3)
    const normal = admitCall(initialThrottleState())
    assert.equal(normal.admitted, true)
    assert.equal(normal.state.counters.CallsRejectedDueToThrottling, 0)
  })

  it('THR-4: admitCall rejects in Code Red without counting throttled calls', () => {
    const red = run([...rep(10, 25), ...rep(60, 30)], params({codeYellowDurationMin: 1})).state
    const r = admitCall(red)
    assert.equal(r.admitted, false)
    assert.equal(r.state.counters.CallsRejectedDueToThrottling, 0)
  })

  it('THR-6: a negative delay or a time going back is a UsageError', () => {
    assert.throws(() => stepThrottle(initialThrottleState(), {timeMs: 0, delayMs: -1}), UsageError)
    const s = stepThrottle(initialThrottleState(), {timeMs: 5000, delayMs: 1}).state
    assert.throws(() => stepThrottle(s, {timeMs: 4000, delayMs: 1}), UsageError)
  })
})

describe('the length of a Code Yellow Duration minute', () => {
  it('THR-4: with a 1 s minute (lab fast profile), duration 2 is Code Red 2 s after entry', () => {
    let state = initialThrottleState()
    const names: string[] = []
    const events: string[] = []
    // One sample every 200 ms: entry at sample 9 (1800 ms); Code Red at 3800 ms (sample 19).
    for (let i = 0; i < 20; i++) {
      const r = stepThrottle(state, {timeMs: i * 200, delayMs: 30}, params({codeYellowDurationMin: 2}), {minuteMs: 1000})
      state = r.state
      names.push(state.state)
      events.push(...r.events.map((e) => `${e.type}@${i}`))
    }
    assert.deepEqual(events, ['CodeYellowEntry@9', 'CodeRedEntry@19'])
    assert.equal(names[18], 'Code Yellow')
  })
})

describe('command-line assignments', () => {
  it('THR-7: name=value by key or service-parameter name', () => {
    assert.deepEqual(parseThrottleAssignments(['codeYellowEntryLatencyMs=30', 'Code Yellow Exit Latency = 50']), {
      codeYellowEntryLatencyMs: '30',
      codeYellowExitLatencyPercent: '50',
    })
  })

  it('THR-7: an assignment without = or a parameter given twice is a UsageError', () => {
    assert.throws(() => parseThrottleAssignments(['codeYellowEntryLatencyMs']), UsageError)
    assert.throws(() => parseThrottleAssignments(['codeYellowEntryLatencyMs=30', 'Code Yellow Entry Latency=40']), /set twice/)
  })

  it("THR-7: changes are described in the documents' words, with the rule", () => {
    assert.deepEqual(describeThrottleChanges(DEFAULT_THROTTLE_PARAMS, {codeYellowEntryLatencyMs: 30, systemThrottleSampleSizeSec: 10}), [
      'Code Yellow Entry Latency: 20 → 30 ms (THR-2)',
      'System Throttle Sample Size: 10 s (unchanged)',
    ])
  })
})

describe('THR-1 (run time): the investigation of throttling', () => {
  it('THR-1: none on a Normal node never throttled; in Code Yellow the causes, traces and counter; repeated entries add TAC', () => {
    assert.equal(throttleInvestigation({state: 'Normal', counters: {TotalCodeYellowEntry: 1}}), null)
    const yellow = throttleInvestigation({state: 'Code Yellow', counters: {TotalCodeYellowEntry: 1}})!
    assert.equal(yellow.steps.length, 3)
    assert.match(yellow.steps[0], /heavy call activity.*disk fragmentation/)
    const repeated = throttleInvestigation({state: 'Normal', counters: {TotalCodeYellowEntry: REPEATED_CODE_YELLOW_ENTRIES}})!
    assert.match(repeated.why, /2 Code Yellow entries/)
    assert.match(repeated.steps.at(-1)!, /Technical Assistance Center/)
  })
})
