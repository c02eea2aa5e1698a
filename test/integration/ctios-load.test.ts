// LOAD-2 and LOAD-5 as they act at run time (SPEC §9) against a real CTI OS agent with 100 real
// softphone connections: agent states are counted on the server and in what each softphone
// received, never read from a setting. The fault is a real SIGKILL of CtiosServerNode.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {eventually, startTestAgent, tempDir, TEST_OPERATOR_TOKEN, type TestAgent} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems, writeContext} from '../helpers/cli.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {RefusedError} from '../../src/lib/errors.js'
import {SoftphoneFleet} from '../../src/lib/lab/softphones.js'
import type {AgentStatus, Component, FaultAction} from '../../src/lib/domain/cti-failover.js'

const PHONES = 100
const AGENTS = 110 // agent-101..110 are desktops of the LOAD-5 flows

describe('LOAD-2 and LOAD-5 at run time with 100 real softphones (ICM 6.0, CTI OS 6.0)', {concurrency: 2}, () => {
  // Two worlds, each its own agent and 100 softphones: the failovers and the desktops of LOAD-5 run
  // at once; within a world one test at a time (the concurrency is inherited).
  for (const part of ['failovers', 'desktops'] as const)
    describe(part, {concurrency: 1}, () => {
      let agent: TestAgent
      let client: AgentClient
      let fleet: SoftphoneFleet
      let home: string
      let env: Record<string, string>
      const extra: SoftphoneFleet[] = []

      const ids = (from: number, to: number) => Array.from({length: to - from + 1}, (_, i) => `agent-${String(from + i).padStart(3, '0')}`)
      const status = () => client.call('GET /v1/ctios')
      const rows = async () => new Map((await client.call('GET /v1/ctios/softphones')).softphones.map((r) => [r.id, r]))
      const fault = (component: Component, action: FaultAction, id?: string) =>
        client.call('POST /v1/ctios/faults', {body: {component, action, ...(id ? {id} : {})}})
      /** Server-side agent states of the fleet's 100 agents, counted. */
      const countStates = async () => {
        const r = await rows()
        const out: Record<string, number> = {}
        for (const id of ids(1, PHONES)) out[r.get(id)!.agentState] = (out[r.get(id)!.agentState] ?? 0) + 1
        return out
      }
      /** What the softphones themselves last saw, counted. */
      const countSeen = () => {
        const out: Record<string, number> = {}
        for (const p of fleet.phones) out[p.agent!.state] = (out[p.agent!.state] ?? 0) + 1
        return out
      }
      const online = () =>
        eventually(
          async () => ((await status()).components.find((c) => c.component === 'ctios-server')?.state === 'online' ? true : undefined),
          15_000,
          'the CTI OS server online',
        )
      /**
       * A real SIGKILL of CtiosServerNode; resolves when every softphone is back on the restarted
       * server: by its snapshot (it waited Offline), or connected after it was online again.
       */
      const killServer = async () => {
        const since = performance.now()
        process.kill(agent.nodeManager.status('CtiosServerNode').pid!, 'SIGKILL')
        const back = (p: (typeof fleet.phones)[number]) =>
          p.status === 'connected' && p.received.some((r) => r.at >= since && (r.event.type === 'Snapshot' || r.event.type === 'Connected'))
        await eventually(() => (fleet.phones.every(back) ? true : undefined), 30_000, 'every softphone re-established')
      }
      /** A desktop of its own (the agent's restarted desktop), refused or connected. */
      const desktop = async (id: string) => {
        const f = new SoftphoneFleet({url: agent.url, token: TEST_OPERATOR_TOKEN}, [id], {bufferDuringFailover: false})
        extra.push(f)
        await f.open()
        return f.get(id)
      }
      /**
       * A real desktop process (`ucctl ctios clients open --count 1`) logs its agent in; then it is
       * killed with SIGKILL (with a call in progress if asked): its connection dies with it.
       */
      const killedDesktop = async (call: boolean) => {
        const child = spawn(process.execPath, [BIN, 'ctios', 'clients', 'open', '--count', '1', '--duration', '600', '--json'], {
          env: {...process.env, ...env, NO_COLOR: '1'},
          stdio: 'ignore',
        })
        try {
          const id = await eventually(
            async () => {
              const r = [...(await rows()).values()].find(
                (x) => Number(x.id.slice(-3)) > PHONES && x.connection === 'connected' && x.agentState === 'Available',
              )
              return r?.id
            },
            15_000,
            'the desktop logged in',
          )
          if (call) await client.call('POST /v1/ctios/softphones/:id/state', {params: {id}, body: {state: 'Talking'}})
          return id
        } finally {
          child.kill('SIGKILL')
        }
      }
      const refusal = async (p: Promise<unknown>) => {
        const e = await p.then(
          () => undefined,
          (error: unknown) => error,
        )
        assert.ok(e instanceof RefusedError, `refused, not ${String(e)}`)
        return e
      }

      before(async () => {
        agent = await startTestAgent({
          name: 'ctios-a',
          version: '6.0',
          settings: {
            // LOAD-3: ICM 6.0 defaults to /LOAD 1, so it allows it; the field says /LOAD 0 (LOAD-1).
            peripheral: {
              configurationParameters: '/LOAD 0',
              icmVersion: '6.0',
              ctiosVersion: '6.0',
              upgradedFrom: null,
              rejectIfAlreadyLoggedIn: 0,
            },
            // No room on the peer: every softphone waits Offline and comes back on the restarted server.
            ctios: {agents: AGENTS, switches: 2, peer: {name: 'ctios-b', capacity: 0}},
          },
          timing: {ctiosServerOnlineMs: 1500},
        })
        client = new AgentClient({name: 'ctios-a', url: agent.url})
        await online()
        fleet = new SoftphoneFleet({url: agent.url, token: TEST_OPERATOR_TOKEN}, ids(1, PHONES), {bufferDuringFailover: false})
        await fleet.open()
        // LOAD-5's tests start with the fleet's agents logged in (each failover test logs them in itself).
        if (part === 'desktops') await fleet.login('Available')
        home = tempDir()
        writeContext(home, 'test', [{name: 'ctios-a', url: agent.url}])
        env = {UCCTL_HOME: home}
      })
      after(async () => {
        for (const f of extra) f.close()
        fleet?.close()
        await agent?.dispose()
        if (home) rmSync(home, {recursive: true, force: true})
      })

      if (part === 'failovers') {
        it('LOAD-2 (run time): 100 softphones Available with /LOAD 0, SIGKILL of CtiosServerNode → after reconnection all 100 are Not Ready', async () => {
          await fleet.login('Available')
          assert.deepEqual(await countStates(), {Available: PHONES})
          assert.equal((await status()).afterFailover.rule, 'LOAD-2')
          await killServer()
          assert.deepEqual(await countStates(), {'Not Ready': PHONES}, 'on the server')
          assert.deepEqual(countSeen(), {'Not Ready': PHONES}, 'in what each softphone received')
        })

        it('LOAD-2 (run time): the PG offline then online: the snapshot sets every agent Not Ready (/LOAD 0)', async () => {
          await fleet.login('Available')
          await fault('pg', 'down')
          await fault('pg', 'up')
          await eventually(async () => ((await countStates())['Not Ready'] === PHONES ? true : undefined), 5000, 'all Not Ready')
          await eventually(() => (countSeen()['Not Ready'] === PHONES ? true : undefined), 5000, 'every softphone shows Not Ready')
        })

        it('LOAD-2 (run time): a CTI-2 reconnect to the redundant CTI Server sets every agent Not Ready, each softphone told (/LOAD 0)', async () => {
          await fleet.login('Available')
          await fault('cti-server', 'down', 'A')
          await eventually(
            () =>
              fleet.phones.every((p) => p.agent?.state === 'Not Ready' && p.received.at(-1)?.event.type === 'AgentState')
                ? true
                : undefined,
            5000,
            'AgentState Not Ready to all',
          )
          assert.deepEqual(await countStates(), {'Not Ready': PHONES})
          await fault('cti-server', 'up', 'A')
        })

        // CTI-7's table, through the same real SIGKILL once /LOAD 1 is in effect.
        const CTI7: Array<{agent: string; path: AgentStatus[]}> = [
          {agent: 'agent-002', path: ['Not Ready']},
          {agent: 'agent-003', path: ['Reserved']},
          {agent: 'agent-004', path: ['Talking', 'Wrap-up']},
          {agent: 'agent-005', path: ['Not Ready', 'Talking', 'Wrap-up']},
          {agent: 'agent-006', path: ['Talking']},
        ]
        it('LOAD-2 (run time), CTI-7: after `load set 1` on ICM 6.0 (allowed, LOAD-3) the same SIGKILL follows CTI-7: Available 97, Not Ready 2, Talking 1', async () => {
          const set = await runCli(['load', 'set', '1', '--yes', '--json'], env)
          assert.equal(set.code, 0, set.stdout + set.stderr)
          assert.deepEqual(schemaProblems(set.json), [])
          assert.match(set.stderr, /CTI-7/)
          assert.equal((await status()).afterFailover.agentState, 'CTI-7')
          await fleet.login('Available')
          for (const c of CTI7) for (const s of c.path) await fleet.get(c.agent).setState(s)
          await killServer()
          const expected = {Available: PHONES - 3, 'Not Ready': 2, Talking: 1}
          assert.deepEqual(await countStates(), expected)
          assert.deepEqual(countSeen(), expected)
          const r = await rows()
          assert.deepEqual(
            CTI7.map((c) => r.get(c.agent)?.agentState),
            ['Not Ready', 'Available', 'Available', 'Not Ready', 'Talking'],
          )
        })
      } else {
        it('LOAD-5 (run time): with 1, a second login with an agent ID already logged in is refused', async () => {
          const r = await runCli(['ctios', 'settings', '--reject-if-already-logged-in', '1', '--json'], env)
          assert.equal(r.code, 0, r.stdout + r.stderr)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(r.json.desktopConnectionProfile.rejectIfAlreadyLoggedIn, 1)
          const e = await refusal(desktop('agent-001'))
          assert.equal(e.rule, 'LOAD-5')
          assert.equal(fleet.get('agent-001').status, 'connected', 'the first desktop is untouched')
        })

        for (const call of [false, true]) {
          it(`LOAD-5 (run time): with 1, a desktop killed while its agent is logged in ${call ? 'with' : 'without'} a call: the agent stays logged in, the restarted desktop's login is refused until \`ctios agent logout\`, then it logs in by hand`, async () => {
            const id = await killedDesktop(call)
            const held = await eventually(
              async () => ((await status()).loggedInWithoutDesktop.includes(id) ? await rows() : undefined),
              5000,
              'the agent held',
            )
            assert.equal(held.get(id)?.agentState, call ? 'Talking' : 'Available', 'still logged in on the server')
            assert.equal((await refusal(desktop(id))).rule, 'LOAD-5', 'the restarted desktop is refused')

            const out = await runCli(['ctios', 'agent', 'logout', id, '--json'], env)
            assert.equal(out.code, 0, out.stdout + out.stderr)
            assert.deepEqual(schemaProblems(out.json), [])
            assert.equal(out.json.softphone.agentState, 'Logged Out')
            const again = await desktop(id)
            assert.equal(again.agent?.state, 'Logged Out', 'no automatic re-login')
            assert.equal((await again.setState('Available')).state, 'Available', 'logged in by hand')
            assert.equal((await status()).loggedInWithoutDesktop.includes(id), false)
            again.close()
            await client.call('POST /v1/ctios/agents/:id/logout', {params: {id}})
          })
        }

        it("LOAD-5 (run time): with 0 (ucctl's choice), the restarted desktop is re-logged in automatically, Not Ready as after any failover (/LOAD 0)", async () => {
          const r = await runCli(['ctios', 'settings', '--reject-if-already-logged-in', '0', '--json'], env)
          assert.equal(r.code, 0, r.stdout + r.stderr)
          const id = await killedDesktop(false)
          await eventually(async () => ((await rows()).get(id)?.connection === 'disconnected' ? true : undefined), 5000, 'the desktop gone')
          assert.equal((await status()).loggedInWithoutDesktop.length, 0)
          const again = await desktop(id)
          assert.equal(again.agent?.state, 'Not Ready' as AgentStatus)
          const c = again.received.find((x) => x.event.type === 'Connected')!.event
          assert.ok(c.type === 'Connected' && c.rule === 'LOAD-2')
        })

        it('LOAD-5: `ctios settings` shows the profile (valid CtiosSettings); a bad value is exit 2 and changes nothing', async () => {
          const bad = await runCli(['ctios', 'settings', '--reject-if-already-logged-in', '2', '--json'], env)
          assert.equal(bad.code, 2, bad.stdout + bad.stderr)
          const r = await runCli(['ctios', 'settings', '--json'], env)
          assert.equal(r.code, 0)
          assert.deepEqual(schemaProblems(r.json), [])
          assert.equal(r.json.desktopConnectionProfile.rejectIfAlreadyLoggedIn, 0)
          const unknown = await runCli(['ctios', 'agent', 'logout', 'agent-999', '--json'], env)
          assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr)
        })
      }
    })
})
