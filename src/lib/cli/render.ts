// The one output path for humans: a table with colour on a terminal, plain tab-separated rows
// (no header, no colour, no truncation) when piped. JSON goes through BaseCommand instead.

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

export async function renderTable(view: View, color: boolean): Promise<string> {
  const [{default: Table}, chalk] = await Promise.all([import('cli-table3'), color ? import('chalk').then((m) => m.default) : undefined])
  const paint = (c: Cell, i: number): string => {
    const s = text(c)
    if (!chalk || i !== view.stateColumn) return s
    return GOOD.has(s) ? chalk.green(s) : BAD.has(s) ? chalk.red(s) : chalk.yellow(s)
  }
  const table = new Table({
    head: view.columns.map((h) => (chalk ? chalk.bold(h) : h)),
    style: {head: [], border: [], compact: true},
    chars: {top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  '},
  })
  for (const r of view.rows) table.push(r.map(paint))
  const parts = []
  if (view.title) parts.push(chalk ? chalk.dim(view.title) : view.title)
  parts.push(table.toString().split('\n').map((l) => l.trimEnd().replace(/^ /, '')).join('\n'))
  for (const n of view.notes ?? []) parts.push(n)
  return parts.join('\n') + '\n'
}
