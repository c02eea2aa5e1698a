// How a benchmark prints a figure: the value, its baseline measured in the same run, the target,
// whether it was met, and the command line that measures it again.
import {availableParallelism, loadavg} from 'node:os'

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

export interface Figure {
  what: string
  /** The figure and its baseline, as read (e.g. "412 ms", "1.21x"). */
  value: string
  baseline: string
  /** None: a figure reported without a target. */
  target?: string
  met: boolean
  /** How to measure it again (one bench file; its environment variables). */
  command: string
}

/** The machine the figures come from: other work on it slows every one. */
export function machine(): string {
  return `node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)}`
}

export function report(f: Figure): void {
  console.log(`${f.target === undefined ? 'figure ' : f.met ? 'met    ' : 'NOT MET'} ${f.what}: ${f.value}`)
  console.log(`        baseline ${f.baseline}${f.target === undefined ? '' : `; target ${f.target}`}`)
  console.log(`        reproduce: ${f.command}`)
  if (!f.met) process.exitCode = 1
}
