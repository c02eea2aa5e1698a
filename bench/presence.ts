// Presence redundancy figures (issue 4), fast timing profile, two IM and Presence agents as
// separate processes (`ucctl lab up` with a two-node topology, 15,000 users in group prg1):
//  1. `ucctl pcluster failover imp-pub --yes`: command to stable state (Idle / Running in
//     Backup Mode, 7,500 users moved), as the operator's shell sees it; and the agent's own
//     operation time. Target: under 500 ms.
//  2. Time from SIGKILL of imp-pub's agent to imp-sub Running in Backup Mode / Peer Down with
//     every user on it (the keepalive timeout of the profile dominates).
import {spawnSync} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'
import {closeClients} from '../src/lib/client/agent-client.js'
import {BIN} from '../test/helpers/cli.js'
import {A, B, ProcessPair, view, waitRow} from '../test/integration/presence-lab.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const KILLS = Number(process.env.BENCH_KILLS ?? 3)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function timed(lab: ProcessPair, args: string[]): {ms: number; json: any} {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [BIN, ...args], {env: lab.env, encoding: 'utf8'})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return {ms, json: JSON.parse(r.stdout)}
}

async function main() {
  const lab = new ProcessPair()
  try {
    await lab.up()
    const url = lab.urls()
    const command: number[] = []
    const agent: number[] = []
    const base: number[] = []
    for (let i = 0; i < RUNS; i++) {
      base.push(timed(lab, ['pcluster', 'status', '--json']).ms)
      const f = timed(lab, ['pcluster', 'failover', A, '--yes', '--json'])
      if (f.json.groupStatus.nodes[1].users !== 15_000) throw new Error('failover did not end with every user on imp-sub')
      command.push(f.ms)
      agent.push(Date.parse(f.json.updatedAt) - Date.parse(f.json.createdAt))
      timed(lab, ['pcluster', 'fallback', A, '--yes', '--json'])
    }
    console.log(
      `manual failover of 7,500 of 15,000 users, command to stable state: median ${median(command).toFixed(0)} ms (min ${Math.min(...command).toFixed(0)}, max ${Math.max(...command).toFixed(0)}; ${RUNS} runs; target < 500 ms)`,
    )
    console.log(
      `  of which the agent's operation (users moved, durable): median ${median(agent)} ms; a read-only pcluster status: median ${median(base).toFixed(0)} ms`,
    )

    const takeover: number[] = []
    for (let i = 0; i < KILLS; i++) {
      await waitRow(url[B], 1, 30_000, (v) => v.status.nodes.every((n) => n.users === 7500))
      const t0 = performance.now()
      await lab.kill(A)
      for (;;) {
        const v = await view(url[B]).catch(() => undefined)
        if (v && v.status.row === 16 && v.status.nodes.find((n) => n.name === B)!.users === 15_000) break
        await sleep(5)
      }
      takeover.push(performance.now() - t0)
      await lab.restartStopped()
      await waitRow(url[B], 18)
      timed(lab, ['pcluster', 'fallback', A, '--yes', '--json'])
    }
    console.log(
      `peer SIGKILL to Running in Backup Mode / Peer Down with all 15,000 users: median ${median(takeover).toFixed(0)} ms (${takeover.map((t) => t.toFixed(0)).join(', ')}; keepalive timeout of the fast profile 1500 ms, interval 200 ms)`,
    )
  } finally {
    await lab.dispose()
    await closeClients()
  }
}

await main()
