// `ucctl pcluster ...` as an operator runs it against two real IM and Presence agents: exit
// codes, confirmation, --dry-run, waiting with progress, and JSON valid against schemas/.
import assert from 'node:assert/strict'
import {after, before, describe, it, type TestContext} from 'node:test'
import {type CliResult, schemaProblems} from '../helpers/cli.js'
import {A, act, B, type PairOptions, pairWithCli, view, waitRow} from './presence-lab.js'

/** PRG-10: a node holds 15,000 users; 20% CPU. Users move at the product's default pace. */
const SETTINGS = {capacity: 15_000, cpuPercent: 20}

type CliPair = Awaited<ReturnType<typeof pairWithCli>>

/** A pair with a CLI context for the tests of one suite, in order; disposed after them. */
function suitePair(ready: (c: CliPair) => Promise<void> = async () => {}): {
  cli: (...args: string[]) => Promise<CliResult>
  url: (node: string) => string
} {
  let c: CliPair
  before(async () => {
    c = await pairWithCli({settings: SETTINGS})
    await ready(c)
  })
  after(() => c.dispose())
  return {cli: (...args) => c.cli(...args), url: (node) => c.p.url(node)}
}

/** A pair with a CLI context of the test's own, disposed after it. */
async function ownPair(t: TestContext, opts: PairOptions): Promise<CliPair> {
  const c = await pairWithCli(opts)
  t.after(() => c.dispose())
  return c
}

// Four groups of tests, three at a time, each on its own pair: the reads and refusals (which
// change nothing), two operators at once, the users and fallback of a failed-over pair (in
// order), and the findings.
describe('ucctl pcluster', {concurrency: 3}, () => {
  describe('on a Normal / Normal pair: reads, previews and refusals change nothing', {concurrency: 1}, () => {
    const {cli, url} = suitePair()

    it('PRG-5, PRG-7: pcluster status: state, reason, users, critical services, HA and the recommended action', async () => {
      const r = await cli('pcluster', 'status', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      const g = r.json.groups[0]
      assert.equal(g.name, 'prg1')
      assert.equal(g.haEnabled, true)
      assert.equal(g.row, 1)
      assert.equal(g.recommendedAction, 'None.')
      assert.deepEqual(g.allowedActions, ['failover imp-pub', 'failover imp-sub', 'ha disable'])
      assert.deepEqual(
        g.nodes.map((n: {name: string; state: string; reason: string; users: number}) => [n.name, n.state, n.reason, n.users]),
        [
          [A, 'Normal', 'Normal', 7500],
          [B, 'Normal', 'Normal', 7500],
        ],
      )
      assert.equal(g.nodes[0].criticalServices.length, 5)
      const plain = await cli('pcluster', 'status')
      assert.match(plain.stdout, /^prg1\ton\timp-pub\tNormal\tNormal\t7500\trunning\tRunning$/m)
      const unknown = await cli('pcluster', 'status', 'nope')
      assert.equal(unknown.code, 2)
    })

    it('PRG-8: --dry-run prints the transitions and user moves, and changes nothing', async () => {
      const before = (await view(url(A))).version
      const r = await cli('pcluster', 'failover', A, '--dry-run', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.deepEqual(r.json.changes, [
        'imp-pub: Normal / Normal → Failing Over / By Admin Request',
        'imp-sub: Normal / Normal → Taking Over / By Admin Request',
        'stop the critical services of imp-pub',
        'move 7500 users imp-pub → imp-sub (performed by the SRM of imp-sub, PRG-3)',
        'imp-pub: Failing Over / By Admin Request → Idle / By Admin Request',
        'imp-sub: Taking Over / By Admin Request → Running in Backup Mode / By Admin Request',
      ])
      assert.ok(r.json.rules.some((x: string) => x.startsWith('PRG-8')))
      assert.ok(r.json.rules.includes('PRG-7: row 1 → row 3'))
      assert.equal((await view(url(A))).version, before)
    })

    it('PRG-11: a failover shows its impact before it happens (the confirmation) and in its --dry-run JSON', async () => {
      const r = await cli('pcluster', 'failover', A)
      assert.equal(r.code, 2, r.stderr)
      assert.match(
        r.stderr,
        /PRG-11: presence and instant messaging: briefly unavailable.*ad hoc chat rooms hosted on imp-pub: lost.*persistent chat rooms on imp-pub: unreachable until recovery completes.*softphone calls: not dropped.*Intercluster Sync Agent/,
      )
      const d = await cli('pcluster', 'failover', A, '--dry-run', '--json')
      assert.deepEqual(schemaProblems(d.json), [])
      assert.deepEqual(
        d.json.impact.map((i: {subject: string; rule: string}) => `${i.rule} ${i.subject}`),
        [
          'PRG-11 presence and instant messaging',
          'PRG-11 ad hoc chat rooms hosted on imp-pub',
          'PRG-11 persistent chat rooms on imp-pub',
          'PRG-11 softphone calls',
          'PRG-11 other clusters',
        ],
      )
    })

    it('PRG-8: an action the state does not allow: exit 5 naming the state and what is possible, before any confirmation', async () => {
      const r = await cli('pcluster', 'fallback', A)
      assert.equal(r.code, 5)
      assert.match(r.stderr, /fallback imp-pub refused: group prg1 is imp-pub Normal \/ Normal \+ imp-sub Normal \/ Normal \(PRG-7 row 1\)/)
      assert.match(r.stderr, /\[PRG-8\]/)
      assert.match(r.stderr, /allowed now: failover imp-pub, failover imp-sub, ha disable/)
      const j = await cli('pcluster', 'recover', 'prg1', '--json')
      assert.equal(j.code, 5)
      assert.deepEqual(schemaProblems(j.json), [])
      assert.equal(j.json.error.rule, 'PRG-8')
    })

    it('PRG-9: destructive actions ask; without a terminal and without --yes they refuse (exit 2) and change nothing', async () => {
      const before = (await view(url(A))).version
      const r = await cli('pcluster', 'ha', 'disable', 'prg1')
      assert.equal(r.code, 2)
      assert.match(r.stderr, /lose failover protection.*PRG-9/)
      assert.equal((await view(url(A))).version, before)
    })

    it('PRG-1, PRG-10: pcluster check passes for the lab group (7,500 users per node of 15,000 capacity)', async () => {
      const r = await cli('pcluster', 'check', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.ok, true)
    })
  })

  it('PRG-8: two operators on one group at once: one wins, the other exits 6; the winner waits to the stable pair', async (t) => {
    // Slow moves (5 s): the second operator's ucctl, started once the failover runs, acts while it
    // still runs however long a loaded machine takes to start it.
    const {cli, p} = await ownPair(t, {settings: {...SETTINGS, moveBatchSize: 750, moveBatchPauseMs: 500}})
    const first = cli('pcluster', 'failover', A, '--yes', '--json')
    await waitRow(p.url(A), 2, 20_000)
    const second = await cli('pcluster', 'ha', 'disable', 'prg1', '--yes', '--json')
    assert.equal(second.code, 6, second.stderr)
    assert.deepEqual(schemaProblems(second.json), [])
    assert.equal(second.json.error.code, 'Busy')
    const r = await first
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.node, B, "PRG-3: the peer's SRM performed the failover")
    assert.ok(r.json.transitions.some((t: {message: string}) => t.message === 'users moved 7500/7500 (imp-pub → imp-sub)'))
    assert.match(r.json.transitions.at(-1).message, /imp-pub Idle \/ By Admin Request, imp-sub Running in Backup Mode \/ By Admin Request/)
    assert.deepEqual(
      r.json.groupStatus.nodes.map((n: {users: number}) => n.users),
      [0, 15_000],
    )
    assert.equal(r.json.impact.length, 5, 'PRG-11 in the JSON of the failover')
  })

  describe('a failed-over pair: its users, then its fallback', {concurrency: 1}, () => {
    const {cli} = suitePair(async (c) => {
      assert.equal((await act(c.p.url(B), 'failover', A)).state, 'succeeded')
      // Both replicas show the move done.
      for (const n of [A, B])
        await waitRow(c.p.url(n), 3, 20_000, (v) => v.status.nodes.every((x) => x.users === (x.name === B ? 15_000 : 0)))
    })

    it('PRG-2, PRG-10: pcluster users [--node] lists the users each node holds', async () => {
      const r = await cli('pcluster', 'users', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.deepEqual(r.json.nodes, [
        {name: A, users: 0, assignedUsers: 7500},
        {name: B, users: 15_000, assignedUsers: 7500},
      ])
      const on = await cli('pcluster', 'users', '--node', B, '--json')
      assert.deepEqual(schemaProblems(on.json), [])
      assert.equal(on.json.source, B)
      assert.equal(on.json.users.length, 15_000)
      assert.deepEqual(on.json.users[0], {id: 'user00001@example.com', node: B, assignedNode: A})
      assert.equal((await cli('pcluster', 'users', '--node', 'cucm-pub')).code, 2)
    })

    it('PRG-8: fallback waits, showing the state changes and users moved n/N, to Normal / Normal', async () => {
      const r = await cli('pcluster', 'fallback', A, '--yes', '--json')
      assert.equal(r.code, 0, r.stderr)
      const messages = r.json.transitions.map((t: {message: string}) => t.message)
      assert.equal(messages[0], 'prg1: imp-pub Taking Back / By Admin Request, imp-sub Falling Back / By Admin Request')
      assert.ok(messages.includes('users moved 7500/7500 (imp-sub → imp-pub)'))
      assert.equal(messages.at(-1), 'prg1: imp-pub Normal / Normal, imp-sub Normal / Normal')
      assert.deepEqual(schemaProblems(r.json), [])
      assert.ok(
        r.json.impact.some((i: {subject: string; rule: string}) => i.rule === 'PRG-11' && i.subject === 'softphone calls'),
        'PRG-11 in the JSON of the fallback',
      )
    })

    it('PRG-10: users rebalance: already balanced → nothing to do; --dry-run shows nothing', async () => {
      const d = await cli('pcluster', 'users', 'rebalance', '--dry-run', '--json')
      assert.equal(d.code, 0, d.stderr)
      assert.deepEqual(d.json.changes, [])
      const r = await cli('pcluster', 'users', 'rebalance', '--yes', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.json.transitions[0].message, /already balanced/)
    })
  })

  it('PRG-1, PRG-10: a slow WAN and an overloaded node are findings; exit 3', async (t) => {
    const {cli} = await ownPair(t, {settings: {wan: {bandwidthMbps: 5, roundTripMs: 120}, capacity: 10_000, cpuPercent: 50}})
    const r = await cli('pcluster', 'check', '--json')
    assert.equal(r.code, 3, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    const messages = r.json.findings.map((f: {rule: string; message: string}) => `${f.rule} ${f.message}`)
    assert.ok(
      messages.some((m: string) => /^PRG-1 .*5 Mb\/s is below the 10 Mb\/s/.test(m)),
      messages.join('\n'),
    )
    assert.ok(messages.some((m: string) => /^PRG-1 .*120 ms exceeds 80 ms/.test(m)))
    assert.ok(messages.some((m: string) => /^PRG-10 imp-pub runs at 50% CPU/.test(m)))
    assert.ok(messages.some((m: string) => /^PRG-10 imp-pub carries 7500 users, more than half of what it can hold \(5000\)/.test(m)))
  })
})
