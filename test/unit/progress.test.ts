// Issue 13: progress in place on a terminal, plain lines with --no-progress, nothing piped.
import assert from 'node:assert/strict'
import {afterEach, describe, it} from 'node:test'
import {configureProgress, labelled, progressDeadline, progressEnd, progressLine, sameStep} from '../../src/lib/cli/progress.js'

function terminal(columns = 80) {
  const out: string[] = []
  return {out, stream: {columns, write: (s: string) => out.push(s) && true} as unknown as NodeJS.WriteStream}
}

/** What a terminal shows after these writes (cursor-up and erase-below applied). */
function screen(writes: string[]): string[] {
  const lines: string[] = []
  let row = 0
  for (const w of writes) {
    for (const part of w.split(/(\u001B\[\d+A|\r|\u001B\[J|\n)/)) {
      const up = /^\u001B\[(\d+)A$/.exec(part)
      if (up) row -= Number(up[1])
      else if (part === '\u001B[J') lines.length = row
      else if (part === '\n') row++
      else if (part && part !== '\r') lines[row] = (lines[row] ?? '') + part
    }
  }
  return lines
}

describe('progress on stderr (issue 13)', () => {
  afterEach(() => progressEnd())

  it('counts of the same step update one line in place; a new step starts a new line below', () => {
    const t = terminal()
    configureProgress('live', {stream: t.stream})
    for (let n = 1000; n <= 7500; n += 1000) progressLine('imp-pub', `users moved ${n}/7500`)
    progressLine('imp-pub', 'Failover Complete')
    progressEnd()
    assert.deepEqual(screen(t.out), ['imp-pub: users moved 7000/7500', 'imp-pub: Failover Complete'])
  })

  it('one live line per node; a counter always replaces its line', () => {
    const t = terminal()
    configureProgress('live', {stream: t.stream})
    progressLine('a', 'calls 1: 0 answered · messages 0', 'counter')
    progressLine('b', 'calls 1: 1 answered', 'counter')
    progressLine('a', 'calls 9: 9 answered', 'counter')
    assert.deepEqual(screen(t.out), ['a: calls 9: 9 answered', 'b: calls 1: 1 answered'])
  })

  it('a deadline shows a countdown that ticks with the clock, and is gone when the wait ends', () => {
    const t = terminal()
    let now = 0
    configureProgress('live', {stream: t.stream, clock: () => now})
    progressDeadline('cuc-pub', 60_000)
    progressLine('cuc-pub', 'waiting for 3 call(s) in progress to end (UC-8)')
    assert.deepEqual(screen(t.out), ['cuc-pub: waiting for 3 call(s) in progress to end (UC-8) (60 s left)'])
    now = 42_500
    progressLine('cuc-pub', 'waiting for 1 call(s) in progress to end (UC-8)')
    assert.deepEqual(screen(t.out), ['cuc-pub: waiting for 1 call(s) in progress to end (UC-8) (18 s left)'])
    progressDeadline('cuc-pub', undefined)
    assert.deepEqual(screen(t.out), ['cuc-pub: waiting for 1 call(s) in progress to end (UC-8)'])
  })

  it('--no-progress: every message a plain line, no escape codes; piped: nothing', () => {
    const t = terminal()
    configureProgress('plain', {stream: t.stream})
    progressLine('n', 'installing 9.0: 10%')
    progressLine('n', 'installing 9.0: 20%')
    assert.equal(t.out.join(''), 'n: installing 9.0: 10%\nn: installing 9.0: 20%\n')
    const piped = terminal()
    configureProgress('off', {stream: piped.stream})
    progressLine('n', 'x')
    assert.deepEqual(piped.out, [])
  })

  it('never repeats the node (no "imp-pub: imp-pub: …"); lines are cut to the width, not wrapped', () => {
    assert.equal(labelled('imp-pub', 'imp-pub: Failover'), 'imp-pub: Failover')
    assert.equal(labelled('imp-pub', 'Failover'), 'imp-pub: Failover')
    assert.ok(sameStep('installing 9.0.1: 10%', 'installing 9.0.1: 90%'))
    const t = terminal(20)
    configureProgress('live', {stream: t.stream})
    progressLine('n', 'a very long message that does not fit')
    assert.ok(screen(t.out)[0].length < 20)
    assert.match(screen(t.out)[0], /…$/)
  })
})
