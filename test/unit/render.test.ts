import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {renderTable, renderTsv, useColor} from '../../src/lib/cli/render.js'
import {parseSince} from '../../src/lib/cli/since.js'

describe('output rendering (DESIGN.md "Output")', () => {
  const view = {columns: ['A', 'B'], rows: [['x\ty', 1], [null, 'Running']], stateColumn: 1}

  it('piped output is tab-separated rows, no header, no colour, tabs in values flattened', () => {
    assert.equal(renderTsv(view), 'x y\t1\n\tRunning\n')
  })

  it('a table without colour carries no escape codes', async () => {
    const out = await renderTable(view, false)
    assert.doesNotMatch(out, /\u001b\[/)
    assert.match(out, /A\s+B/)
  })

  it('NO_COLOR turns colour off even on a terminal', () => {
    const saved = process.env.NO_COLOR
    process.env.NO_COLOR = '1'
    try {
      assert.equal(useColor({isTTY: true} as NodeJS.WriteStream), false)
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR
      else process.env.NO_COLOR = saved
    }
  })

  it('--since takes durations and ISO times, and rejects anything else', () => {
    assert.equal(parseSince('10m', Date.parse('2026-01-01T00:10:00Z')), '2026-01-01T00:00:00.000Z')
    assert.equal(parseSince('2026-01-01T00:00:00Z', 0), '2026-01-01T00:00:00.000Z')
    assert.throws(() => parseSince('yesterday-ish', 0), /neither an ISO time nor a duration/)
  })
})
