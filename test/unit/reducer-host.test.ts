import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {ReducerHost} from '../../src/lib/agent/reducer-host.js'

type Ev = {type: 'ask'; n: number} | {type: 'done'; n: number} | {type: 'failed'; n: number}
type Eff = {type: 'work'; n: number; key?: string}

/** A host whose effects run one at a time, in order, each released by the test. */
function host() {
  const log: string[] = []
  const gates: Array<() => void> = []
  let inFlight = 0
  const h = new ReducerHost<{done: number[]; failed: number[]}, Ev, Eff>(
    {done: [], failed: []},
    {
      reduce: (s, e) =>
        e.type === 'ask'
          ? {state: s, effects: [{type: 'work', n: e.n, key: e.n >= 100 ? 'coalesced' : undefined}]}
          : e.type === 'done'
            ? {state: {...s, done: [...s.done, e.n]}, effects: []}
            : {state: {...s, failed: [...s.failed, e.n]}, effects: []},
      perform: async (f) => {
        inFlight++
        assert.equal(inFlight, 1, 'effects run one at a time')
        log.push(`start ${f.n}`)
        await new Promise<void>((resolve) => gates.push(resolve))
        inFlight--
        if (f.n < 0) throw new Error('boom')
        return {type: 'done', n: f.n}
      },
      failed: (f) => ({type: 'failed', n: f.n}),
      key: (f) => f.key,
    },
  )
  /** Releases the running effect once it has started. */
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r))
    gates.shift()!()
  }
  return {h, log, release}
}

describe('ReducerHost', () => {
  it('runs effects serially in the order the reducer gave them, outcomes folded back as events', async () => {
    const {h, log, release} = host()
    h.dispatch({type: 'ask', n: 1})
    h.dispatch({type: 'ask', n: 2})
    h.dispatch({type: 'ask', n: -3})
    for (let i = 0; i < 3; i++) await release()
    await h.idle()
    assert.deepEqual(log, ['start 1', 'start 2', 'start -3'])
    assert.deepEqual(h.state, {done: [1, 2], failed: [-3]})
    assert.equal(h.busy, false)
  })

  it('a queued effect with the same key is replaced in its place, never run twice', async () => {
    const {h, log, release} = host()
    h.dispatch({type: 'ask', n: 1})
    h.dispatch({type: 'ask', n: 100})
    h.dispatch({type: 'ask', n: 2})
    h.dispatch({type: 'ask', n: 101})
    for (let i = 0; i < 3; i++) await release()
    await h.idle()
    assert.deepEqual(log, ['start 1', 'start 101', 'start 2'])
  })

  it('close drops waiting effects, waits for the running one, and takes no more events', async () => {
    const {h, log, release} = host()
    h.dispatch({type: 'ask', n: 1})
    h.dispatch({type: 'ask', n: 2})
    const closed = h.close()
    await release()
    await closed
    h.dispatch({type: 'ask', n: 3})
    await h.idle()
    assert.deepEqual(log, ['start 1'])
    assert.deepEqual(h.state.done, [], 'what the last effect learnt after close is not folded')
  })

  it('an event that needs no effect does not stall the executor: later effects still run', async () => {
    const {h, log, release} = host()
    h.dispatch({type: 'done', n: 0})
    assert.equal(h.busy, false)
    h.dispatch({type: 'ask', n: 1})
    await release()
    await h.idle()
    assert.deepEqual(log, ['start 1'])
    assert.deepEqual(h.state.done, [0, 1])
  })

  it('effects that take no time are performed as their event is folded, never behind the running effect', async () => {
    const said: string[] = []
    const states: number[] = []
    let gate: (() => void) | undefined
    type Say = {type: 'say'; text: string} | {type: 'long'}
    const h = new ReducerHost<number, number, Say>(0, {
      reduce: (s, e) => ({state: s + e, effects: [{type: 'long'}, {type: 'say', text: `+${e}`}]}),
      immediate: (f) => f.type === 'say',
      performNow: (f) => {
        if (f.type === 'say') said.push(f.text)
        return undefined
      },
      perform: () => new Promise<undefined>((resolve) => (gate = () => resolve(undefined))),
      failed: () => undefined,
      folded: (s) => {
        states.push(s)
      },
    })
    h.dispatch(1)
    h.dispatch(2)
    assert.deepEqual(said, ['+1', '+2'], 'said at once, in order, while the first long effect runs')
    assert.deepEqual(states, [1, 3])
    assert.deepEqual(h.performing, {type: 'long'})
    while (h.busy) {
      gate?.()
      await new Promise((r) => setImmediate(r))
    }
    assert.equal(h.performing, undefined)
  })
})
