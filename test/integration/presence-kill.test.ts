// IM and Presence agents as separate OS processes (`ucctl lab up` with a two-node topology),
// killed with SIGKILL: the peer's SRM takes over (PRG-3, PRG-7 rows 16, 18), and no user is
// lost or doubled when an agent dies in the middle of a takeover or a takeback. Each test has a
// lab of its own (its processes, ports, state and credentials), so they run at once.
import assert from 'node:assert/strict'
import {describe, it, type TestContext} from 'node:test'
import {ConflictError} from '../../src/lib/errors.js'
import {eventually} from '../helpers/agents.js'
import {schemaProblems} from '../helpers/cli.js'
import {seededRandom, testSeed} from '../helpers/seed.js'
import {A, B, ProcessPair, startOp, USERS, userProblems, view, waitOp, waitRow} from './presence-lab.js'

/** The users of one node (half of the group's), moved in batches of BATCH (the lab's setting below). */
const NODE_USERS = USERS / 2
const BATCH = 250

/** A lab of the test's own, stopped after it. */
async function lab(t: TestContext): Promise<{lab: ProcessPair; url: Record<string, string>}> {
  // Small batches with a pause: a move takes about a second, so a kill lands inside it.
  const l = new ProcessPair({moveBatchSize: BATCH, moveBatchPauseMs: 30})
  t.after(() => l.dispose())
  await l.up()
  return {lab: l, url: l.urls()}
}

/** Brings the group back to Normal / Normal with every user home, whatever the kill left. */
async function repair(lab: ProcessPair, url: Record<string, string>): Promise<string> {
  const settled = await eventually(
    async () => {
      try {
        const v = await view(url[A])
        const w = await view(url[B])
        const stable = [v, w].every(
          (x) =>
            !x.srm.initializing &&
            x.move === null &&
            x.status.nodes.every(
              (n) =>
                !['Failing Over', 'Taking Over', 'Taking Back', 'Falling Back', 'Backup Activated', 'Failover Affected Services'].includes(
                  n.state,
                ),
            ),
        )
        // A pair just after a restart can be stable before its SRM sees the peer up again: no
        // action is allowed until then (Recover needs both nodes up), so wait for one; row 1
        // needs none.
        const repairable =
          v.status.nodes.some((n) => n.state === 'Failed Over with Critical Services Not Running') ||
          v.status.allowedActions.some((a) => a === 'recover' || a === `fallback ${A}` || a === `fallback ${B}`)
        return stable && (v.status.row === 1 || repairable) && v.status.row === w.status.row ? v : undefined
      } catch {
        return undefined
      }
    },
    30_000,
    'a stable pair seen alike by both SRMs, with a repair allowed',
  )
  const row = settled.status.row
  let allowed = settled.status.allowedActions
  const without = settled.status.nodes.find((n) => n.state === 'Failed Over with Critical Services Not Running')
  if (without) {
    // The documented action (rows 12, 18): start the critical services of node 1, then fall back.
    const st = await lab.cli(['pcluster', 'status', '--json'])
    const node = st.json.groups[0].nodes.find((n: {name: string}) => n.name === without.name)
    for (const c of node.criticalServices.filter((x: {state: string}) => x.state !== 'Running'))
      assert.equal((await lab.cli(['service', 'start', c.name, '--node', without.name])).code, 0)
    // With its services back the pair moves on (row 12 becomes row 11; row 18 stays): wait for
    // the fallback, whatever the row.
    const fallback = `fallback ${without.name}`
    const ready = await eventually(
      async () => {
        const v = await view(url[A]).catch(() => undefined)
        return v && !v.srm.initializing && v.status.allowedActions.includes(fallback) ? v : undefined
      },
      20_000,
      `${fallback} allowed once the critical services of ${without.name} run`,
    )
    allowed = ready.status.allowedActions
  }
  // A kill that landed before the first batch or after the last can leave the pair as it was.
  const repairWith = (action: string[]) => lab.cli(['pcluster', ...action, '--yes']).then((r) => assert.equal(r.code, 0, r.stderr))
  if (row === 1) {
    // Nothing to repair.
  } else if (allowed.includes('recover')) await repairWith(['recover', 'prg1'])
  else if (allowed.includes(`fallback ${A}`)) await repairWith(['fallback', A])
  else if (allowed.includes(`fallback ${B}`)) await repairWith(['fallback', B])
  else assert.fail(`no repair for ${JSON.stringify(settled.status)}`)
  await waitRow(url[A], 1, 30_000, (v) => v.status.nodes.every((n) => n.users === 7500))
  await waitRow(url[B], 1, 30_000, (v) => v.status.nodes.every((n) => n.users === 7500))
  return `row ${row} (${settled.status.nodes.map((n) => `${n.name} ${n.state} / ${n.reason}`).join(', ')})`
}

// Three labs at once, one per test (a lab's start and stop cost more than a kill and its repair).
describe('presence redundancy with SIGKILLed agents', {concurrency: 3}, () => {
  it('PRG-7 rows 16 → 18: the peer of a SIGKILLed node takes over its users; the node boots Failed Over; fallback', async (t) => {
    const {lab: l, url} = await lab(t)
    await l.kill(A)
    await waitRow(url[B], 16, 20_000, (v) => v.status.nodes.find((n) => n.name === B)!.users === 15_000)
    const st = await l.cli(['pcluster', 'status', '--json'])
    assert.equal(st.code, 0, st.stderr)
    assert.deepEqual(schemaProblems(st.json), [])
    assert.deepEqual(
      st.json.groups[0].nodes.map((n: {name: string; state: string; reason: string | null; reachable: boolean}) => [
        n.name,
        n.state,
        n.reason,
        n.reachable,
      ]),
      [
        [A, 'down', null, false],
        [B, 'Running in Backup Mode', 'Peer Down', true],
      ],
    )
    assert.match(st.json.groups[0].recommendedAction, /fix|repair|network/i)
    await l.restartStopped()
    await waitRow(url[B], 18)
    const fb = await l.cli(['pcluster', 'fallback', A, '--yes', '--json'])
    assert.equal(fb.code, 0, fb.stderr)
    assert.deepEqual(schemaProblems(fb.json), [])
    await waitRow(url[A], 1, 20_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    assert.deepEqual(await userProblems(url), [])
  })

  // The executor of a move is the receiving node: imp-sub takes over (a failover of imp-pub),
  // imp-pub takes back (its fallback). Each test kills it, then the other node.
  for (const [phase, actor, other, action] of [
    ['takeover', B, A, 'failover'],
    ['takeback', A, B, 'fallback'],
  ] as const) {
    it(`PRG-2: SIGKILL at random moments of a ${phase}, of the node moving the users (${actor}) then of the other: every user on exactly one node, and Recover or fallback repairs`, async (t) => {
      const random = seededRandom(testSeed(`presence-kill ${phase}`))
      const {lab: l, url} = await lab(t)
      const seen: string[] = []
      for (const victim of [actor, other]) {
        if (phase === 'takeback') {
          const r = await l.cli(['pcluster', 'failover', A, '--yes'])
          assert.equal(r.code, 0, r.stderr)
        }
        // The previous action releases its lease on the peer just after it ends (a message of its
        // own): until then the group answers Busy, which changes nothing.
        const op = await eventually(
          () => startOp(url[actor], action, A).catch((error) => (error instanceof ConflictError ? undefined : Promise.reject(error))),
          10_000,
          `${action} accepted by ${actor}`,
        )
        // A random moment of the move: once this many users have moved (0: before the first batch).
        const moved = Math.floor(random() * (NODE_USERS / BATCH)) * BATCH
        const at = await waitOp(url[actor], op, (o) =>
          o.transitions.some((t) => Number(/users moved (\d+)\//.exec(t.message)?.[1]) >= moved),
        )
        await l.kill(victim)
        if (victim !== actor) await waitOp(url[actor], op).catch(() => undefined)
        await l.restartStopped()
        seen.push(`${victim} killed after ${moved} users (${at.state}): ${await repair(l, url)}`)
        assert.deepEqual(await userProblems(url), [], seen.at(-1))
      }
      // Each kill ended in a documented pair (rows 16-21, 3, ...), reported for the record.
      t.diagnostic(`${phase}: ${seen.join('; ')}`)
    })
  }
})
