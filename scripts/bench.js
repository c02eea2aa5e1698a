#!/usr/bin/env node
// npm run bench: every benchmark in bench/, one after the other (never in parallel: they
// measure time). Arguments filter by name: `npm run bench -- cli throttle`.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

const dir = 'dist/bench'
const filters = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && (filters.length === 0 || filters.some((s) => f.includes(s))))
  .sort()
let failed = 0
for (const f of files) {
  console.log(`\n== bench/${f.replace(/\.js$/, '.ts')}   (reproduce: npm run build && node ${join(dir, f)})`)
  const r = spawnSync(process.execPath, [join(dir, f)], {stdio: 'inherit'})
  if (r.status !== 0) failed++
}
// A bench exits non-zero when it could not measure or a target was not met (bench/lib/report.ts).
if (failed) console.log(`\n${failed} of ${files.length} bench files failed or missed a target`)
process.exit(failed ? 1 : 0)
