// npm run bench -- fanout: the CLI's fan-out. `ucctl status` over a context of NODES agents ÷ over
// a context of one (issue 14: ≤ 1.5x). The agents are real HTTP servers (startAgent) with a
// minimal product (Unified CM subscribers without supervised services), all in this process so
// that 100 fit on the machine; the CLI runs as users run it. BENCH_FANOUT_NODES (100) and
// BENCH_FANOUT_RUNS (15) change the sizes.
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {hashToken, newToken} from '../src/lib/agent/auth.js'
import {type Agent, startAgent} from '../src/lib/agent/server.js'
import {timingFor} from '../src/lib/domain/timing.js'
import {PACKAGE_ROOT} from '../src/lib/paths.js'
import {machine, median, report} from './lib/report.js'

const BIN = join(PACKAGE_ROOT, 'bin', 'run.js')
const NODES = Number(process.env.BENCH_FANOUT_NODES ?? 100)
const RUNS = Number(process.env.BENCH_FANOUT_RUNS ?? 15)
const TARGET = 1.5
const run = promisify(execFile)

async function startAgents(home: string, token: string): Promise<Agent[]> {
  const auth = {tokens: [{id: 'bench', role: 'operator' as const, sha256: hashToken(token)}]}
  const agents: Agent[] = []
  for (let i = 0; i < NODES; i++) {
    const name = `n${String(i + 1).padStart(3, '0')}`
    agents.push(
      await startAgent(
        {
          name,
          product: 'cucm',
          role: 'subscriber',
          version: '8.6.2.10000-30',
          cluster: 'bench',
          listen: {host: '127.0.0.1', port: 0},
          stateDir: join(home, name),
          timing: {profile: 'fast'},
          peers: [],
          settings: {},
          faultInjection: false,
          auth,
          services: [],
          timingValues: timingFor('fast'),
        },
        {logger: false},
      ),
    )
  }
  return agents
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'ucctl-bench-fanout-'))
  const token = newToken()
  // Asynchronous child processes: this process's agents answer while the CLI runs.
  const env = {...process.env, UCCTL_HOME: home, UCCTL_TOKEN: token, NO_COLOR: '1'}
  const ucctl = async (args: string[]) => {
    const t0 = process.hrtime.bigint()
    await run(process.execPath, [BIN, ...args], {env, maxBuffer: 64 * 1024 * 1024})
    return Number(process.hrtime.bigint() - t0) / 1e6
  }
  const agents = await startAgents(home, token)
  try {
    await ucctl(['context', 'add', 'one', '--agent', agents[0].url])
    await ucctl(['context', 'add', 'all', ...agents.flatMap((a) => ['--agent', a.url])])
    const {stdout} = await run(process.execPath, [BIN, 'status', '--context', 'all', '--json'], {env, maxBuffer: 64 * 1024 * 1024})
    const healthy = (JSON.parse(stdout) as {nodes: Array<{health: string}>}).nodes.filter((n) => n.health === 'ok').length
    if (healthy !== NODES) throw new Error(`status over ${NODES} agents: ${healthy} healthy`)
    // Interleaved, so that both see the same machine load.
    const one: number[] = []
    const all: number[] = []
    for (let i = 0; i < RUNS; i++) {
      one.push(await ucctl(['status', '--context', 'one', '--json']))
      all.push(await ucctl(['status', '--context', 'all', '--json']))
    }
    const ratio = median(all) / median(one)
    console.log(`ucctl fan-out bench: ${machine()}; ${NODES} agents in this process, ${RUNS} runs each`)
    report({
      what: `ucctl status --json over ${NODES} agents ÷ over 1`,
      value: `${ratio.toFixed(2)}x (median ${median(all).toFixed(0)} ms)`,
      baseline: `status over 1 agent, median ${median(one).toFixed(0)} ms`,
      target: `≤ ${TARGET}x`,
      met: ratio <= TARGET,
      command: 'npm run build && node dist/bench/fanout.js   (BENCH_FANOUT_NODES, BENCH_FANOUT_RUNS)',
    })
  } finally {
    await Promise.all(agents.map((a) => a.close()))
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
