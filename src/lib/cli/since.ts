import {UsageError} from '../errors.js'

const UNITS: Record<string, number> = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** `--since` takes an ISO time or a duration back from now (`90s`, `10m`, `2h`, `1d`). */
export function parseSince(text: string, nowMs: number): string {
  const m = /^(\d+)([smhd])$/.exec(text)
  if (m) return new Date(nowMs - Number(m[1]) * UNITS[m[2]]).toISOString()
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw new UsageError(`--since "${text}" is neither an ISO time nor a duration like 10m`)
  return new Date(t).toISOString()
}
