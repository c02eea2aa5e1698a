// IM and Presence agents as separate OS processes (`ucctl lab up` with a two-node topology),
// killed with SIGKILL: the peer's SRM takes over (PRG-3, PRG-7 rows 16, 18), and no user is
// lost or doubled when an agent dies in the middle of a takeover or a takeback.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {ConflictError} from '../../src/lib/errors.js'
import {eventually} from '../helpers/agents.js'
import {schemaProblems} from '../helpers/cli.js'
import {seededRandom, testSeed} from '../helpers/seed.js'
import {A, B, ProcessPair, startOp, USERS, userProblems, view, waitOp, waitRow} from './presence-lab.js'

/** The users of one node (half of the group's), moved in batches of BATCH (the lab's setting below). */
const NODE_USERS = USERS / 2
const BATCH = 250

describe('presence redundancy with SIGKILLed agents', {concurrency: false}, () => {
  let lab: ProcessPair
  let url: Record<string, string>
  before(() => {
    // Small batches with a pause: a move takes about a second, so a kill lands inside it.
    lab = new ProcessPair({moveBatchSize: BATCH, moveBatchPauseMs: 30})
    lab.up()
    url = Object.fromEntries(Object.entries(lab.nodes()).map(([n, v]) => [n, v.url]))
  })
  after(async () => {
    await lab.down()
    rmSync(lab.home, {recursive: true, force: true})
  })

  it('PRG-7 rows 16 → 18: the peer of a SIGKILLed node takes over its users; the node boots Failed Over; fallback', async () => {
    await waitRow(url[B], 1)
    await lab.kill(A)
    await waitRow(url[B], 16, 20_000, (v) => v.status.nodes.find((n) => n.name === B)!.users === 15_000)
    const st = lab.cli(['pcluster', 'status', '--json'])
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
    lab.restartStopped()
    await waitRow(url[B], 18)
    const fb = lab.cli(['pcluster', 'fallback', A, '--yes', '--json'])
    assert.equal(fb.code, 0, fb.stderr)
    assert.deepEqual(schemaProblems(fb.json), [])
    await waitRow(url[A], 1, 20_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    assert.deepEqual(await userProblems(url), [])
  })

  /** Brings the group back to Normal / Normal with every user home, whatever the kill left. */
  async function repair(): Promise<string> {
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
                  ![
                    'Failing Over',
                    'Taking Over',
                    'Taking Back',
                    'Falling Back',
                    'Backup Activated',
                    'Failover Affected Services',
                  ].includes(n.state),
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
      const st = lab.cli(['pcluster', 'status', '--json'])
      const node = st.json.groups[0].nodes.find((n: {name: string}) => n.name === without.name)
      for (const c of node.criticalServices.filter((x: {state: string}) => x.state !== 'Running'))
        assert.equal(lab.cli(['service', 'start', c.name, '--node', without.name]).code, 0)
      allowed = (await waitRow(url[A], row!, 20_000, (v) => v.status.allowedActions.includes(`fallback ${without.name}`))).status
        .allowedActions
    }
    // A kill that landed before the first batch or after the last can leave the pair as it was.
    if (row === 1) {
      // Nothing to repair.
    } else if (allowed.includes('recover')) assert.equal(lab.cli(['pcluster', 'recover', 'prg1', '--yes']).code, 0)
    else if (allowed.includes(`fallback ${A}`)) assert.equal(lab.cli(['pcluster', 'fallback', A, '--yes']).code, 0)
    else if (allowed.includes(`fallback ${B}`)) assert.equal(lab.cli(['pcluster', 'fallback', B, '--yes']).code, 0)
    else assert.fail(`no repair for ${JSON.stringify(settled.status)}`)
    await waitRow(url[A], 1, 30_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    await waitRow(url[B], 1, 30_000, (v) => v.status.nodes.every((n) => n.users === 7500))
    return `row ${row} (${settled.status.nodes.map((n) => `${n.name} ${n.state} / ${n.reason}`).join(', ')})`
  }

  it('PRG-2: SIGKILL at random moments of takeover and takeback: every user on exactly one node, and Recover or fallback repairs', async (t) => {
    const random = seededRandom(testSeed('presence-kill moments'))
    const seen: string[] = []
    const kills: string[] = []
    for (const [i, phase] of ['takeover', 'takeback', 'takeover', 'takeback'].entries()) {
      if (phase === 'takeback') {
        const r = lab.cli(['pcluster', 'failover', A, '--yes'])
        assert.equal(r.code, 0, r.stderr)
      }
      // The executor of the move is the receiving node: imp-sub takes over, imp-pub takes back.
      const [actor, action, victim] =
        phase === 'takeover' ? ([B, 'failover', i % 4 === 0 ? B : A] as const) : ([A, 'fallback', i % 4 === 1 ? A : B] as const)
      // The previous action releases its lease on the peer just after it ends (a message of its
      // own): until then the group answers Busy, which changes nothing.
      const op = await eventually(
        () => startOp(url[actor], action, A).catch((error) => (error instanceof ConflictError ? undefined : Promise.reject(error))),
        10_000,
        `${action} accepted by ${actor}`,
      )
      // A random moment of the move: once this many users have moved (0: before the first batch).
      const moved = Math.floor(random() * (NODE_USERS / BATCH)) * BATCH
      const at = await waitOp(url[actor], op, (o) => o.transitions.some((t) => Number(/users moved (\d+)\//.exec(t.message)?.[1]) >= moved))
      await lab.kill(victim)
      kills.push(`${phase} after ${moved} users (${at.state})`)
      if (victim !== actor) await waitOp(url[actor], op).catch(() => undefined)
      lab.restartStopped()
      seen.push(`${phase}, ${victim} killed: ${await repair()}`)
      assert.deepEqual(await userProblems(url), [], seen.at(-1))
    }
    // Each kill ended in a documented pair (rows 16-21, 3, ...), reported for the record.
    assert.equal(seen.length, 4, seen.join('\n'))
    t.diagnostic(`${kills.join('; ')}: ${seen.join('; ')}`)
  })
})
