import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {fitColumns, renderTable, renderTsv, useColor} from '../../src/lib/cli/render.js'
import {outputFormatOf} from '../../src/lib/cli/base-command.js'
import {editDistance, matchName, nearest} from '../../src/lib/suggest.js'
import {parseSince} from '../../src/lib/cli/since.js'

describe('output rendering (DESIGN.md "Output")', () => {
  const view = {
    columns: ['A', 'B'],
    rows: [
      ['x\ty', 1],
      [null, 'Running'],
    ],
    stateColumn: 1,
  }

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

  // A status table as wide as the lab's: long URLs and a long last-change text.
  const wide = {
    columns: ['SERVER', 'ROLE', 'STATUS', 'ANSWERS CALLS', 'CALLS', 'PORTS', 'REPLICATION', 'LAST CHANGE'],
    stateColumn: 2,
    rows: [
      [
        'cuc-pub',
        'publisher',
        'Running in Backup Mode',
        'yes',
        0,
        16,
        'in sync',
        '2026-11-26T01:16:02.830Z Starting → Primary: started; the publisher is Primary when the cluster is healthy (UC-3)',
      ],
      ['cuc-sub', 'subscriber', 'Secondary', 'no (Stop Taking Calls)', 0, 16, 'in sync', ''],
    ],
  }
  const lines = (out: string) => out.trimEnd().split('\n')

  for (const width of [80, 160]) {
    it(`at ${width} columns every line fits, cut cells end in an ellipsis and no word is broken onto a line of its own`, async () => {
      const out = lines(await renderTable(wide, false, width))
      assert.equal(out.length, 3, 'one line per row and the header: nothing wrapped')
      for (const l of out) assert.ok(l.length <= width, `${l.length} > ${width}: ${l}`)
      assert.match(out[1], /…/)
      // The name and the state word (the SPEC's words) stay whole.
      assert.match(out[1], /^cuc-pub\s+\S+\s+Running in Backup Mode/)
    })
  }

  it('-o wide (no width) shows every cell whole', async () => {
    const out = await renderTable(wide, false)
    assert.doesNotMatch(out, /…/)
    assert.match(out, /healthy \(UC-3\)/)
  })

  it('piped output is the same TSV whatever the width: nothing cut', () => {
    assert.equal(renderTsv(wide).split('\n')[0].split('\t')[7], wide.rows[0][7])
  })

  it('columns that fit are left as they are; widths never go below the floors', () => {
    assert.deepEqual(fitColumns([4, 5], [4, 5], 80), [4, 5])
    const ws = fitColumns([10, 60, 60], [4, 4, 4], 50, [0])
    assert.equal(ws[0], 10)
    assert.ok(ws.reduce((a, b) => a + b) + 4 <= 50)
  })

  it('a split brain (two Primaries) is painted as an alarm, not as the healthy green', async () => {
    const saved = process.env.FORCE_COLOR
    process.env.FORCE_COLOR = '1'
    try {
      const view = {
        columns: ['SERVER', 'STATUS'],
        stateColumn: 1,
        rows: [
          ['a', 'Primary'],
          ['b', 'Primary'],
        ],
      }
      const plain = await renderTable(view, true)
      const alarm = await renderTable({...view, alarmRows: [0, 1]}, true)
      assert.match(plain, /\u001b\[32mPrimary/)
      assert.doesNotMatch(alarm, /\u001b\[32mPrimary/)
      assert.match(alarm, /\u001b\[31m/)
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR
      else process.env.FORCE_COLOR = saved
    }
  })

  it('-o json|yaml|wide|name is read from the command line in any spelling', () => {
    assert.equal(outputFormatOf(['status', '-o', 'yaml']), 'yaml')
    assert.equal(outputFormatOf(['-ojson']), 'json')
    assert.equal(outputFormatOf(['--output=wide']), 'wide')
    assert.equal(outputFormatOf(['--output', 'name']), 'name')
    assert.equal(outputFormatOf(['--', '-o', 'json']), undefined)
    assert.equal(outputFormatOf(['-o', 'xml']), undefined)
  })
})

describe('names and suggestions (issue 13)', () => {
  it('names match as typed, else case-insensitively when only one folds the same', () => {
    const names = ['CTIOSTrace', 'NM', 'nm-2', 'Cisco Presence Engine']
    assert.equal(
      matchName('cisco presence engine', names, (n) => n),
      'Cisco Presence Engine',
    )
    assert.equal(
      matchName('NM', [...names, 'nm'], (n) => n),
      'NM',
    )
    assert.equal(
      matchName('Nm', [...names, 'nm'], (n) => n),
      undefined,
      'ambiguous: NM and nm',
    )
  })

  it('the nearest word is suggested only when it is near', () => {
    assert.equal(editDistance('stauts', 'status'), 2)
    assert.equal(nearest('servcies', ['services', 'peers', 'listen']), 'services')
    assert.equal(nearest('stauts', ['status', 'service:list']), 'status')
    assert.equal(nearest('banana', ['status', 'peers']), undefined)
  })
})
