// npm run bench: figures measured in one run, as ratios against a baseline of the same run.
//  1. CLI round trip: `ucctl service list --json` against a running lab ÷ `node -e 0`, both on
//     the same Node, for each Node of BENCH_NODE (comma-separated paths; default: this one),
//     e.g. BENCH_NODE=$(command -v node),/tmp/n22/node_modules/.bin/node,/tmp/n24/node_modules/.bin/node
//     after `npm install --prefix /tmp/n22 node@22` (and @24).
//     Where the time goes, measured in the same loop: `ucctl --version` (oclif alone: its
//     modules, its configuration, no command) and one request by the CLI's own undici bundle
//     with nothing else (the floor of any undici client).
//  2. NodeManager: time from SIGKILL of a supervised process to its replacement Running.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient, closeClients} from '../src/lib/client/agent-client.js'
import {PACKAGE_ROOT} from '../src/lib/paths.js'
import {machine, report} from './lib/report.js'

const BIN = join(PACKAGE_ROOT, 'bin', 'run.js')

const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const KILLS = Number(process.env.BENCH_KILLS ?? 10)

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]

const NODES = (process.env.BENCH_NODE ?? process.execPath).split(',').filter(Boolean)
const CLI_ARGS = ['service', 'list', '--node', 'ctios-a', '--json']

function timeRun(args: string[], env: NodeJS.ProcessEnv, node = process.execPath): number {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(node, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'ucctl-bench-'))
  const env: NodeJS.ProcessEnv = {...process.env, UCCTL_HOME: home, NO_COLOR: '1'}
  try {
    timeRun([BIN, 'lab', 'up'], env)
    const lab = JSON.parse(spawnSync(process.execPath, [BIN, 'lab', 'status', '--json'], {env, encoding: 'utf8'}).stdout)
    const ctios = lab.nodes.find((n: {name: string}) => n.name === 'ctios-a')

    // The floor of an undici client: the CLI's undici (its bundle's chunk), one request, the answer read.
    const chunks = join(PACKAGE_ROOT, 'dist', 'cli', 'chunks')
    const undiciChunk = readdirSync(chunks).find((f) => f.startsWith('undici-'))
    if (!undiciChunk) throw new Error(`no undici chunk in ${chunks}: npm run build`)
    const floor = join(home, 'undici-request.mjs')
    writeFileSync(
      floor,
      [
        // As bin/run.js does on Node 20, so that both exit alike.
        "import {setFlagsFromString} from 'node:v8'",
        "if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--liftoff-only')",
        `const {Agent} = await import(${JSON.stringify(new URL(`file://${join(chunks, undiciChunk)}`).href)})`,
        'const agent = new Agent()',
        `const r = await agent.request({origin: ${JSON.stringify(ctios.url)}, path: '/v1/services', method: 'GET', headers: {authorization: 'Bearer ' + process.env.TOKEN}})`,
        "if (r.statusCode !== 200) throw new Error('status ' + r.statusCode)",
        'process.stdout.write(JSON.stringify(await r.body.json()))',
        'await agent.close()',
      ].join('\n'),
    )
    const {operator} = JSON.parse(readFileSync(join(home, 'state', 'lab', 'credentials.json'), 'utf8')) as {operator: string}
    env.TOKEN = operator

    // 1. Interleaved so that both see the same machine load; the first runs warm the page cache
    // (and Node's compile cache, where it has one).
    const roundTrips = NODES.map((node) => {
      const version = spawnSync(node, ['--version'], {encoding: 'utf8'}).stdout.trim()
      const base: number[] = []
      const cli: number[] = []
      const oclif: number[] = []
      const undici: number[] = []
      for (let i = 0; i < 3; i++) timeRun([BIN, ...CLI_ARGS], env, node)
      for (let i = 0; i < RUNS; i++) {
        base.push(timeRun(['-e', '0'], env, node))
        cli.push(timeRun([BIN, ...CLI_ARGS], env, node))
        oclif.push(timeRun([BIN, '--version'], env, node))
        undici.push(timeRun([floor], env, node))
      }
      return {node, version, base, cli, oclif, undici}
    })

    // 2. SIGKILL → replacement Running, from the agent's own events (same clock as ours).
    const client = new AgentClient(ctios, {token: operator})
    const restart: number[] = []
    for (let i = 0; i < KILLS; i++) {
      const {service} = await client.call('GET /v1/services/:name', {params: {name: 'CtiosServerNode'}})
      const {events} = await client.call('GET /v1/events', {query: {limit: 1}})
      const after = events.at(-1)?.seq ?? 0
      const killedAt = Date.now()
      if (service.pid === null) throw new Error(`CtiosServerNode is ${service.state}: no process to kill`)
      process.kill(service.pid, 'SIGKILL')
      let runningAt: number | undefined
      while (runningAt === undefined) {
        await sleep(20)
        const {events: fresh} = await client.call('GET /v1/events', {query: {after}})
        const ev = fresh.find((e) => e.service === 'CtiosServerNode' && e.data?.to === 'Running')
        if (ev) runningAt = Date.parse(ev.time)
      }
      restart.push(runningAt - killedAt)
      // Longer than the fast profile's stable-run reset, so each kill is a "first" restart.
      await sleep(1600)
    }
    await closeClients()

    console.log("ucctl bench (one run; ratios against the same run's baseline)")
    console.log(`${RUNS} runs each, ${KILLS} kills`)
    console.log(machine())
    const ms = (xs: number[]) => `${median(xs).toFixed(1)} ms (p90 ${pct(xs, 90).toFixed(1)})`
    for (const {node, version, base, cli, oclif, undici} of roundTrips) {
      const ratio = median(cli) / median(base)
      const over = (xs: number[]) => `${ms(xs)}, ${(median(xs) / median(base)).toFixed(2)}x`
      console.log('')
      report({
        what: `CLI round trip on node ${version}, ucctl ${CLI_ARGS.join(' ')}`,
        value: `${ms(cli)}, ${ratio.toFixed(2)}x node -e 0`,
        baseline: `node -e 0 ${ms(base)}; of which oclif alone (ucctl --version) ${over(oclif)}, one undici request alone ${over(undici)}`,
        target: version.startsWith('v20.') ? '≤ 2.0x on Node 20' : undefined,
        met: !version.startsWith('v20.') || ratio <= 2,
        command: `BENCH_NODE=${node} npm run bench -- cli`,
      })
    }
    console.log('')
    console.log(
      `SIGKILL → replacement Running              median ${median(restart)} ms  max ${Math.max(...restart)} ms   (target < 200 ms)`,
    )
  } finally {
    spawnSync(process.execPath, [BIN, 'lab', 'down'], {env, stdio: 'ignore'})
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
