// A randomized test draws from a seed it logs, so a failure can be replayed with
// UCCTL_TEST_SEED=<seed> (fast-check properties too: they pass `{seed}` to fc.assert).
/** The seed of this run: UCCTL_TEST_SEED if set, else a fresh one; logged (the runner shows it as a comment). */
export function testSeed(what: string): number {
  const given = process.env.UCCTL_TEST_SEED
  const seed = given ? Number(given) : Math.floor(Math.random() * 2 ** 31)
  if (!Number.isSafeInteger(seed)) throw new Error(`UCCTL_TEST_SEED must be an integer, not ${given}`)
  console.log(`${what}: seed ${seed} (replay with UCCTL_TEST_SEED=${seed})`)
  return seed
}

/** A deterministic generator of numbers in [0, 1) from a seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
