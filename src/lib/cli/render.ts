// The one output path for humans: a table with colour on a terminal, sized to its width (long
// cells cut with an ellipsis, never a word broken across lines), plain tab-separated rows (no
// header, no colour, no truncation) when piped. JSON goes through BaseCommand instead.

export type Cell = string | number | boolean | null | undefined

export interface View {
  /** A line above the table on a terminal (e.g. the context the data came from). */
  title?: string
  columns: string[]
  rows: Cell[][]
  /** Which column holds a state word worth colouring. */
  stateColumn?: number
  /** Lines below the table on a terminal (notes, totals). */
  notes?: string[]
  /** Columns cut only when nothing else can give way: the first, the state, and these (names). */
  keyColumns?: number[]
  /** Rows whose state cell is a problem despite its word (both nodes Primary: split brain). */
  alarmRows?: number[]
}

const GAP = 2
const ELLIPSIS = '…'

/**
 * Column widths that fit `width`: the widest columns give way first; `whole` columns (the name,
 * the state word) only when the others cannot fit even cut short; the others keep their header
 * when they can, else at least 5 characters.
 */
export function fitColumns(natural: number[], headers: number[], width: number, whole: number[] = []): number[] {
  const total = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + GAP * Math.max(0, ws.length - 1)
  if (total(natural) <= width) return natural
  const floorsWith = (keep: number[], min: (i: number) => number) => natural.map((w, i) => (keep.includes(i) ? w : Math.min(w, min(i))))
  const tries = [
    floorsWith(whole, (i) => Math.max(headers[i], 6)),
    floorsWith(whole, () => 5),
    floorsWith(whole.slice(0, 1), () => 5),
    floorsWith([], () => 5),
  ]
  const floor = tries.find((f) => total(f) <= width) ?? tries.at(-1)!
  const capped = (cap: number) => natural.map((w, i) => Math.max(floor[i], Math.min(w, cap)))
  let lo = 0
  let hi = Math.max(...natural)
  // The largest cap that fits (or the floors, when even they do not).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (total(capped(mid)) <= width) lo = mid
    else hi = mid - 1
  }
  const ws = capped(lo)
  // Hand the room left by rounding to the columns that were cut, widest first.
  let spare = width - total(ws)
  for (const i of ws.map((_, i) => i).sort((a, b) => natural[b] - natural[a])) {
    const add = Math.max(0, Math.min(spare, natural[i] - ws[i]))
    ws[i] += add
    spare -= add
  }
  return ws
}

function cut(s: string, width: number): string {
  return s.length <= width ? s : s.slice(0, Math.max(0, width - 1)) + ELLIPSIS
}

const GOOD = new Set(['Running', 'ok', 'running', 'succeeded', 'Primary', 'Normal', 'Automatic', 'yes'])
const BAD = new Set(['Failed', 'unreachable', 'failed', 'stopped', 'degraded', 'Not Functioning', 'Code Red', 'error'])

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR === '0') return false
  return Boolean(stream.isTTY)
}

const text = (c: Cell): string => (c === null || c === undefined ? '' : String(c))

export function renderTsv(view: View): string {
  // Tabs and newlines inside a value would break the rows: they become spaces.
  return view.rows.map((r) => r.map((c) => text(c).replaceAll(/[\t\n]/g, ' ')).join('\t')).join('\n') + (view.rows.length ? '\n' : '')
}

/** The table for a terminal; with `width` (its columns), cells are cut to fit; without, whole (`-o wide`). */
export async function renderTable(view: View, color: boolean, width?: number): Promise<string> {
  const [{default: Table}, chalk] = await Promise.all([import('cli-table3'), color ? import('chalk').then((m) => m.default) : undefined])
  const cells = view.rows.map((r) => view.columns.map((_, i) => text(r[i]).replaceAll(/[\t\n]/g, ' ')))
  const natural = view.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)))
  const whole = [0, ...(view.stateColumn === undefined ? [] : [view.stateColumn]), ...(view.keyColumns ?? [])]
  const widths =
    width === undefined
      ? natural
      : fitColumns(
          natural,
          view.columns.map((h) => h.length),
          width,
          whole,
        )
  const alarms = new Set(view.alarmRows ?? [])
  const paint = (s: string, i: number, row: number): string => {
    s = cut(s, widths[i])
    if (!chalk || i !== view.stateColumn) return s
    if (alarms.has(row)) return chalk.red.bold(s)
    return GOOD.has(s) ? chalk.green(s) : BAD.has(s) ? chalk.red(s) : chalk.yellow(s)
  }
  const table = new Table({
    head: view.columns.map((h, i) => (chalk ? chalk.bold(cut(h, widths[i])) : cut(h, widths[i]))),
    colWidths: widths,
    wordWrap: false,
    style: {head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0},
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
  })
  for (const [n, r] of cells.entries()) table.push(r.map((c, i) => paint(c, i, n)))
  const parts = []
  if (view.title) parts.push(chalk ? chalk.dim(view.title) : view.title)
  parts.push(
    table
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n'),
  )
  for (const n of view.notes ?? []) parts.push(n)
  return parts.join('\n') + '\n'
}
