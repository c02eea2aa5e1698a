// Code Yellow through a real Unified CM agent (THR-1..7): the agent measures its own message
// processing delay; the lab's latency fault makes it rise for real; calls are rejected with
// reorder tone and counted; Code Red restarts the Cisco CallManager process and writes a dump.
// The deterministic delay series are in test/unit/throttle.test.ts.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {eventually, isAlive, startTestAgent, TEST_OPERATOR_TOKEN, tempDir, type TestAgent} from '../helpers/agents.js'
import {runCli, schemaProblems, writeContext} from '../helpers/cli.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import type {ThrottleParams} from '../../src/lib/domain/throttle.js'

const LATENCY_MS = '60'
const PHASE_MS = 30_000

describe('Code Yellow in a real Unified CM agent', {concurrency: 2}, () => {
  // Two worlds, each its own agents: the Code Yellow phases (the node's state) and the parameters;
  // the parameter checks run alongside THR-4 and THR-5 (not THR-6 and THR-3: they want the process
  // quiet); within a world one test at a time (the concurrency is inherited).
  let quietPhasesDone = () => {}
  const quietPhases = new Promise<void>((resolve) => (quietPhasesDone = resolve))
  for (const part of ['phases', 'params'] as const)
    describe(part, {concurrency: 1}, () => {
      let cucm: TestAgent
      let ctios: TestAgent
      let home: string
      let env: Record<string, string>

      // Raw HTTP where the status code itself is under test (429, 400).
      const auth = {authorization: `Bearer ${TEST_OPERATOR_TOKEN}`}
      const json = {...auth, 'content-type': 'application/json'}
      const status = async () => (await (await fetch(`${cucm.url}/v1/throttle`, {headers: auth})).json()) as any
      const call = (body: unknown = {}) => fetch(`${cucm.url}/v1/calls`, {method: 'POST', headers: json, body: JSON.stringify(body)})
      const alarms = (name: string) => cucm.events.list().filter((e) => e.type === 'Alarm' && e.data?.alarm === name)
      const latency = async (ms: string) => {
        const r = await runCli(['lab', 'latency', 'cucm-pub', ms, '--json'], env)
        assert.equal(r.code, 0, r.stdout + r.stderr)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.equal(r.json.latencyMs, Number(ms))
      }
      // Set-up and clean-up through the agent's API: the commands themselves are checked in THR-2, THR-3, THR-5, THR-7.
      const api = () => new AgentClient({name: 'cucm-pub', url: cucm.url})
      const latencyNow = (ms: number) => api().call('POST /v1/faults/latency', {body: {ms}})
      const paramsNow = (p: Partial<ThrottleParams>) => api().call('PUT /v1/throttle/params', {body: p})
      const setParams = async (...sets: string[]) => {
        const r = await runCli(['throttle', 'params', '--node', 'cucm-pub', ...sets.flatMap((s) => ['--set', s]), '--yes', '--json'], env)
        assert.equal(r.code, 0, r.stdout + r.stderr)
        return r
      }

      before(async () => {
        if (part === 'params') await quietPhases
        cucm = await startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'})
        ctios = await startTestAgent({name: 'ctios-a'})
        home = tempDir()
        writeContext(home, 'test', [
          {name: 'cucm-pub', url: cucm.url},
          {name: 'ctios-a', url: ctios.url},
        ])
        env = {UCCTL_HOME: home}
        await eventually(() => (cucm.nodeManager.isRunning('Cisco CallManager') ? true : undefined))
      })
      after(async () => {
        await Promise.all([cucm.dispose(), ctios.dispose()])
        rmSync(home, {recursive: true, force: true})
      })

      if (part === 'phases') {
        // The agent measures the delay of its own process: THR-6's zero delay and THR-3's return to
        // Normal want it quiet. The parameter checks start once these are done.
        describe('with the process quiet', () => {
          after(() => quietPhasesDone())

          it('THR-6: an idle node measures zero delay and stays Normal; a call attempt is admitted (201)', async () => {
            await eventually(
              async () => ((await status()).recentSamples.some((s: any) => s.delayMs === 0) ? true : undefined),
              15_000,
              'a zero sample',
            )
            const s = await status()
            assert.equal(s.state, 'Normal')
            assert.ok(s.averageExpectedDelayMs < s.thresholds.entryMs)
            const r = await call({durationMs: 100})
            assert.equal(r.status, 201)
            const body = (await r.json()) as any
            assert.equal(body.node, 'cucm-pub')
            assert.equal(body.admitted, true)
          })

          it('THR-6: throttle status fans out to the Unified CM nodes only; valid ThrottleStatus', async () => {
            const r = await runCli(['throttle', 'status', '--json'], env)
            assert.equal(r.code, 0, r.stdout + r.stderr)
            assert.deepEqual(schemaProblems(r.json), [])
            assert.deepEqual(
              r.json.nodes.map((n: any) => n.name),
              ['cucm-pub'],
            )
            const n = r.json.nodes[0]
            assert.deepEqual(n.thresholds, {entryMs: 20, exitMs: 8})
            assert.equal(n.sampleSize, 10)
            for (const c of [
              'ThrottlingSampleActivity',
              'AverageExpectedDelay',
              'CallsRejectedDueToThrottling',
              'TotalCodeYellowEntry',
              'CodeYellowEntryExit',
              'CodeRedEntryExit',
            ]) {
              assert.equal(typeof n.counters[c], 'number', c)
            }
            assert.equal(n.investigation, undefined, 'THR-1: nothing to investigate on a Normal node never throttled')
            const piped = await runCli(['throttle', 'status'], env)
            assert.deepEqual(piped.stdout.trim().split('\t').slice(0, 2), ['cucm-pub', n.state])
          })

          it('THR-2: latency added on purpose raises the measured delay: Code Yellow entered, with a CodeYellowEntry alarm', async () => {
            const entriesBefore = alarms('CodeYellowEntry').length
            await latency(LATENCY_MS)
            // Samples of whole intervals with the latency in place (the interval it began in is partly before).
            const from = Date.now() + (await status()).sampleIntervalMs
            const since = (x: any) => x.recentSamples.filter((r: any) => Date.parse(r.time) >= from)
            const s = await eventually(
              async () => {
                const x = await status()
                return x.state === 'Code Yellow' && since(x).length >= 3 ? x : undefined
              },
              PHASE_MS,
              'Code Yellow and 3 samples with the latency',
            )
            assert.ok(s.averageExpectedDelayMs > 20, `average ${s.averageExpectedDelayMs} ms`)
            assert.equal(s.throttlingSampleActivity, 10)
            assert.equal(s.counters.CodeYellowEntryExit, 1)
            assert.ok(s.counters.TotalCodeYellowEntry >= 1)
            // The samples are measured, not set: each is about the added latency.
            assert.ok(
              since(s).every((x: any) => x.delayMs >= 20),
              JSON.stringify(s.recentSamples.slice(-5)),
            )
            const entry = alarms('CodeYellowEntry').slice(entriesBefore)
            assert.equal(entry.length, 1)
            assert.equal(entry[0].service, 'Cisco CallManager')
            assert.equal(entry[0].data?.rule, 'THR-2')
          })

          it('THR-1: in Code Yellow a call attempt is rejected as reorder tone (429) and counted in CallsRejectedDueToThrottling', async () => {
            const before = (await status()).callsRejected
            for (let i = 0; i < 3; i++) {
              const r = await call()
              assert.equal(r.status, 429)
              const body = (await r.json()) as any
              assert.equal(body.error.code, 'Rejected')
              assert.equal(body.error.rule, 'THR-1')
              assert.match(body.error.message, /reorder tone \(Code Yellow\)/)
            }
            const r = await runCli(['throttle', 'status', '--node', 'cucm-pub', '--json'], env)
            assert.equal(r.code, 0)
            assert.deepEqual(schemaProblems(r.json), [])
            assert.equal(r.json.nodes[0].state, 'Code Yellow')
            assert.equal(r.json.nodes[0].callsRejected, before + 3)
            assert.equal(r.json.nodes[0].counters.CallsRejectedDueToThrottling, before + 3)
          })

          it("THR-1 (run time): in Code Yellow, `throttle status` gives the documents' investigation (causes, traces, the counter)", async () => {
            const r = await runCli(['throttle', 'status', '--node', 'cucm-pub', '--json'], env)
            assert.deepEqual(schemaProblems(r.json), [])
            const inv = r.json.nodes[0].investigation
            assert.equal(inv.rule, 'THR-1')
            assert.match(inv.why, /^in Code Yellow/)
            assert.match(
              inv.steps[0],
              /heavy call activity, low CPU available to Unified CM, routing loops, disk I\/O limits, disk fragmentation/,
            )
            assert.match(inv.steps[1], /CCM\/SDI and SDL trace/)
          })

          it('THR-3: latency removed: the average falls to entry × exit% (8 ms) or below: Normal again, CodeYellowExit alarm, calls admitted', async () => {
            const exitsBefore = alarms('CodeYellowExit').length
            await latency('0')
            await eventually(async () => ((await status()).state === 'Normal' ? true : undefined), PHASE_MS, 'Normal')
            const exit = alarms('CodeYellowExit').slice(exitsBefore)
            assert.equal(exit.length, 1)
            assert.equal(exit[0].data?.rule, 'THR-3')
            assert.ok((exit[0].data?.averageExpectedDelayMs as number) <= 8)
            const s = await status()
            assert.equal(s.counters.CodeYellowEntryExit, 0)
            assert.equal((await call()).status, 201)
          })
        })

        it('THR-4: Code Red after Code Yellow Duration (a fast-profile minute is 1 s) restarts Cisco CallManager (new pid) and writes a dump', async () => {
          await paramsNow({codeYellowDurationMin: 1})
          const pidBefore = cucm.nodeManager.status('Cisco CallManager').pid!
          const redsBefore = alarms('CodeRedEntry').length
          await latencyNow(Number(LATENCY_MS))
          const s = await eventually(
            async () => {
              const x = await status()
              return x.lastCodeRed?.pidAfter ? x : undefined
            },
            PHASE_MS,
            'Code Red and the restart',
          )
          await latencyNow(0)
          assert.equal(alarms('CodeRedEntry').length, redsBefore + 1)
          assert.equal(alarms('CodeRedEntry').at(-1)!.data?.rule, 'THR-4')
          assert.equal(s.lastCodeRed.pidBefore, pidBefore)
          assert.notEqual(s.lastCodeRed.pidAfter, pidBefore)
          assert.equal(isAlive(pidBefore), false)
          const svc = cucm.nodeManager.status('Cisco CallManager')
          assert.equal(svc.state, 'Running')
          assert.equal(svc.pid, s.lastCodeRed.pidAfter)
          assert.ok(existsSync(s.lastCodeRed.dump))
          assert.ok(s.lastCodeRed.dump.startsWith(cucm.stateDir))
          const dump = JSON.parse(readFileSync(s.lastCodeRed.dump, 'utf8'))
          assert.equal(dump.rule, 'THR-4')
          assert.equal(dump.pid, pidBefore)
          assert.equal(dump.counters.CodeYellowEntryExit, 1)
          assert.ok(dump.recentSamples.length > 0)
          assert.ok(cucm.events.list().some((e) => e.type === 'MemoryDump' && e.data?.file === s.lastCodeRed.dump))
          // The restarted service's monitor starts over (its counters count from the service's start).
          assert.notEqual(s.state, 'Code Red')
          await paramsNow({codeYellowDurationMin: 99_999})
          await eventually(async () => ((await status()).state === 'Normal' ? true : undefined), PHASE_MS, 'Normal after Code Red')
        })

        it('THR-5: System Throttle Sample Size 0 disables throttling: the delay is high yet the node stays Normal and admits calls', async () => {
          const r = await setParams('systemThrottleSampleSizeSec=0')
          assert.match(r.stderr, /THR-5/)
          const since = new Date().toISOString()
          await latencyNow(Number(LATENCY_MS))
          try {
            // Twelve measured samples (more than the default sample size) of high delay after the change.
            await eventually(
              async () =>
                (await status()).recentSamples.filter((x: any) => x.time > since && x.delayMs > 20).length >= 12 ? true : undefined,
              PHASE_MS,
              'high samples',
            )
            const s = await status()
            assert.equal(s.state, 'Normal')
            assert.equal(s.enabled, false)
            assert.equal(s.throttlingSampleActivity, 0)
            assert.equal((await call()).status, 201)
          } finally {
            await latencyNow(0)
            await paramsNow({systemThrottleSampleSizeSec: 10})
          }
        })
      } else {
        it('THR-7: throttle params shows each parameter with value, default and range; valid ThrottleParams', async () => {
          const r = await runCli(['throttle', 'params', '--node', 'cucm-pub', '--json'], env)
          assert.equal(r.code, 0, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          const entry = r.json.parameters.find((p: any) => p.key === 'codeYellowEntryLatencyMs')
          assert.deepEqual([entry.value, entry.default, entry.min, entry.max, entry.rule], [20, 20, 5, 500, 'THR-2'])
        })

        it('THR-7: a change warns on stderr, is applied after --yes, and the answer lists the change; valid ThrottleParams', async () => {
          const r = await setParams('Code Yellow Entry Latency=30')
          assert.deepEqual(schemaProblems(r.json), [])
          assert.match(r.stderr, /warning THR-7: Code Yellow Entry Latency 30 ms differs from the default 20/)
          assert.deepEqual(r.json.changes, ['Code Yellow Entry Latency: 20 → 30 ms (THR-2)'])
          assert.equal((await status()).thresholds.entryMs, 30)
          assert.equal((await status()).thresholds.exitMs, 12)
          await setParams('codeYellowEntryLatencyMs=20')
        })

        const BAD = [
          {set: 'codeYellowEntryLatencyMs=4', rule: 'THR-2', what: /out of range 5–500/},
          {set: 'codeYellowEntryLatencyMs=501', rule: 'THR-2', what: /out of range/},
          {set: 'codeYellowExitLatencyPercent=0', rule: 'THR-3', what: /out of range 1–100/},
          {set: 'codeYellowExitLatencyPercent=101', rule: 'THR-3', what: /out of range/},
          {set: 'codeYellowDurationMin=100000', rule: 'THR-4', what: /out of range/},
          {set: 'systemThrottleSampleSizeSec=-1', rule: 'THR-5', what: /out of range/},
          {set: 'codeYellowEntryLatencyMs=abc', rule: 'THR-2', what: /not an integer/},
          {set: 'bogus=1', rule: 'THR-7', what: /unknown throttle parameter/},
          {set: 'codeYellowEntryLatencyMs', rule: undefined, what: /not name=value/},
        ]
        // Each changes nothing: two at a time.
        describe('bad values', {concurrency: 2}, () => {
          for (const row of BAD) {
            it(`${row.rule ?? 'THR-7'}: throttle params --set ${row.set} is exit 2 and changes nothing`, async () => {
              const before = (await status()).params
              const r = await runCli(['throttle', 'params', '--node', 'cucm-pub', '--set', row.set, '--yes', '--json'], env)
              assert.equal(r.code, 2, r.stdout + r.stderr)
              assert.deepEqual(schemaProblems(r.json), [])
              assert.match(r.json.error.message, row.what)
              if (row.rule) assert.equal(r.json.error.rule, row.rule)
              assert.deepEqual((await status()).params, before)
            })
          }
        })

        it('THR-7: a change without a terminal and without --yes is refused (exit 2) and changes nothing', async () => {
          const r = await runCli(['throttle', 'params', '--node', 'cucm-pub', '--set', 'codeYellowEntryLatencyMs=30', '--json'], env)
          assert.equal(r.code, 2)
          assert.match(r.json.error.hint, /--yes/)
          assert.equal((await status()).params.codeYellowEntryLatencyMs, 20)
        })

        it('THR-7: the agent refuses an out-of-range value itself (400 with the rule), never a 5xx', async () => {
          for (const [body, rule] of [
            [{codeYellowEntryLatencyMs: 1000}, 'THR-2'],
            [{codeYellowExitLatencyPercent: 0}, 'THR-3'],
          ] as const) {
            const r = await fetch(`${cucm.url}/v1/throttle/params`, {method: 'PUT', headers: json, body: JSON.stringify(body)})
            assert.equal(r.status, 400)
            assert.equal(((await r.json()) as any).error.rule, rule)
          }
          for (const body of [{}, {nope: 1}, {codeYellowEntryLatencyMs: 1.5}]) {
            const r = await fetch(`${cucm.url}/v1/throttle/params`, {method: 'PUT', headers: json, body: JSON.stringify(body)})
            assert.equal(r.status, 400, JSON.stringify(body))
          }
          for (const body of [{durationMs: -1}, {durationMs: 'long'}, {caller: 'x'}])
            assert.equal((await call(body)).status, 400, JSON.stringify(body))
          assert.equal((await status()).params.codeYellowEntryLatencyMs, 20)
        })

        it('THR-2: lab latency and throttle params on a CTI OS node are exit 2, naming Unified CM', async () => {
          for (const args of [
            ['lab', 'latency', 'ctios-a', '50'],
            ['throttle', 'params', '--node', 'ctios-a'],
            ['throttle', 'status', '--node', 'ctios-a'],
          ]) {
            const r = await runCli([...args, '--json'], env)
            assert.equal(r.code, 2, args.join(' ') + r.stdout)
            assert.match(r.json.error.message, /Unified CM/)
          }
          const bad = await runCli(['lab', 'latency', 'cucm-pub', '5000', '--json'], env)
          assert.equal(bad.code, 2)
        })
      }
    })
})
