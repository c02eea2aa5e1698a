// The Unity Connection cluster with real agents (issue 3): the API and CLI contracts against
// in-process agents. The whole story with real faults under load is connection-cluster-faults.test.ts.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually, startConnectionPair, tempDir, type TestAgent} from '../helpers/agents.js'
import {runCli, schemaProblems, writeContext} from '../helpers/cli.js'

type Doc = Record<string, any>

/** The agent's answer as it is: these tests read the HTTP API itself, malformed requests included. */
const get = async (c: AgentClient, path: string, query?: Record<string, string | number>, timeoutMs?: number): Promise<Doc> =>
  (await c.raw('GET', path, {query, timeoutMs})).body as Doc
const post = async (c: AgentClient, path: string, body?: unknown): Promise<{status: number; body: Doc}> => {
  const r = await c.raw('POST', path, {body})
  return {status: r.status, body: r.body as Doc}
}

describe('Unity Connection cluster: API and CLI contracts (in-process agents)', {concurrency: 2}, () => {
  // Two pairs: calls and deactivation on one, statuses and checks on the other, at once; within a
  // pair one test at a time (the concurrency is inherited).
  for (const part of ['calls', 'statuses'] as const)
    describe(part, {concurrency: 1}, () => {
      let pub: TestAgent
      let sub: TestAgent
      let home: string
      let env: Record<string, string>
      const api = (a: TestAgent) => new AgentClient({name: a.config.name, url: a.url})
      const status = async (a: TestAgent) => (await get(api(a), '/v1/cluster')).status as string

      before(async () => {
        const conn = (mac: string, licenseMac: string, ports: number) => ({
          connection: {mac, licenseMac, integration: 'sip-trunk', ports, phoneSystemPorts: 16},
        })
        // No test here is about the keepalive timeout (UC-5: connection-cluster-faults.test.ts): a
        // long one, so that the process held up by a loaded machine does not lose its peer falsely.
        ;({pub, sub} = await startConnectionPair(
          {
            pub: conn('00:50:56:00:00:01', '00:50:56:00:00:01', 8),
            sub: conn('00:50:56:00:00:02', '00:50:56:00:00:01', 4),
          },
          {cucKeepaliveTimeoutMs: 15_000},
        ))
        home = tempDir()
        writeContext(home, 't', [
          {name: 'cuc-pub', url: pub.url},
          {name: 'cuc-sub', url: sub.url},
        ])
        env = {UCCTL_HOME: home}
        await eventually(
          async () => ((await status(pub)) === 'Primary' && (await status(sub)) === 'Secondary' ? true : undefined),
          20_000,
          'a healthy cluster',
        )
      })
      after(async () => {
        await Promise.all([pub.dispose(), sub.dispose()])
        rmSync(home, {recursive: true, force: true})
      })

      if (part === 'calls') {
        it('UC-2: calls are answered while the status answers calls (201), a bad body is 400, never a 5xx', async () => {
          const r = await post(api(sub), '/v1/calls', {durationMs: 60_000})
          assert.equal(r.status, 201)
          assert.equal(r.body.node, 'cuc-sub')
          assert.ok(r.body.id && r.body.endsAt)
          for (const bad of [{}, {durationMs: -1}, {durationMs: 10, extra: 1}, {durationMs: 'x'}]) {
            await assert.rejects(post(api(sub), '/v1/calls', bad), (e: Error) => e.name === 'UsageError', JSON.stringify(bad))
          }
          await assert.rejects(post(api(sub), '/v1/messages', {from: 'a', to: 'b'}), (e: Error) => e.name === 'UsageError')
          assert.equal((await get(api(sub), '/v1/calls')).callsInProgress, 1)
        })

        it('UC-8: deactivating with calls in progress warns and asks; without a terminal and --yes it refuses (exit 2) and changes nothing', async () => {
          const dry = await runCli(['cluster', 'deactivate', 'cuc-sub', '--dry-run', '--json'], env)
          assert.equal(dry.code, 0, dry.stderr)
          assert.deepEqual(schemaProblems(dry.json), [])
          assert.equal(dry.json.kind, 'OperationPlan')
          assert.match(dry.json.warnings[0], /1 call in progress on cuc-sub will be dropped \(UC-8\)/)
          const r = await runCli(['cluster', 'deactivate', 'cuc-sub'], env)
          assert.equal(r.code, 2)
          assert.match(r.stderr, /will be dropped \(UC-8\)/)
          assert.match(r.stderr, /Refusing without a terminal/)
          assert.equal(await status(sub), 'Secondary')
          assert.equal((await get(api(sub), '/v1/calls')).callsInProgress, 1)
          // The agent itself refuses to drop calls nobody confirmed.
          await assert.rejects(post(api(sub), '/v1/cluster/deactivate', {}), (e: any) => e.name === 'RefusedError' && e.rule === 'UC-8')
        })

        it('UC-8: the agent previews a deactivation (dry run): the calls it would drop, or with --drain its wait for them; nothing changes', async () => {
          const preview = (a: TestAgent, action: 'deactivate' | 'activate', body: {drain?: boolean; drainTimeoutMs?: number}) =>
            api(a).preview('POST /v1/cluster/:action', {params: {action}, body})
          const plain = await preview(sub, 'deactivate', {})
          assert.equal(plain.dropsCalls, 1)
          assert.deepEqual(
            plain.effects?.map((e) => [e.rule, e.kind]),
            [['UC-8', 'warning']],
          )
          const drained = await preview(sub, 'deactivate', {drain: true, drainTimeoutMs: 30_000})
          assert.equal(drained.dropsCalls, 0)
          assert.deepEqual(drained.warnings, [])
          assert.equal(drained.changes[0], 'cuc-sub: stops taking calls; waits up to 30 s for its 1 call(s) to end')
          const dry = await runCli(['cluster', 'deactivate', 'cuc-sub', '--drain', '--timeout', '30', '--dry-run', '--json'], env)
          assert.equal(dry.code, 0, dry.stderr)
          assert.deepEqual(schemaProblems(dry.json), [])
          assert.deepEqual(dry.json.changes, drained.changes)
          await assert.rejects(preview(pub, 'deactivate', {}), (e: any) => e.name === 'RefusedError' && e.rule === 'UC-7')
          await assert.rejects(preview(sub, 'activate', {drain: true}), (e: Error) => e.name === 'UsageError')
          const server = await api(sub).call('GET /v1/cluster')
          assert.deepEqual([server.status, server.takingCalls, server.callsInProgress], ['Secondary', true, 1])
        })

        it('UC-8: with --yes the Secondary is Deactivated and its calls are dropped; it answers no calls (429 Rejected, UC-2)', async () => {
          const r = await runCli(['cluster', 'deactivate', 'cuc-sub', '--yes', '--json'], env)
          assert.equal(r.code, 0, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(r.json.kind, 'Operation')
          assert.equal(r.json.state, 'succeeded')
          assert.equal(r.json.status, 'Deactivated')
          const calls = await get(api(sub), '/v1/calls')
          assert.equal(calls.callsInProgress, 0)
          assert.equal(calls.dropped, 1)
          // The wire contract shared with Unified CM (Code Yellow): 429 {error: {code: 'Rejected', rule}}.
          const res = await fetch(`${sub.url}/v1/calls`, {
            method: 'POST',
            headers: {'content-type': 'application/json', authorization: `Bearer ${AgentClient.credentials.token}`},
            body: JSON.stringify({durationMs: 1000}),
          })
          assert.equal(res.status, 429)
          assert.deepEqual(((await res.json()) as Doc).error.code, 'Rejected')
          await assert.rejects(
            post(api(sub), '/v1/messages', {from: 'a', to: 'b', text: 'x'}),
            (e: any) => e.name === 'RefusedError' && e.rule === 'UC-2',
          )
        })

        it('UC-4: cluster activate: Starting, then Secondary; it takes calls again', async () => {
          const r = await runCli(['cluster', 'activate', 'cuc-sub', '--json'], env)
          assert.equal(r.code, 0, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(r.json.status, 'Secondary')
          assert.ok(r.json.transitions.some((t: Doc) => /Deactivated → Starting/.test(t.message)))
          assert.equal((await post(api(sub), '/v1/calls', {durationMs: 1500})).status, 201)
        })

        it('UC-8: deactivate --drain stops taking calls, waits for them to end, then deactivates without dropping any', async () => {
          const r = await runCli(['cluster', 'deactivate', 'cuc-sub', '--drain', '--timeout', '30', '--json'], env)
          assert.equal(r.code, 0, r.stderr)
          assert.equal(r.json.status, 'Deactivated')
          assert.ok(r.json.transitions.some((t: Doc) => /stops taking calls/.test(t.message)))
          assert.equal((await get(api(sub), '/v1/calls')).dropped, 1, 'no more drops than before')
          assert.equal((await runCli(['cluster', 'activate', 'cuc-sub'], env)).code, 0)
        })
      } else {
        it('UC-2: voice messages are stored once by id and replicated to the peer', async () => {
          const m = await post(api(sub), '/v1/messages', {id: 'contract-1', from: 'alice', to: 'bob', text: 'hello'})
          assert.equal(m.status, 201)
          const again = await post(api(sub), '/v1/messages', {id: 'contract-1', from: 'alice', to: 'bob', text: 'hello'})
          assert.equal(again.status, 200)
          assert.equal(again.body.duplicate, true)
          await post(api(pub), '/v1/messages', {id: 'contract-2', from: 'carol', to: 'dave', text: 'hi'})
          await eventually(
            async () => {
              const [a, b] = [await get(api(pub), '/v1/messages', {ids: 1}), await get(api(sub), '/v1/messages', {ids: 1})]
              return a.count === 2 && b.count === 2 && a.digest === b.digest ? true : undefined
            },
            10_000,
            'both messages on both servers',
          )
        })

        it('UC-2: administrative changes are accepted by the Secondary and replicated to the Primary', async () => {
          const r = await post(api(sub), '/v1/cluster/admin-changes', {id: 'admin-1', object: 'user/bob', change: {extension: '2001'}})
          assert.equal(r.status, 201)
          await eventually(
            async () => ((await get(api(pub), '/v1/messages', {kind: 'admin'})).count === 1 ? true : undefined),
            10_000,
            'the change on the Primary',
          )
          assert.equal((await get(api(pub), '/v1/messages')).count, 2, 'admin changes are not voice messages')
        })

        it('UC-7: cluster deactivate of the Primary is refused with exit 5 naming the rule; nothing changes', async () => {
          const r = await runCli(['cluster', 'deactivate', 'cuc-pub', '--json', '--yes'], env)
          assert.equal(r.code, 5, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(r.json.error.rule, 'UC-7')
          assert.match(r.json.error.message, /only a Secondary server can be deactivated/)
          assert.equal(await status(pub), 'Primary')
        })

        it('UC-2: cluster status --json: both servers, statuses, calls, ports, replication, last change; valid ConnectionCluster', async () => {
          const r = await runCli(['cluster', 'status', '--json'], env)
          assert.equal(r.code, 0, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          const [p, s] = r.json.servers
          assert.deepEqual([p.name, p.role, p.status, p.answersCalls], ['cuc-pub', 'publisher', 'Primary', true])
          assert.deepEqual([s.name, s.role, s.status, s.answersCalls], ['cuc-sub', 'subscriber', 'Secondary', true])
          assert.equal(s.ports, 4)
          assert.deepEqual(s.lastChange.to, 'Secondary')
          assert.ok(r.json.notes.some((n: string) => n.startsWith('UC-1')))
        })

        it('UC-14: cluster make-primary swaps the statuses; calls in progress are not dropped; --dry-run changes nothing', async () => {
          await post(api(pub), '/v1/calls', {durationMs: 30_000})
          const dry = await runCli(['cluster', 'make-primary', 'cuc-sub', '--dry-run', '--json'], env)
          assert.deepEqual(dry.json.changes, [
            'cuc-pub: Primary → Secondary',
            'cuc-sub: Secondary → Primary',
            'cuc-sub: starts its critical services',
          ])
          assert.equal(await status(sub), 'Secondary')
          const r = await runCli(['cluster', 'make-primary', 'cuc-sub', '--json'], env)
          assert.equal(r.code, 0, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(await status(sub), 'Primary')
          assert.equal(await status(pub), 'Secondary')
          assert.equal((await get(api(pub), '/v1/calls')).callsInProgress, 1, 'UC-8: a manual change drops no call')
          const back = await runCli(['cluster', 'make-primary', 'cuc-pub'], env)
          assert.equal(back.code, 0, back.stderr)
          assert.equal(await status(pub), 'Primary')
        })

        it('UC-15: cluster ports check explains each mismatch (exit 3), from flags or from the agents', async () => {
          const ok = await runCli(
            [
              'cluster',
              'ports',
              'check',
              '--integration',
              'sccp',
              '--needed',
              '16',
              '--phone-system',
              '32',
              '--per-server',
              '16,16',
              '--json',
            ],
            env,
          )
          assert.equal(ok.code, 0, ok.stderr)
          assert.deepEqual(schemaProblems(ok.json), [])
          const bad = await runCli(['cluster', 'ports', 'check', '--integration', 'sip-trunk', '--needed', '16', '--json'], env)
          assert.equal(bad.code, 3)
          assert.deepEqual(schemaProblems(bad.json), [])
          assert.equal(bad.json.source, 'agents')
          assert.deepEqual(
            bad.json.findings.map((f: Doc) => [f.rule, f.severity, f.node]),
            [['UC-15', 'error', 'cuc-sub']],
          )
          assert.match(bad.json.findings[0].message, /cuc-sub has 4 voice-messaging ports; N\/2 = 8 per server/)
          const usage = await runCli(['cluster', 'ports', 'check', '--integration', 'sip', '--needed', '16', '--per-server', '16'], env)
          assert.equal(usage.code, 2)
        })

        it("UC-16: cluster license check finds the subscriber holding the publisher's license (exit 3)", async () => {
          const r = await runCli(['cluster', 'license', 'check', '--json'], env)
          assert.equal(r.code, 3, r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.deepEqual(
            r.json.findings.map((f: Doc) => [f.rule, f.node]),
            [['UC-16', 'cuc-sub']],
          )
          assert.match(r.json.findings[0].message, /\(the MAC of cuc-pub\)/)
        })
      }
    })
})
