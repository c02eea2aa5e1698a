// CTI OS failover figures (issue 6 acceptance): 1,000 real softphone connections against the lab's
// CTI OS agent (its own process, `fast` timing), each fault injected as `ucctl ctios fault` does
// it (CTI-3 by a real SIGKILL of CtiosServerNode), and for each: how many softphones got the
// event, whether exactly the affected ones did, and the time from the fault to the last arrival.
// Run: npx tsc -p . && node dist/bench/ctios.js   (BENCH_SOFTPHONES=1000)
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient, closeClients} from '../src/lib/client/agent-client.js'
import {SoftphoneFleet} from '../src/lib/lab/softphones.js'
import type {Component, FaultAction} from '../src/lib/domain/cti-failover.js'
import type {SoftphoneEvent} from '../src/lib/domain/cti-softphones.js'
import {PACKAGE_ROOT} from '../src/lib/paths.js'

const BIN = join(PACKAGE_ROOT, 'bin', 'run.js')
const COUNT = Number(process.env.BENCH_SOFTPHONES ?? 1000)
const SETTLE_MS = 500

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]

function ucctl(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [BIN, ...args], {env, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`ucctl ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'ucctl-bench-ctios-'))
  const env = {...process.env, UCCTL_HOME: home, NO_COLOR: '1'}
  let fleet: SoftphoneFleet | undefined
  try {
    ucctl(['lab', 'up'], env)
    const lab = JSON.parse(ucctl(['lab', 'status', '--json'], env)) as {nodes: Array<{name: string; url: string}>}
    const node = lab.nodes.find((n) => n.name === 'ctios-a')!
    const {operator: token} = JSON.parse(readFileSync(join(home, 'state', 'lab', 'credentials.json'), 'utf8')) as {operator: string}
    const client = new AgentClient(node, {token})
    const status = () => client.call('GET /v1/ctios')
    const serverOnline = async () =>
      (await status()).components.find((c) => c.component === 'ctios-server')?.state === 'online' ? true : undefined
    await until(serverOnline, 'the CTI OS server online')
    const {softphones} = await client.call('GET /v1/ctios/softphones')
    if (softphones.length < COUNT) throw new Error(`ctios-a has ${softphones.length} agents, fewer than ${COUNT}`)

    fleet = new SoftphoneFleet(
      {url: node.url, token},
      softphones.slice(0, COUNT).map((s) => s.id),
      {bufferDuringFailover: false},
    )
    const phones = fleet.phones
    let t0 = performance.now()
    await fleet.open()
    const openMs = performance.now() - t0
    t0 = performance.now()
    await fleet.login('Available')
    await sleep(SETTLE_MS) // the last AgentState events
    console.log(`${COUNT} softphones opened in ${openMs.toFixed(0)} ms, logged in in ${(performance.now() - t0).toFixed(0)} ms`)

    const fault = (component: Component, action: FaultAction, id?: string) =>
      client.call('POST /v1/ctios/faults', {body: {component, action, ...(id ? {id} : {})}})
    const arrivals = (mark: number, type: SoftphoneEvent['type'], rule?: string) =>
      phones.flatMap((p) => {
        const r = p.received.find((x) => x.at >= mark && x.event.type === type && (!rule || ('rule' in x.event && x.event.rule === rule)))
        return r ? [{id: p.id, ms: r.at - mark}] : []
      })

    /** Injects, waits for `expected` softphones to get `type`, and reports the arrival times. */
    const measure = async (
      label: string,
      act: () => Promise<unknown>,
      type: SoftphoneEvent['type'],
      rule: string | undefined,
      expected: number,
    ) => {
      const mark = performance.now()
      await act()
      if (expected > 0) {
        await until(() => (arrivals(mark, type, rule).length >= expected ? true : undefined), `${label}: ${expected} × ${type}`).catch(
          (error: Error) => {
            const by = new Map<string, number>()
            for (const p of phones)
              by.set(
                `${p.status}${p.error ? ` ${p.error.message}` : ''}`,
                (by.get(`${p.status}${p.error ? ` ${p.error.message}` : ''}`) ?? 0) + 1,
              )
            throw new Error(`${error.message}; softphones: ${JSON.stringify([...by])}`)
          },
        )
      }
      await sleep(SETTLE_MS)
      const got = arrivals(mark, type, rule)
      const anything = phones.filter((p) => p.received.some((x) => x.at >= mark)).length
      const ms = got.map((g) => g.ms)
      const exact =
        got.length === expected && anything === expected ? 'exactly the affected ones' : `NOT EXACT: ${anything} softphones got something`
      const timing =
        got.length > 0 ? `within ${Math.max(...ms).toFixed(0)} ms (p50 ${pct(ms, 50).toFixed(0)}, p99 ${pct(ms, 99).toFixed(0)})` : ''
      console.log(`${label.padEnd(50)} ${type} ${rule ?? ''} → ${got.length}/${expected} softphones, ${exact} ${timing}`)
      return got
    }
    const relogin = async () => {
      const rows = (await client.call('GET /v1/ctios/softphones', {query: {connection: 'connected'}})).softphones
      await Promise.all(rows.filter((r) => r.agentState !== 'Available').map((r) => fleet!.get(r.id).setState('Available')))
      await sleep(SETTLE_MS)
    }
    const perSwitch = softphones.slice(0, COUNT).filter((s) => s.switch === 'switch-2').length

    console.log('\nall affected clients received Offline within N ms:')
    await measure('CTI-4 ip-phone down ' + softphones[0].phone, () => fault('ip-phone', 'down', softphones[0].phone), 'Offline', 'CTI-4', 1)
    await fault('ip-phone', 'up', softphones[0].phone)
    await relogin()
    await measure('CTI-5 switch down switch-2', () => fault('switch', 'down', 'switch-2'), 'Offline', 'CTI-5', perSwitch)
    await fault('switch', 'up', 'switch-2')
    await relogin()
    await measure('CTI-1 pg switch-side (no event expected)', () => fault('pg', 'switch-side'), 'Offline', undefined, 0)
    await measure('CTI-1 pg down (PG offline)', () => fault('pg', 'down'), 'Offline', 'CTI-1', COUNT)
    await measure('CTI-1 pg up', () => fault('pg', 'up'), 'Snapshot', 'CTI-1', COUNT)
    await measure('CTI-2 cti-server down A (no event expected)', () => fault('cti-server', 'down', 'A'), 'Offline', undefined, 0)
    await measure('CTI-2 cti-server down B (no CTI Server)', () => fault('cti-server', 'down', 'B'), 'Offline', 'CTI-2', COUNT)
    await measure('CTI-2 cti-server up A', () => fault('cti-server', 'up', 'A'), 'Snapshot', 'CTI-2', COUNT)
    await fault('cti-server', 'up', 'B')

    const kill = async () => {
      const {service} = await client.call('GET /v1/services/:name', {params: {name: 'CtiosServerNode'}})
      if (service.pid === null) throw new Error(`CtiosServerNode is ${service.state}: no process to kill`)
      process.kill(service.pid, 'SIGKILL')
    }
    console.log('\nCTI-3, SIGKILL of CtiosServerNode:')
    await measure('CTI-3 peer up: reconnected to ctios-b', kill, 'Connected', undefined, COUNT)
    await until(serverOnline, 'the CTI OS server online')
    // Those that reconnected after NodeManager's restart was online are on ctios-a already.
    const onPeer = phones.filter((p) => p.server === 'ctios-b').length
    console.log(`${''.padEnd(50)} (${onPeer} on the peer ctios-b, ${COUNT - onPeer} reconnected after the restart was online)`)
    await measure('CTI-3 peer down: its softphones back on ctios-a', () => fault('peer', 'down'), 'Connected', undefined, onPeer)
    const mark = performance.now()
    await kill()
    // Each softphone reconnects on its own; those that do before NodeManager's restart is online
    // get Offline (no peer), the others find the server back.
    await until(serverOnline, 'the CTI OS server online')
    await until(() => (phones.every((p) => p.status === 'connected') ? true : undefined), 'every softphone connected again')
    const offline = arrivals(mark, 'Offline', 'CTI-3').map((a) => a.ms)
    const snapshot = arrivals(mark, 'Snapshot', 'CTI-3').map((a) => a.ms)
    const direct = arrivals(mark, 'Connected').length
    console.log(
      `${'CTI-3 peer down: could not reconnect'.padEnd(50)} Offline CTI-3 → ${offline.length}/${COUNT} softphones within ${Math.max(0, ...offline).toFixed(0)} ms` +
        ` (p50 ${offline.length ? pct(offline, 50).toFixed(0) : '-'}); snapshot to ${snapshot.length} within ${Math.max(0, ...snapshot).toFixed(0)} ms; ${direct} reconnected after the restart`,
    )
  } finally {
    fleet?.close()
    await closeClients()
    spawnSync(process.execPath, [BIN, 'lab', 'down'], {env, stdio: 'ignore'})
    rmSync(home, {recursive: true, force: true})
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
