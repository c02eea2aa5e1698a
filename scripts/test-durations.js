// A reporter for node's test runner (added by scripts/test.js next to the visible one): sums the
// durations of each file's top-level tests and writes them, merged with earlier runs, to the
// file named by UCCTL_TEST_DURATIONS, so the next run starts the longest files first.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, relative} from 'node:path'

export default async function* durations(source) {
  const perFile = new Map()
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0 || !event.data.file) continue
    const file = relative(process.cwd(), event.data.file)
    perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0))
  }
  const path = process.env.UCCTL_TEST_DURATIONS
  if (!path || perFile.size === 0) return
  let known = {}
  try {
    known = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    // No earlier run: this one is the first record.
  }
  for (const [file, ms] of perFile) known[file] = Math.round(ms)
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, `${JSON.stringify(known, null, 2)}\n`)
  yield ''
}
