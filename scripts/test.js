#!/usr/bin/env node
// Runs every compiled test file with node's own test runner. Node 20 has no glob support in
// `node --test`, so the files are listed here. Extra arguments filter by path substring.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

function list(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? list(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : [],
  )
}

const filters = process.argv.slice(2)
const files = list('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// TAP when piped (CI reads its closing summary), the friendlier spec reporter on a terminal.
const reporter = process.stdout.isTTY ? 'spec' : 'tap'
const args = ['--test', `--test-reporter=${reporter}`, '--test-concurrency=2', '--test-timeout=120000', ...files]
// Every agent the tests start checks each answer against the API contract (src/lib/agent/route.ts).
const r = spawnSync(process.execPath, args, {stdio: 'inherit', env: {...process.env, UCCTL_CHECK_RESPONSES: '1'}})
process.exit(r.status ?? 1)
