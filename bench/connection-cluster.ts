// Unity Connection cluster figures, against the two lab agents as separate OS processes (fast
// timing profile):
//  1. time from SIGKILL of the Primary's agent to its peer being Primary (the peer's own
//     ClusterStatus event, same clock), over several kills;
//  2. voice messages across a split brain: accepted by each server while split, and held by
//     each after Split Brain Recovery (lost and duplicated ones counted).
// Run: npx tsc -p . && node dist/bench/connection-cluster.js
import {spawnSync} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient, closeClients} from '../src/lib/client/agent-client.js'
import {labCredentials} from '../src/lib/lab/launcher.js'
import {runLoad} from '../src/lib/lab/load.js'
import {tempDir} from '../test/helpers/agents.js'
import {BIN} from '../test/helpers/cli.js'

const KILLS = Number(process.env.BENCH_KILLS ?? 5)
type Doc = Record<string, any>

async function main() {
  const home = tempDir('ucctl-bench-cuc-')
  const env = {...process.env, UCCTL_HOME: home, NO_COLOR: '1'}
  const ucctl = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--json'], {env, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`ucctl ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
    return JSON.parse(r.stdout) as Doc
  }
  const topology = join(home, 'cuc.yaml')
  writeFileSync(
    topology,
    'name: cuc-bench\ntiming: fast\nnodes:\n' +
      '  - {name: cuc-pub, product: cuc, role: publisher, version: 9.1.1.10000-1, cluster: cuc1}\n' +
      '  - {name: cuc-sub, product: cuc, role: subscriber, version: 9.1.1.10000-1, cluster: cuc1}\n',
  )
  try {
    const lab = ucctl('lab', 'up', '--topology', topology)
    AgentClient.credentials = {token: labCredentials(env)!.operator}
    const nodes: Array<{name: string; url: string}> = lab.nodes.map((n: Doc) => ({name: n.name, url: n.url}))
    const client = (name: string) => new AgentClient(nodes.find((n) => n.name === name)!, {timeoutMs: 2000})
    const status = async (name: string) => {
      try {
        return (await client(name).call('GET /v1/cluster')).status
      } catch {
        return 'down'
      }
    }
    const until = async (pred: () => Promise<boolean>, what: string, ms = 60_000) => {
      const end = Date.now() + ms
      while (!(await pred())) {
        if (Date.now() > end) throw new Error(`timed out: ${what}`)
        await sleep(20)
      }
    }
    await until(async () => (await status('cuc-pub')) === 'Primary' && (await status('cuc-sub')) === 'Secondary', 'healthy')

    // 1. SIGKILL of whichever server is Primary; the other's event says when it became Primary.
    const takeover: number[] = []
    for (let i = 0; i < KILLS; i++) {
      const primary = (await status('cuc-pub')) === 'Primary' ? 'cuc-pub' : 'cuc-sub'
      const other = primary === 'cuc-pub' ? 'cuc-sub' : 'cuc-pub'
      const pid = ucctl('lab', 'status').nodes.find((n: Doc) => n.name === primary).pid as number
      const {events} = await client(other).call('GET /v1/events', {query: {limit: 1}})
      const after = events.at(-1)?.seq ?? 0
      const killedAt = Date.now()
      process.kill(pid, 'SIGKILL')
      let at: number | undefined
      while (at === undefined) {
        await sleep(20)
        const fresh = (await client(other).call('GET /v1/events', {query: {after}})).events
        const e = fresh.find((x) => x.type === 'ClusterStatus' && x.data?.to === 'Primary')
        if (e) at = Date.parse(e.time)
      }
      takeover.push(at - killedAt)
      ucctl('lab', 'up')
      await until(async () => (await status(primary)) === 'Secondary', `${primary} back as Secondary`)
    }
    const sorted = [...takeover].sort((a, b) => a - b)
    const t = lab.nodes.length && (await client('cuc-pub').call('GET /v1/node')).timing
    console.log(`1. SIGKILL of the Primary → peer Primary (timing ${t}, keepalive timeout 2000 ms, interval 300 ms), ${KILLS} kills:`)
    console.log(
      `   median ${sorted[Math.floor(sorted.length / 2)]} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms  [${takeover.join(', ')}]`,
    )

    // Back to the publisher Primary for the split.
    if ((await status('cuc-pub')) !== 'Primary') ucctl('cluster', 'make-primary', 'cuc-pub')

    // 2. Split brain under a load of voice messages on both servers.
    const count = async (name: string) => (await client(name).call('GET /v1/messages')).count
    const abort = new AbortController()
    const loading = runLoad(nodes, {
      callsPerSecond: 0,
      callDurationS: 1,
      messagesPerSecond: 20,
      durationS: 600,
      listIds: true,
      signal: abort.signal,
    })
    await sleep(1000)
    ucctl('lab', 'isolate', 'cuc-sub')
    await until(async () => (await status('cuc-pub')) === 'Primary' && (await status('cuc-sub')) === 'Primary', 'split brain')
    const before = {pub: await count('cuc-pub'), sub: await count('cuc-sub')}
    await sleep(3000)
    const during = {pub: (await count('cuc-pub')) - before.pub, sub: (await count('cuc-sub')) - before.sub}
    ucctl('lab', 'heal', 'cuc-sub')
    await until(async () => (await status('cuc-pub')) === 'Primary' && (await status('cuc-sub')) === 'Secondary', 'recovered')
    await sleep(1000)
    abort.abort()
    const report = await loading
    await until(async () => {
      const [a, b] = [await client('cuc-pub').call('GET /v1/cluster'), await client('cuc-sub').call('GET /v1/cluster')]
      return a.replication.pendingToPeer === 0 && b.replication.pendingToPeer === 0
    }, 'replication caught up')
    const accepted = report.nodes.flatMap((n) => n.messages.acceptedIds ?? [])
    console.log('2. voice messages across a split brain (20/s on each server):')
    console.log(`   accepted while split: cuc-pub ${during.pub}, cuc-sub ${during.sub} (3 s, neither replicating)`)
    console.log(
      `   whole run: sent ${report.totals.messagesSent}, accepted ${report.totals.messagesAccepted}, rejected ${report.totals.messagesRejected} (statuses that take none)`,
    )
    for (const name of ['cuc-pub', 'cuc-sub']) {
      const {ids = []} = await client(name).call('GET /v1/messages', {query: {ids: '1'}})
      const have = new Set(ids)
      const lost = accepted.filter((id) => !have.has(id)).length
      console.log(`   ${name} holds ${ids.length} messages after recovery: ${lost} lost, ${ids.length - have.size} duplicated`)
    }
  } finally {
    await closeClients()
    spawnSync(process.execPath, [BIN, 'lab', 'down'], {env})
    rmSync(home, {recursive: true, force: true})
  }
}

await main()
