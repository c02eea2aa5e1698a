// Progress on stderr (issue 13). On a terminal: one live line per key (a node, a step), redrawn
// in place; a message that only updates the counts of the line before (`users moved 200/7500`
// after `users moved 100/7500`) replaces it, another one starts a new line; a deadline shows a
// countdown. With --no-progress: the same messages as plain lines. Piped: nothing, as before.
// One display per process (there is one stderr): commands and helpers call these functions.

export type ProgressMode = 'live' | 'plain' | 'off'

interface Line {
  key: string
  text: string
}

let mode: ProgressMode = 'off'
let stream: NodeJS.WriteStream = process.stderr
let live: Line[] = []
const deadlines = new Map<string, number>()
let drawn = 0
let ticker: NodeJS.Timeout | undefined
let now = Date.now

export function configureProgress(m: ProgressMode, opts: {stream?: NodeJS.WriteStream; clock?: () => number} = {}): void {
  mode = m
  stream = opts.stream ?? process.stderr
  now = opts.clock ?? Date.now
  live = []
  drawn = 0
  deadlines.clear()
}

/** Same step: equal once the numbers are taken out (`installing 9.0: 10%` ~ `installing 9.0: 20%`). */
export const sameStep = (a: string, b: string) => a.replaceAll(/\d+/g, '#') === b.replaceAll(/\d+/g, '#')

/** `node: message`, without repeating the node when the message already starts with it. */
export const labelled = (key: string, text: string) =>
  !key || text.startsWith(`${key}: `) || text.startsWith(`${key} `) ? text : `${key}: ${text}`

function show(l: Line, countdown = true): string {
  const deadline = countdown ? deadlines.get(l.key) : undefined
  const left = deadline === undefined ? '' : ` (${Math.max(0, Math.ceil((deadline - now()) / 1000))} s left)`
  const s = labelled(l.key, l.text) + left
  const width = (stream.columns || 80) - 1
  return s.length > width ? s.slice(0, width - 1) + '…' : s
}

function redraw(committed: string[] = []): void {
  let out = drawn > 0 ? `\u001B[${drawn}A\r\u001B[J` : ''
  for (const c of committed) out += c + '\n'
  for (const l of live) out += show(l) + '\n'
  drawn = live.length
  stream.write(out)
}

/**
 * A progress message for `key` (a node's name, a step; '' for none). `counter`: it always
 * replaces the key's line (live counters); otherwise only when it is the same step (sameStep).
 */
export function progressLine(key: string, text: string, kind: 'step' | 'counter' = 'step'): void {
  if (mode === 'off') return
  if (mode === 'plain') {
    stream.write(labelled(key, text) + '\n')
    return
  }
  const i = live.findIndex((l) => l.key === key)
  const committed: string[] = []
  if (i >= 0 && kind === 'step' && !sameStep(live[i].text, text)) {
    // The step before is over: it stays above, as it ended.
    committed.push(show(live[i], false))
    live[i] = {key, text}
    live.push(...live.splice(i, 1))
  } else if (i >= 0) live[i].text = text
  else live.push({key, text})
  redraw(committed)
}

/** Shows a countdown to `deadline` on `key`'s line (undefined: none), ticking each second. */
export function progressDeadline(key: string, deadline: number | undefined): void {
  if (mode !== 'live') return
  if (deadline === undefined) deadlines.delete(key)
  else deadlines.set(key, deadline)
  if (deadlines.size > 0 && !ticker) {
    ticker = setInterval(() => deadlines.size > 0 && live.length > 0 && redraw(), 1000)
    ticker.unref()
  }
  if (live.some((l) => l.key === key)) redraw()
}

/** Leaves the live lines as they are, without countdowns; the next output starts below them. */
export function progressEnd(): void {
  if (ticker) clearInterval(ticker)
  ticker = undefined
  deadlines.clear()
  if (mode === 'live' && live.length) redraw()
  live = []
  drawn = 0
}
