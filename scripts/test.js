#!/usr/bin/env node
// Runs every compiled test file with node's own test runner. Node 20 has no glob support in
// `node --test`, so the files are listed here. Extra arguments filter by path substring.
// The longest files start first (two run at a time): the suite's wall time is then about its
// total over two, not that plus a long file started last. Each run records how long every file
// took (scripts/test-durations.js, under node_modules/.cache); a fresh clone uses WEIGHTS.
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/**
 * Seconds per file, measured on the 2-core machine in a whole run (only their order matters);
 * files not listed count as DEFAULT_WEIGHT.
 */
const WEIGHTS = {
  'dist/test/integration/connection-cluster-faults.test.js': 24,
  'dist/test/integration/presence-kill.test.js': 18,
  'dist/test/integration/runbook-upgrade.test.js': 15,
  'dist/test/integration/throttle.test.js': 12,
  'dist/test/integration/honesty.test.js': 11,
  'dist/test/integration/upgrade.test.js': 11,
  'dist/test/integration/presence-srm.test.js': 9,
  'dist/test/integration/lab.test.js': 9,
  'dist/test/integration/ctios.test.js': 9,
  'dist/test/integration/security.test.js': 9,
  'dist/test/integration/cisco.test.js': 8,
  'dist/test/integration/lab-tls.test.js': 8,
  'dist/test/integration/lab-lock.test.js': 8,
  'dist/test/integration/follow.test.js': 8,
  'dist/test/integration/runbook.test.js': 8,
  'dist/test/integration/presence-srm-failures.test.js': 8,
  'dist/test/integration/cli.test.js': 8,
  'dist/test/integration/presence-cli.test.js': 7,
  'dist/test/integration/cli-conventions.test.js': 7,
  'dist/test/integration/connection-cluster.test.js': 7,
  'dist/test/integration/agent-setup.test.js': 7,
  'dist/test/integration/cisco-faults.test.js': 6,
  'dist/test/integration/administration-import.test.js': 6,
  'dist/test/integration/lab-recovery.test.js': 6,
  'dist/test/integration/administration-rules.test.js': 5,
  'dist/test/integration/administration.test.js': 5,
}
const DEFAULT_WEIGHT = {integration: 4, unit: 1}
const DURATIONS = join('node_modules', '.cache', 'ucctl', 'test-durations.json')

function list(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? list(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : [],
  )
}

function recorded() {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8'))
  } catch {
    return {}
  }
}

const filters = process.argv.slice(2)
const seconds = recorded()
const weight = (f) =>
  (seconds[f] === undefined ? undefined : seconds[f] / 1000) ?? WEIGHTS[f] ?? DEFAULT_WEIGHT[f.includes('/unit/') ? 'unit' : 'integration']
const files = list('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// TAP when piped (CI reads its closing summary), the friendlier spec reporter on a terminal.
const reporter = process.stdout.isTTY ? 'spec' : 'tap'
const args = [
  '--test',
  `--test-reporter=${reporter}`,
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-durations.js',
  '--test-reporter-destination=stderr',
  '--test-concurrency=2',
  '--test-timeout=120000',
  ...files,
]
// Every agent the tests start checks each answer against the API contract (src/lib/agent/route.ts).
const env = {...process.env, UCCTL_CHECK_RESPONSES: '1', UCCTL_TEST_DURATIONS: DURATIONS}
// The suite talks only to agents on loopback, over HTTP or HTTPS with CAs it makes itself. A
// machine's extra CA bundle is read by every Node process at start (Node 20 parses all of it:
// about 50 ms on a 2-core machine with the system bundle), and the suite starts hundreds.
delete env.NODE_EXTRA_CA_CERTS
const r = spawnSync(process.execPath, args, {stdio: 'inherit', env})
process.exit(r.status ?? 1)
