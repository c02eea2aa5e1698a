// "Did you mean …?": the nearest known word to a mistyped one (a command, a flag, a key of
// node.yaml, a node's name), by edit distance; nothing when no word is near enough.

/** Levenshtein distance, case-insensitive (a typo in case is no typo). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase()
  b = b.toLowerCase()
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/** The nearest of `known` to `word`, if within a third of its length (at least 2 edits). */
export function nearest(word: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3))
  let best: {w: string; d: number} | undefined
  for (const w of known) {
    const d = editDistance(word, w)
    if (d <= limit && (!best || d < best.d)) best = {w, d}
  }
  return best?.w
}

/** Names matched as typed, else case-insensitively when exactly one matches (issue 13). */
export function matchName<T>(wanted: string, items: readonly T[], nameOf: (t: T) => string): T | undefined {
  const exact = items.find((i) => nameOf(i) === wanted)
  if (exact) return exact
  const folded = items.filter((i) => nameOf(i).toLowerCase() === wanted.toLowerCase())
  return folded.length === 1 ? folded[0] : undefined
}
