// npm run bench -- throughput: how many GET /v1/node an agent answers per second ÷ a bare
// node:http server answering the same JSON (issue 14: keep ≥ 0.5). Each server is its own process
// (the agent as the lab starts it, without supervised services); one client, the same for both:
// CONNECTIONS undici connections in a closed loop for SECONDS, interleaved rounds, best of each.
// BENCH_THROUGHPUT_SECONDS (3), BENCH_THROUGHPUT_CONNECTIONS (10), BENCH_THROUGHPUT_ROUNDS (3).
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {Pool} from 'undici'
import {hashToken, newToken} from '../src/lib/agent/auth.js'
import {READY_FD_ENV} from '../src/lib/host/readiness.js'
import {PACKAGE_ROOT} from '../src/lib/paths.js'
import {machine, report} from './lib/report.js'

const SECONDS = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_THROUGHPUT_CONNECTIONS ?? 10)
const ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 3)
const TARGET = 0.5

/** The bare server: node:http, the same body, nothing else. */
const BARE = `const body = process.env.BODY
require('node:http').createServer((req, res) => {
  res.writeHead(200, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body)})
  res.end(body)
}).listen(0, '127.0.0.1', function () { require('node:fs').writeSync(3, 'http://127.0.0.1:' + this.address().port + '\\n') })`

/** Starts a server process that says its URL on fd 3 (a line), and returns it. */
function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{child: ChildProcess; url: string}> {
  const child = spawn(process.execPath, args, {stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env})
  return new Promise((resolve, reject) => {
    let said = ''
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code} before it served`)))
    ;(child.stdio[3] as Readable).on('data', (d: Buffer) => {
      said += d.toString()
      const line = said.split('\n')[0]
      if (!said.includes('\n')) return
      child.removeAllListeners('exit')
      resolve({child, url: line.startsWith('{') ? (JSON.parse(line) as {url: string}).url : line})
    })
  })
}

/** Requests answered per second: CONNECTIONS workers, each sending its next request on an answer. */
async function load(url: string, headers: Record<string, string>): Promise<number> {
  const pool = new Pool(url, {connections: CONNECTIONS})
  const get = async () => {
    const {statusCode, body} = await pool.request({path: '/v1/node', method: 'GET', headers})
    await body.text()
    if (statusCode !== 200) throw new Error(`GET /v1/node: ${statusCode}`)
  }
  for (let i = 0; i < CONNECTIONS * 20; i++) await get() // warm up
  let done = 0
  const end = Date.now() + SECONDS * 1000
  const worker = async () => {
    while (Date.now() < end) {
      await get()
      done++
    }
  }
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({length: CONNECTIONS}, worker))
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  await pool.close()
  return done / s
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ucctl-bench-throughput-'))
  const token = newToken()
  const config = join(dir, 'node.yaml')
  const servers: ChildProcess[] = []
  try {
    writeFileSync(
      config,
      JSON.stringify({
        name: 'bench',
        product: 'cucm',
        role: 'subscriber',
        version: '8.6.2.10000-30',
        cluster: 'bench',
        stateDir: '.',
        services: [],
        auth: {tokens: [{id: 'bench', role: 'operator', sha256: hashToken(token)}]},
      }),
    )
    const agent = await serve([join(PACKAGE_ROOT, 'dist', 'src', 'agent-main.js'), '--config', config], {
      ...process.env,
      [READY_FD_ENV]: '3',
    })
    servers.push(agent.child)
    const headers = {authorization: `Bearer ${token}`}
    const body = await (await fetch(`${agent.url}/v1/node`, {headers})).text()
    const bare = await serve(['-e', BARE], {...process.env, BODY: body})
    servers.push(bare.child)

    let agentRate = 0
    let bareRate = 0
    for (let i = 0; i < ROUNDS; i++) {
      bareRate = Math.max(bareRate, await load(bare.url, headers))
      agentRate = Math.max(agentRate, await load(agent.url, headers))
    }
    const ratio = agentRate / bareRate
    console.log(`agent throughput bench: ${machine()}; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s, best of each`)
    report({
      what: 'agent GET /v1/node per second ÷ bare node:http with the same JSON',
      value: `${ratio.toFixed(2)} (${agentRate.toFixed(0)} requests/s)`,
      baseline: `bare node:http server, ${bareRate.toFixed(0)} requests/s`,
      target: `≥ ${TARGET}`,
      met: ratio >= TARGET,
      command: 'npm run build && node dist/bench/throughput.js   (BENCH_THROUGHPUT_SECONDS, _CONNECTIONS, _ROUNDS)',
    })
  } finally {
    for (const s of servers) s.kill('SIGTERM')
    await Promise.all(servers.map((s) => new Promise((r) => (s.exitCode !== null ? r(null) : s.once('exit', r)))))
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
