// CTI OS failover of related components (SPEC §2, CTI-1..7) against a real CTI OS agent with 200
// real softphone connections: each test counts exactly which softphones received which event.
// CTI-3 is a real death of the CtiosServerNode process (SIGKILL), restarted by NodeManager.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, beforeEach, describe, it} from 'node:test'
import {eventually, isAlive, startTestAgent, tempDir, TEST_OPERATOR_TOKEN, TEST_VIEWER_TOKEN, type TestAgent} from '../helpers/agents.js'
import {runCli, schemaProblems, startCli, writeContext} from '../helpers/cli.js'
import {StreamWatch} from '../helpers/streams.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {RefusedError} from '../../src/lib/errors.js'
import {SoftphoneFleet} from '../../src/lib/lab/softphones.js'
import type {Query} from '../../src/lib/api/index.js'
import {CTI6_WARNING, type SoftphoneRow} from '../../src/lib/cli/ctios-status.js'
import type {AgentStatus, Component, FaultAction} from '../../src/lib/domain/cti-failover.js'
import type {SoftphoneEvent} from '../../src/lib/domain/cti-softphones.js'

const AGENTS = 210
const PHONES = 200 // the fleet: agent-001 .. agent-200; ten are left for `clients open`
const PEER_CAPACITY = 150

describe('CTI OS failover with 200 real softphone connections', {concurrency: 2}, () => {
  // Two worlds, each its own agent with 200 softphones: the failovers and the commands run at
  // once; within a world one test at a time (each changes it; the concurrency is inherited).
  for (const part of ['failovers', 'commands'] as const)
    describe(part, {concurrency: 1}, () => {
      let agent: TestAgent
      let client: AgentClient
      let fleet: SoftphoneFleet
      let home: string
      let env: Record<string, string>
      let mark = 0
      let streams: StreamWatch

      const fault = (component: Component, action: FaultAction, id?: string) =>
        client.call('POST /v1/ctios/faults', {body: {component, action, ...(id ? {id} : {})}})
      const status = () => client.call('GET /v1/ctios')
      const softphones = async (query: Query<'GET /v1/ctios/softphones'> = {}) =>
        (await client.call('GET /v1/ctios/softphones', {query})).softphones
      const ids = (from: number, to: number) => Array.from({length: to - from + 1}, (_, i) => `agent-${String(from + i).padStart(3, '0')}`)
      /** Softphones that received `type` (with `rule`) since the mark, sorted. */
      const got = (type?: SoftphoneEvent['type'], rule?: string) =>
        fleet.phones
          .filter((p) =>
            p.received.some(
              (r) => r.at >= mark && (!type || r.event.type === type) && (!rule || ('rule' in r.event && r.event.rule === rule)),
            ),
          )
          .map((p) => p.id)
          .sort()
      const waitGot = (n: number, type: SoftphoneEvent['type'], rule?: string) =>
        eventually(() => (got(type, rule).length >= n ? true : undefined), 15_000, `${n} softphones to receive ${type} ${rule ?? ''}`)
      /**
       * Waits until each softphone has read everything the agent wrote to it so far: what a fault
       * sends is written before the fault's answer, so after this `got()` is the whole story.
       */
      const settled = () => streams.delivered()
      const online = () =>
        eventually(
          async () => ((await status()).components.find((c) => c.component === 'ctios-server')?.state === 'online' ? true : undefined),
          15_000,
          'the CTI OS server online',
        )
      const ruleOf = async (p: Promise<unknown>) => {
        try {
          await p
        } catch (error) {
          assert.ok(error instanceof RefusedError, String(error))
          return error.rule
        }
        assert.fail('not refused')
      }

      before(async () => {
        agent = await startTestAgent({
          name: 'ctios-a',
          settings: {ctios: {agents: AGENTS, switches: 4, peer: {name: 'ctios-b', capacity: PEER_CAPACITY}}},
          // Long enough that every disconnected softphone has tried to reconnect before it is back.
          timing: {ctiosServerOnlineMs: 2500},
        })
        client = new AgentClient({name: 'ctios-a', url: agent.url})
        await online()
        streams = new StreamWatch(new URL(agent.url).host, /^\/v1\/ctios\/softphones\/([^/]+)\/events/)
        fleet = new SoftphoneFleet({url: agent.url, token: TEST_OPERATOR_TOKEN}, ids(1, PHONES), {bufferDuringFailover: false})
        await fleet.open()
        await fleet.login('Available')
        home = tempDir()
        writeContext(home, 'test', [{name: 'ctios-a', url: agent.url}])
        env = {UCCTL_HOME: home}
      })
      after(async () => {
        fleet?.close()
        streams?.close()
        await agent?.dispose()
        if (home) rmSync(home, {recursive: true, force: true})
      })

      // Every test starts from the same world: everything up, every softphone connected, logged in.
      beforeEach(async () => {
        const s = await status()
        for (const c of s.components) {
          const sideDown = c.sides && (c.sides.A === 'down' || c.sides.B === 'down')
          if ((c.state === 'offline' || sideDown) && (c.component === 'pg' || c.component === 'cti-server' || c.component === 'peer'))
            await fault(c.component, 'up')
          if (c.state === 'out of service') await fault(c.component, 'up', c.id)
        }
        await online()
        await eventually(
          () => (fleet.phones.every((p) => p.server !== undefined && p.status !== 'reconnecting') ? true : undefined),
          15_000,
          'every softphone on a CTI OS server',
        )
        // Those logged out by a device (CTI-4, CTI-5) log in again.
        const notAvailable = (await softphones({connection: 'connected'})).filter((r) => r.agentState !== 'Available').map((r) => r.id)
        await Promise.all(notAvailable.map((id) => fleet.get(id).setState('Available')))
        await eventually(
          () => (fleet.phones.every((p) => p.status === 'connected') ? true : undefined),
          15_000,
          'every softphone connected',
        )
        await settled()
        mark = performance.now()
      })

      if (part === 'failovers') {
        it('CTI-4: an IP phone out of service: Offline to exactly its softphone; back in service the agent stays logged out until it logs in again', async () => {
          await fault('ip-phone', 'down', 'phone-007')
          await waitGot(1, 'Offline', 'CTI-4')
          await settled()
          assert.deepEqual(got(), ['agent-007'], 'no other softphone received anything')
          const phone = fleet.get('agent-007')
          assert.equal(phone.status, 'Offline')
          assert.equal(await ruleOf(phone.setState('Available')), 'CTI-4')

          mark = performance.now()
          await fault('ip-phone', 'up', 'phone-007')
          await settled()
          assert.deepEqual(got(), [], 'no event when it is back')
          const [row] = await softphones({phone: 'phone-007'})
          assert.equal(row.agentState, 'Logged Out')
          assert.equal(row.connection, 'connected')
          assert.equal((await phone.setState('Available')).state, 'Available')
        })

        it('CTI-5: a switch out of service: Offline to exactly the 50 softphones of its agents; back, they stay logged out until they sign in', async () => {
          const onSwitch = (await softphones({switch: 'switch-2'}))
            .filter((s) => s.connection !== 'disconnected')
            .map((s) => s.id)
            .sort()
          assert.equal(onSwitch.length, 50)
          await fault('switch', 'down', 'switch-2')
          await waitGot(50, 'Offline', 'CTI-5')
          await settled()
          assert.deepEqual(got(), onSwitch)
          assert.ok(fleet.phones.filter((p) => onSwitch.includes(p.id)).every((p) => p.count('Offline', mark) === 1))
          assert.equal(
            (await status()).clients.Offline,
            50,
            'the 3 free softphones of switch-2 are not connected: disconnected, not Offline',
          )

          mark = performance.now()
          await fault('switch', 'up', 'switch-2')
          await settled()
          assert.deepEqual(got(), [])
          const rows = await softphones({switch: 'switch-2'})
          assert.ok(rows.every((r) => r.agentState === 'Logged Out'))
          assert.ok(
            (await softphones({switch: 'switch-1'})).filter((r) => r.connection === 'connected').every((r) => r.agentState === 'Available'),
          )
          assert.equal((await fleet.get(onSwitch[0]).setState('Not Ready')).state, 'Not Ready')
        })

        it('CTI-1: the PG switching active side (or losing its standby side) affects nothing: no event to any softphone', async () => {
          await fault('pg', 'switch-side')
          await fault('pg', 'down', 'A')
          await fault('pg', 'down', 'B') // offline now: the control below
          await waitGot(PHONES, 'Offline', 'CTI-1')
          const firsts = fleet.phones.map((p) => p.received.find((r) => r.at >= mark)?.event)
          assert.ok(
            firsts.every((e) => e?.type === 'Offline' && e.rule === 'CTI-1'),
            'before the PG went offline, nothing reached any softphone',
          )
        })

        it('CTI-1, LOAD-2 (run time): the PG offline: Offline to every softphone, requests fail; back online, a snapshot to every one, agents Not Ready (/LOAD 0)', async () => {
          await fault('pg', 'down')
          await waitGot(PHONES, 'Offline', 'CTI-1')
          assert.deepEqual(got(), ids(1, PHONES))
          assert.equal(await ruleOf(fleet.get('agent-001').setState('Not Ready')), 'CTI-1')
          mark = performance.now()
          await fault('pg', 'up', 'B')
          await waitGot(PHONES, 'Snapshot', 'CTI-1')
          assert.ok(fleet.phones.every((p) => p.status === 'connected' && p.agent?.state === 'Not Ready'))
        })

        it('LOAD-1, CTI-1: the PG restart after a /LOAD change takes the PG offline for real: Offline to every softphone, then a snapshot', async () => {
          // What `ucctl load set` runs once the field is written (LOAD-1: the PG must restart).
          const op = await client.call('POST /v1/peripheral/restart')
          assert.equal(op.state, 'running')
          await waitGot(PHONES, 'Offline', 'CTI-1')
          await waitGot(PHONES, 'Snapshot', 'CTI-1')
          assert.deepEqual(got('Offline', 'CTI-1'), ids(1, PHONES))
          assert.ok(fleet.phones.every((p) => p.status === 'connected'))
        })

        it('CTI-2, LOAD-2 (run time): a CTI Server failure: CTI OS reconnects at once to the redundant one; no Offline, every agent set Not Ready (/LOAD 0)', async () => {
          await fault('cti-server', 'down', 'A')
          const s = await status()
          assert.equal(s.components.find((c) => c.component === 'cti-server')?.activeSide, 'B')
          await waitGot(PHONES, 'AgentState')
          assert.equal((await fleet.get('agent-010').setState('Available')).state, 'Available', 'requests still served')
          await settled()
          assert.deepEqual(got('Offline'), [])
          assert.ok(fleet.phones.every((p) => p.received.filter((r) => r.at >= mark).every((r) => r.event.type === 'AgentState')))
          assert.equal(fleet.get('agent-020').agent?.state, 'Not Ready')
        })

        it('CTI-2: no CTI Server: failure responses and Offline to every softphone; one back: a snapshot of agents, devices and calls to every one', async () => {
          await fleet.get('agent-002').setState('Talking')
          mark = performance.now()
          await fault('cti-server', 'down')
          await waitGot(PHONES, 'Offline', 'CTI-2')
          assert.deepEqual(got(), ids(1, PHONES))
          assert.equal(await ruleOf(fleet.get('agent-001').setState('Not Ready')), 'CTI-2')
          mark = performance.now()
          await fault('cti-server', 'up', 'A')
          await waitGot(PHONES, 'Snapshot', 'CTI-2')
          const snap = fleet.get('agent-002').received.find((r) => r.at >= mark && r.event.type === 'Snapshot')!.event
          assert.ok(snap.type === 'Snapshot')
          assert.deepEqual(snap.calls, [{agent: 'agent-002', phone: 'phone-002'}])
          assert.deepEqual(
            snap.devices.map((d) => d.device),
            ['phone-002', 'switch-2'],
          )
          const s = await status()
          assert.equal(s.lastSnapshot?.rule, 'CTI-2')
          assert.deepEqual(
            [s.lastSnapshot?.agents, s.lastSnapshot?.devices, s.lastSnapshot?.calls, s.lastSnapshot?.softphones],
            [AGENTS, AGENTS + 4, 1, PHONES],
          )
        })

        it('CTI-3: `ucctl ctios fault ctios-server down` kills CtiosServerNode with 200 softphones connected: 150 reconnect to the peer, exactly 50 get Offline, NodeManager restarts it, a snapshot follows', async () => {
          const pid = agent.nodeManager.status('CtiosServerNode').pid!
          const drops = new Map(fleet.phones.map((p) => [p.id, p.drops]))
          const r = await runCli(['ctios', 'fault', 'ctios-server', 'down', '--yes', '--json'], env)
          assert.equal(r.code, 0, r.stdout + r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(r.json.state, 'succeeded')
          assert.ok(r.stderr.includes(CTI6_WARNING), r.stderr)
          assert.equal(isAlive(pid), false)
          const now = agent.nodeManager.status('CtiosServerNode')
          assert.notEqual(now.pid, pid)
          assert.equal(now.restarts, 1)
          assert.ok(
            fleet.phones.every((p) => p.drops === drops.get(p.id)! + 1),
            'every softphone was disconnected once',
          )
          const toPeer = got('Connected').filter((id) => fleet.get(id).server === 'ctios-b')
          const offline = got('Offline', 'CTI-3')
          assert.equal(toPeer.length, PEER_CAPACITY)
          assert.equal(offline.length, PHONES - PEER_CAPACITY)
          assert.deepEqual([...toPeer, ...offline].sort(), ids(1, PHONES))
          await waitGot(PHONES - PEER_CAPACITY, 'Snapshot', 'CTI-3')
          assert.deepEqual(got('Snapshot'), offline, 'the snapshot goes to those that waited')
          assert.deepEqual(r.json.failover, {
            ...r.json.failover,
            disconnected: PHONES,
            reconnectedToPeer: PEER_CAPACITY,
            offline: PHONES - PEER_CAPACITY,
            snapshot: PHONES - PEER_CAPACITY,
          })
          const s = await status()
          assert.equal(s.clients.onPeer, PEER_CAPACITY)
          assert.equal(s.lastSnapshot?.rule, 'CTI-3')
        })

        it('CTI-3: the peer CTI OS server failing: its softphones are disconnected and reconnect to ctios-a', async () => {
          if (!fleet.phones.some((p) => p.server === 'ctios-b')) {
            // When run alone: a CTI OS server failure puts them on the peer first.
            process.kill(agent.nodeManager.status('CtiosServerNode').pid!, 'SIGKILL')
            await eventually(
              () => (fleet.phones.filter((p) => p.server === 'ctios-b').length === PEER_CAPACITY ? true : undefined),
              15_000,
              'softphones on the peer',
            )
            await online()
            mark = performance.now()
          }
          const onPeer = fleet.phones
            .filter((p) => p.server === 'ctios-b')
            .map((p) => p.id)
            .sort()
          await fault('peer', 'down')
          await waitGot(onPeer.length, 'Connected')
          assert.deepEqual(got('Connected'), onPeer)
          assert.ok(onPeer.every((id) => fleet.get(id).server === 'ctios-a'))
          assert.deepEqual(got('Offline'), [])
        })

        // A real SIGKILL with the peer down: every softphone waits Offline, then is re-logged in
        // automatically on the restarted server, Not Ready with the lab's /LOAD 0 (LOAD-2 run time;
        // CTI-7's table with /LOAD 1 is ctios-load.test.ts).
        const CTI7: Array<{agent: string; path: AgentStatus[]; after: AgentStatus}> = [
          {agent: 'agent-001', path: ['Available'], after: 'Not Ready'},
          {agent: 'agent-002', path: ['Not Ready'], after: 'Not Ready'},
          {agent: 'agent-003', path: ['Reserved'], after: 'Not Ready'},
          {agent: 'agent-004', path: ['Talking', 'Wrap-up'], after: 'Not Ready'},
          {agent: 'agent-005', path: ['Not Ready', 'Talking', 'Wrap-up'], after: 'Not Ready'},
          {agent: 'agent-006', path: ['Talking'], after: 'Talking'},
        ]
        it(`CTI-3, LOAD-2 (run time): a real SIGKILL of CtiosServerNode with the peer down: every softphone disconnected then Offline, a snapshot when NodeManager has restarted it; states: ${CTI7.map((c) => `${c.path.join('→')} ⇒ ${c.after}`).join('; ')}`, async () => {
          await fault('peer', 'down')
          await eventually(
            () => (fleet.phones.every((p) => p.server === 'ctios-a') ? true : undefined),
            15_000,
            'every softphone on ctios-a',
          )
          for (const c of CTI7) for (const s of c.path) await fleet.get(c.agent).setState(s)
          mark = performance.now()
          const pid = agent.nodeManager.status('CtiosServerNode').pid!
          process.kill(pid, 'SIGKILL')
          await waitGot(PHONES, 'Offline', 'CTI-3')
          assert.deepEqual(got('Offline', 'CTI-3'), ids(1, PHONES))
          assert.equal(await ruleOf(fleet.get('agent-010').setState('Not Ready')), 'CTI-3')
          await waitGot(PHONES, 'Snapshot', 'CTI-3')
          assert.notEqual(agent.nodeManager.status('CtiosServerNode').pid, pid)
          for (const c of CTI7) {
            const snap = fleet.get(c.agent).received.find((r) => r.at >= mark && r.event.type === 'Snapshot')!.event
            assert.ok(snap.type === 'Snapshot')
            assert.equal(snap.agent.state, c.after, `${c.agent}: ${c.path.join(' → ')}`)
          }
          const rows = new Map((await softphones()).map((r) => [r.id, r]))
          for (const c of CTI7) assert.equal(rows.get(c.agent)?.agentState, c.after)
        })

        it('CTI-6: an action clicked during a failover is buffered by the desktop and applied when the failover completes', async () => {
          await fault('cti-server', 'down')
          await waitGot(PHONES, 'Offline', 'CTI-2')
          const phone = fleet.get('agent-020')
          let answer: string | undefined
          const clicked = phone.setState('Not Ready', {buffer: true}).then((a) => (answer = a.state))
          // The later event: the agent answers a query sent after the click, and has applied nothing.
          assert.equal((await softphones({phone: 'phone-020'}))[0].agentState, 'Available')
          assert.equal(answer, undefined)
          await fault('cti-server', 'up')
          await clicked
          assert.equal(answer, 'Not Ready')
        })

        it('faults and their effects are events: the fault, the Offline to N softphones and the snapshot, with their rules', async () => {
          const since = new Date().toISOString()
          await fault('switch', 'down', 'switch-4')
          await fault('cti-server', 'down')
          await fault('cti-server', 'up')
          const events = await eventually(async () => {
            const {events} = await client.call('GET /v1/events', {query: {since}})
            return events.some((e) => e.type === 'CtiSnapshot') ? events : undefined
          })
          const offline = events.filter((e) => e.type === 'CtiOffline').map((e) => [e.data?.rule, e.data?.softphones])
          assert.deepEqual(offline, [
            ['CTI-5', 50],
            ['CTI-2', PHONES],
          ])
          assert.ok(events.some((e) => e.type === 'CtiFault' && e.data?.rule === 'CTI-5'))
          assert.match(
            events.find((e) => e.type === 'CtiSnapshot')!.message,
            new RegExp(`snapshot of ${AGENTS} agents, ${AGENTS + 4} devices, 0 calls; sent to ${PHONES}`),
          )
        })
      } else {
        describe('ucctl ctios', () => {
          it('CTI-6: `ctios fault switch down --yes` warns that agents must not click, delivers Offline, and answers an Operation', async () => {
            const r = await runCli(['ctios', 'fault', 'switch', 'down', 'switch-3', '--yes', '--json'], env)
            assert.equal(r.code, 0, r.stdout + r.stderr)
            assert.deepEqual(schemaProblems(r.json), [])
            assert.equal(r.json.kind, 'Operation')
            assert.ok(r.stderr.includes(CTI6_WARNING))
            assert.deepEqual(r.json.effects, [{send: 'Offline', rule: 'CTI-5', reason: 'switch switch-3 out of service', softphones: 50}])
            await waitGot(50, 'Offline', 'CTI-5')
          })

          it('CTI-1: `ctios fault pg switch-side` warns nothing and sends nothing', async () => {
            const r = await runCli(['ctios', 'fault', 'pg', 'switch-side', '--json'], env)
            assert.equal(r.code, 0, r.stdout + r.stderr)
            assert.equal(r.stderr.includes('CTI-6'), false)
            assert.match(r.json.transitions[0].message, /not affected \(CTI-1\)/)
            await settled()
            assert.deepEqual(got(), [])
          })

          it('CTI-1: switching the PG to a side that is down is refused (exit 5, rule named) and changes nothing', async () => {
            await fault('pg', 'down', 'B')
            const r = await runCli(['ctios', 'fault', 'pg', 'switch-side', '--json'], env)
            assert.equal(r.code, 5, r.stdout + r.stderr)
            assert.equal(r.json.error.rule, 'CTI-1')
            assert.equal((await status()).components[0].activeSide, 'A')
          })

          it('CTI-2: `ctios fault cti-server down --dry-run` shows the Offline to every softphone and changes nothing', async () => {
            const r = await runCli(['ctios', 'fault', 'cti-server', 'down', '--dry-run', '--json'], env)
            assert.equal(r.code, 0, r.stdout + r.stderr)
            assert.deepEqual(schemaProblems(r.json), [])
            assert.equal(r.json.kind, 'OperationPlan')
            assert.equal(r.json.failover, true)
            assert.deepEqual(r.json.rules, ['CTI-2'])
            assert.deepEqual(r.json.sends, [{send: 'Offline', rule: 'CTI-2', reason: 'no CTI Server', softphones: PHONES}])
            assert.equal((await status()).components[1].state, 'online')
            await settled()
            assert.deepEqual(got(), [])
          })

          it('CTI-6: a failover-causing fault without --yes and without a terminal refuses (exit 2) after the warning, and changes nothing', async () => {
            const r = await runCli(['ctios', 'fault', 'pg', 'down', '--json'], env)
            assert.equal(r.code, 2, r.stdout + r.stderr)
            assert.match(r.json.error.hint, /--yes/)
            assert.ok(r.stderr.includes(CTI6_WARNING))
            assert.equal((await status()).components[0].state, 'online')
          })

          const BAD = [
            {args: ['switch', 'down', 'switch-9'], code: 2, what: /no switch "switch-9"/},
            {args: ['switch', 'down'], code: 2, what: /which switch/},
            {args: ['router', 'down'], code: 2, what: /router/},
            {args: ['pg', 'sideways'], code: 2, what: /sideways/},
            {args: ['pg', 'down', 'C'], code: 2, what: /A or B/},
            {args: ['ctios-server', 'up'], code: 2, what: /NodeManager restarts/},
          ]
          for (const b of BAD) {
            it(`CTI-1..5: bad fault input is a clear exit ${b.code}: ctios fault ${b.args.join(' ')}`, async () => {
              const r = await runCli(['ctios', 'fault', ...b.args, '--yes', '--json'], env)
              assert.equal(r.code, b.code, r.stdout + r.stderr)
              assert.deepEqual(schemaProblems(r.json), [])
              assert.match(r.json.error.message, b.what)
            })
          }

          it('a viewer token may read the status but not inject a fault (exit 4)', async () => {
            const r = await runCli(['ctios', 'fault', 'switch', 'down', 'switch-1', '--yes', '--json'], {
              ...env,
              UCCTL_TOKEN: TEST_VIEWER_TOKEN,
            })
            assert.equal(r.code, 4, r.stdout + r.stderr)
            const s = await runCli(['ctios', 'status', '--json'], {...env, UCCTL_TOKEN: TEST_VIEWER_TOKEN})
            assert.equal(s.code, 0, s.stdout + s.stderr)
          })

          it('CTI-1..5: `ctios status` shows components, softphones and the last snapshot: a valid CtiosStatus; piped rows', async () => {
            await fault('switch', 'down', 'switch-1')
            const r = await runCli(['ctios', 'status', '--json'], env)
            assert.equal(r.code, 0, r.stdout + r.stderr)
            assert.deepEqual(schemaProblems(r.json), [])
            assert.equal(r.json.context, 'test')
            assert.deepEqual(r.json.clients, {
              softphones: AGENTS,
              connected: PHONES - 50,
              Offline: 50,
              disconnected: AGENTS - PHONES,
              onPeer: r.json.clients.onPeer,
            })
            const t = await runCli(['ctios', 'status'], env)
            const rows = t.stdout
              .trim()
              .split('\n')
              .map((l) => l.split('\t'))
            assert.deepEqual(rows.find((x) => x[1] === 'switch-1')?.slice(0, 3), ['switch', 'switch-1', 'out of service'])
            assert.deepEqual(rows[0].slice(0, 3), ['pg', 'PG', 'online'])
          })

          it('CTI-5: `ctios clients --switch switch-1 --connection Offline` lists exactly its Offline softphones: a valid SoftphoneList', async () => {
            await fault('switch', 'down', 'switch-1')
            const r = await runCli(['ctios', 'clients', '--switch', 'switch-1', '--connection', 'Offline', '--json'], env)
            assert.equal(r.code, 0, r.stdout + r.stderr)
            assert.deepEqual(schemaProblems(r.json), [])
            assert.equal(r.json.softphones.length, 50)
            assert.ok(r.json.softphones.every((s: SoftphoneRow) => s.switch === 'switch-1' && s.offline[0].rule === 'CTI-5'))
            const bad = await runCli(['ctios', 'clients', '--switch', 'switch-7', '--json'], env)
            assert.equal(bad.code, 2)
          })

          it('CTI-5: `ctios clients open` opens real softphones, logs them in, and prints what they receive as SoftphoneEvents lines until Ctrl-C; --duration closes them itself', async (t) => {
            const run = startCli(['ctios', 'clients', 'open', '--count', '10', '--every', '100', '--json'], env)
            t.after(() => run.child.kill('SIGKILL'))
            /** The documents printed so far (a line is whole once its newline is out). */
            const docs = (stdout: string) =>
              stdout
                .split('\n')
                .slice(0, -1)
                .map((l) => JSON.parse(l))
            const offline = (stdout: string) => docs(stdout).filter((d) => d.event === 'Offline')
            // The 10 free softphones are agent-201..210: switch-1 has 3 of them.
            await eventually(
              async () => ((await softphones({connection: 'connected'})).length === AGENTS ? true : undefined),
              15_000,
              'the simulator connected',
            )
            await eventually(
              async () => ((await softphones()).filter((s) => s.agentState === 'Available').length === AGENTS ? true : undefined),
              15_000,
              'logged in',
            )
            await fault('switch', 'down', 'switch-1')
            await eventually(
              () => (offline(run.stdout()).flatMap((d) => d.softphones).length >= 3 ? true : undefined),
              15_000,
              'the Offline of its 3 softphones on switch-1 printed',
            )
            run.child.kill('SIGINT')
            const r = await run.done
            assert.equal(r.code, 0, r.stdout + r.stderr)
            for (const d of docs(r.stdout)) assert.deepEqual(schemaProblems(d), [])
            assert.equal(
              docs(r.stdout)
                .filter((d) => d.event === 'Connected')
                .reduce((n, d) => n + d.count, 0),
              10,
            )
            assert.deepEqual(
              offline(r.stdout)
                .flatMap((d) => d.softphones)
                .sort(),
              ['agent-201', 'agent-205', 'agent-209'],
            )
            assert.equal(offline(r.stdout)[0].rule, 'CTI-5')
            assert.match(r.stderr, /closed 10 softphone/)
            await eventually(
              async () => ((await softphones({connection: 'disconnected'})).length === AGENTS - PHONES ? true : undefined),
              5000,
              'the simulator closed',
            )
            // Without Ctrl-C: --duration closes them after that many seconds.
            const timed = await runCli(['ctios', 'clients', 'open', '--count', '1', '--duration', '1', '--json'], env)
            assert.equal(timed.code, 0, timed.stdout + timed.stderr)
            assert.match(timed.stderr, /closed 1 softphone/)
            assert.equal(docs(timed.stdout).find((d) => d.event === 'Connected')?.count, 1)
          })
        })

        describe('softphone API input', () => {
          it('a second connection for a softphone is refused (409), unknown softphones are 404, bad states 400', async () => {
            const headers = {authorization: `Bearer ${TEST_OPERATOR_TOKEN}`}
            const dup = await fetch(`${agent.url}/v1/ctios/softphones/agent-001/events`, {headers})
            assert.equal(dup.status, 409)
            const unknown = await fetch(`${agent.url}/v1/ctios/softphones/agent-999/events`, {headers})
            assert.equal(unknown.status, 404)
            const bad = await fetch(`${agent.url}/v1/ctios/softphones/agent-001/state`, {
              method: 'POST',
              headers: {...headers, 'content-type': 'application/json'},
              body: JSON.stringify({state: 'Sleeping'}),
            })
            assert.equal(bad.status, 400)
            const extra = await fetch(`${agent.url}/v1/ctios/faults`, {
              method: 'POST',
              headers: {...headers, 'content-type': 'application/json'},
              body: JSON.stringify({component: 'pg', action: 'down', now: true}),
            })
            assert.equal(extra.status, 400)
            const none = await fetch(`${agent.url}/v1/ctios/softphones/agent-001/events`)
            assert.equal(none.status, 401)
          })
        })
      }
    })
})
