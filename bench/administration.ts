// The configuration database (issue 11): a BAT import of 45,000 users (the PRG-10 cluster
// maximum) and `ucctl user list --json` of all of them, each as a ratio against a baseline
// measured in the same run: the same rows written (one transaction), and read and serialised,
// with the database alone, in this process. The Unified CM publisher's agent runs as its own
// process (`ucctl lab up` with a one-node topology); every run starts from a fresh database.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ConfigurationDatabase} from '../src/lib/agent/configuration-database.js'
import {parseUsersCsv} from '../src/lib/domain/administration.js'
import {BIN} from '../test/helpers/cli.js'

const USERS = 45_000
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function cli(home: string, args: string[]): {ms: number; stdout: string} {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: {...process.env, UCCTL_HOME: home, NO_COLOR: '1'},
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`ucctl ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return {ms, stdout: r.stdout}
}

function timed<T>(fn: () => T): {ms: number; value: T} {
  const t0 = process.hrtime.bigint()
  const value = fn()
  return {ms: Number(process.hrtime.bigint() - t0) / 1e6, value}
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'ucctl-bench-admin-'))
  const lines = ['userid,firstname,lastname,mailid,device,extension']
  for (let i = 0; i < USERS; i++)
    lines.push(`bulk${String(i).padStart(5, '0')},First${i},Last${i},bulk${i}@example.com,CSFBULK${i},${100000 + i}`)
  const csv = lines.join('\n') + '\n'
  const file = join(work, 'bulk.csv')
  writeFileSync(file, csv)
  const topology = join(work, 'cucm.yaml')
  writeFileSync(
    topology,
    [
      'name: cucm-only',
      'timing: fast',
      'nodes:',
      '  - {name: cucm-pub, product: cucm, role: publisher, version: 8.6.2.10000-30, cluster: cucm1}',
      '',
    ].join('\n'),
  )
  const rows = {importCmd: [] as number[], importBase: [] as number[], listCmd: [] as number[], listBase: [] as number[]}
  try {
    for (let run = 0; run < RUNS; run++) {
      // Baseline: the same rows, parsed and written in one transaction, with the database alone.
      const dir = join(work, `db${run}`)
      const db = ConfigurationDatabase.open(join(dir, 'configuration.db'))
      const users = parseUsersCsv(csv).users.map((u) => ({
        id: u.id,
        firstName: u.fields.firstName ?? null,
        lastName: u.fields.lastName ?? null,
        mailId: u.fields.mailId ?? null,
        homeCluster: false,
        imAndPresence: false,
        serviceProfile: null,
        presenceNode: null,
        device: u.fields.device ?? null,
        extension: u.fields.extension ?? null,
      }))
      rows.importBase.push(timed(() => db.write(() => db.insertUsers(users))).ms)
      rows.listBase.push(timed(() => JSON.stringify(db.users({}))).ms)
      db.close()

      const home = join(work, `home${run}`)
      cli(home, ['lab', 'up', '--topology', topology])
      try {
        rows.importCmd.push(cli(home, ['user', 'import', file, '--json']).ms)
        const list = cli(home, ['user', 'list', '--json'])
        const total = (JSON.parse(list.stdout) as {users: unknown[]}).users.length
        if (total !== USERS) throw new Error(`user list returned ${total} users, not ${USERS}`)
        rows.listCmd.push(list.ms)
      } finally {
        cli(home, ['lab', 'down'])
      }
    }
    const line = (what: string, cmd: number[], base: number[]) =>
      console.log(
        `${what}: ucctl ${median(cmd).toFixed(0)} ms, database alone ${median(base).toFixed(0)} ms, ratio ${(median(cmd) / median(base)).toFixed(1)} (runs: ${cmd.map((x) => x.toFixed(0)).join(', ')} / ${base.map((x) => x.toFixed(0)).join(', ')})`,
      )
    console.log(
      `${USERS.toLocaleString('en')} users, ${RUNS} runs, medians, wall times; ucctl = a new CLI process to the lab agent over HTTP`,
    )
    line('user import (BAT Insert Users, one transaction)', rows.importCmd, rows.importBase)
    line('user list --json (all users)', rows.listCmd, rows.listBase)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

await main()
