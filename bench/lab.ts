// npm run bench -- lab: how long the lab takes to come up, as a user runs it.
//  1. `ucctl lab up` of the default 7-node topology from all agents stopped (issue 14: ≤ 2 s on 2
//     cores), median of RUNS, against `node -e 0` (a bare process spawn) in the same run; and
//     its CPU (the CLI's and the agents' until ready), which other work on the machine does not
//     change.
//  2. The first `npx ucctl status` with a fresh state directory, which starts the lab (issue 14: ≤ 4 s).
//  3. `ucctl lab up` of NODES Unified CM nodes (issue 18: 100 on the 2-core machine), seconds
//     until every agent answers healthy, then `ucctl lab down` and a check by pid that none remains.
// BENCH_LAB_NODES (100; 0 skips 3) and BENCH_LAB_RUNS (5) change the sizes.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism, tmpdir} from 'node:os'
import {join} from 'node:path'
import {PACKAGE_ROOT} from '../src/lib/paths.js'
import {isAlive} from '../src/lib/lab/processes.js'
import {machine, median, report} from './lib/report.js'

const BIN = join(PACKAGE_ROOT, 'bin', 'run.js')
const NODES = Number(process.env.BENCH_LAB_NODES ?? 100)
const RUNS = Number(process.env.BENCH_LAB_RUNS ?? 5)
const COMMAND = 'npm run build && node dist/bench/lab.js   (BENCH_LAB_RUNS, BENCH_LAB_NODES)'

/** CPU ms from /proc/PID/stat: utime+stime (fields 14-15), or cutime+cstime (16-17, waited-for children). */
function cpuMs(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Clock ticks of 10 ms (USER_HZ is 100 on Linux).
    return (Number(f[children ? 13 : 11]) + Number(f[children ? 14 : 12])) * 10
  } catch {
    return Number.NaN
  }
}

function run(args: string[], env: NodeJS.ProcessEnv, bin: string[] = [BIN]): {ms: number; stdout: string} {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [...bin, ...args], {env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${[...bin, ...args].join(' ')} exited ${r.status}: ${r.stderr}`)
  return {ms, stdout: r.stdout}
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/** NODES Unified CM nodes in publisher/subscriber pairs: the smallest product, peers only in pairs. */
function bigTopology(dir: string): string {
  const file = join(dir, 'topology.yaml')
  const nodes = Array.from({length: NODES}, (_, i) => {
    const name = `n${String(i + 1).padStart(3, '0')}`
    return `  - {name: ${name}, product: cucm, role: ${i % 2 ? 'subscriber' : 'publisher'}, version: 8.6.2.10000-30, cluster: c${Math.floor(i / 2)}}`
  })
  writeFileSync(file, `name: bench-${NODES}\ntiming: fast\nnodes:\n${nodes.join('\n')}\n`)
  return file
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'ucctl-bench-lab-'))
  const env = {...process.env, UCCTL_HOME: home, NO_COLOR: '1'}
  try {
    console.log(`ucctl lab bench: ${machine()}`)
    // 2 first, while the state directory is fresh: as a user's first command after npm ci.
    const bare: number[] = []
    bare.push(run(['-e', '0'], env, []).ms)
    const t0 = process.hrtime.bigint()
    const npx = spawnSync('npx', ['--no', 'ucctl', 'status', '--json'], {cwd: PACKAGE_ROOT, env, stdio: 'ignore'})
    const first = Number(process.hrtime.bigint() - t0) / 1e6
    if (npx.status !== 0) throw new Error(`npx ucctl status exited ${npx.status}`)
    run(['lab', 'down'], env)

    // 1. Default lab: each run from all agents stopped (ports kept, as a user's second lab up),
    // interleaved with the baseline so that both see the same machine load.
    const small: number[] = []
    const cpu: number[] = []
    for (let i = 0; i < RUNS; i++) {
      bare.push(run(['-e', '0'], env, []).ms)
      const cli = cpuMs('self', true)
      const up = run(['lab', 'up', '--json'], env)
      const agents = (JSON.parse(up.stdout) as {nodes: Array<{pid: number}>}).nodes.reduce((sum, n) => sum + cpuMs(n.pid), 0)
      small.push(up.ms)
      cpu.push(cpuMs('self', true) - cli + agents)
      run(['lab', 'down'], env)
    }
    run(['lab', 'down', '--purge'], env)
    const baseline = `node -e 0, median ${median(bare).toFixed(0)} ms`
    report({
      what: `ucctl lab up, default 7 nodes, median of ${RUNS}`,
      value: `${s(median(small))} (best ${s(Math.min(...small))}; CPU of the CLI and the agents until ready ${s(median(cpu))}, ÷ ${availableParallelism()} cores ${s(median(cpu) / availableParallelism())})`,
      baseline,
      target: '≤ 2 s on 2 cores',
      met: median(small) <= 2000,
      command: COMMAND,
    })
    report({
      what: 'the first npx ucctl status with a fresh state directory (it starts the lab)',
      value: s(first),
      baseline,
      target: '≤ 4 s',
      met: first <= 4000,
      command: COMMAND,
    })
    if (NODES === 0) return

    // 3. The big lab.
    const file = bigTopology(home)
    const up = run(['lab', 'up', '--topology', file], env)
    const status = run(['status', '--json'], env)
    const nodes = (JSON.parse(status.stdout) as {nodes: Array<{health: string}>}).nodes
    const healthy = nodes.filter((n) => n.health === 'ok').length
    const lab = JSON.parse(run(['lab', 'status', '--json'], env).stdout) as {nodes: Array<{pid: number}>}
    const down = run(['lab', 'down'], env)
    const left = lab.nodes.filter((n) => isAlive(n.pid)).length

    console.log(`lab up, ${NODES} Unified CM nodes, to healthy: ${s(up.ms)}, ${healthy}/${NODES} healthy in status (${COMMAND})`)
    console.log(`status over ${NODES} agents: ${s(status.ms)}`)
    console.log(`lab down, ${NODES} agents: ${s(down.ms)}, ${left} agent processes left (by pid)`)
    if (healthy !== NODES || left !== 0) process.exitCode = 1
  } finally {
    spawnSync(process.execPath, [BIN, 'lab', 'down', '--purge'], {env, stdio: 'ignore'})
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
