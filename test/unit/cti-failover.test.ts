// SPEC §2 (CTI-1..7) as pure rules: a fault in, the new environment and exactly which softphones
// get which event out.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {RefusedError, UsageError} from '../../src/lib/errors.js'
import {
  type AgentStatus,
  applyFault,
  connectSoftphone,
  CTI7_TABLE,
  type CtiEnvironment,
  ctiosServerDown,
  ctiosServerOnline,
  disconnectSoftphone,
  type Effect,
  initialEnvironment,
  logoutAgent,
  LOGGED_OUT,
  offlineCauses,
  requestState,
  stateAfterFailover,
  type Transition,
} from '../../src/lib/domain/cti-failover.js'
import {causesFailover, planFault, softphoneConnection, softphoneEvent} from '../../src/lib/domain/cti-softphones.js'

const N = 12

/** 12 agents on 3 switches, every softphone connected to this node's server and logged in. */
function lab(opts: {capacity?: number; state?: AgentStatus; afterFailover?: CtiEnvironment['afterFailover']} = {}): CtiEnvironment {
  let env = initialEnvironment({
    node: 'ctios-a',
    agents: N,
    switches: 3,
    peer: {name: 'ctios-b', capacity: opts.capacity ?? N},
    afterFailover: opts.afterFailover,
  })
  for (const id of Object.keys(env.agents)) {
    env = connectSoftphone(env, id).env
    env = requestState(env, id, opts.state ?? 'Available').env
  }
  return env
}

const sent = (t: Transition, send: Effect['send']) =>
  t.effects
    .filter((e) => e.send === send)
    .flatMap((e) => e.softphones)
    .sort()
const all = (env: CtiEnvironment) => Object.keys(env.agents).sort()
const onSwitch = (env: CtiEnvironment, sw: string) =>
  Object.values(env.agents)
    .filter((a) => a.switch === sw)
    .map((a) => a.id)
    .sort()
const refusedRule = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof RefusedError, String(error))
    return error.rule
  }
  assert.fail('not refused')
}

describe('CTI OS failover of related components (SPEC §2)', () => {
  it('the environment: agents with their own IP phone, spread over the switches, nobody logged in', () => {
    const env = initialEnvironment({node: 'ctios-a', agents: 10, switches: 4, peer: {name: 'ctios-b', capacity: 10}})
    assert.equal(Object.keys(env.agents).length, 10)
    assert.equal(Object.keys(env.ipPhones).length, 10)
    assert.deepEqual(Object.keys(env.switches), ['switch-1', 'switch-2', 'switch-3', 'switch-4'])
    assert.deepEqual(env.agents['agent-01'], {
      id: 'agent-01',
      phone: 'phone-01',
      switch: 'switch-1',
      state: LOGGED_OUT,
      beforeCall: null,
      softphone: 'none',
    })
    assert.equal(env.agents['agent-10'].switch, 'switch-2')
  })

  it('CTI-1: the PG switching active side affects nothing: no effect, no event', () => {
    const env = lab()
    const t = applyFault(env, {component: 'pg', action: 'switch-side'})
    assert.deepEqual(t.effects, [])
    assert.equal(t.env.pg.active, 'B')
    assert.deepEqual(t.env.agents, env.agents)
    assert.equal(causesFailover(t), false)
    // The active side going down is a switch too.
    const down = applyFault(t.env, {component: 'pg', action: 'down', id: 'B'})
    assert.deepEqual(down.effects, [])
    assert.equal(down.env.pg.active, 'A')
    assert.match(down.message, /not affected \(CTI-1\)/)
  })

  it('CTI-1: switching to a side that is down is refused: it would take the PG offline', () => {
    const env = applyFault(lab(), {component: 'pg', action: 'down', id: 'B'}).env
    assert.equal(
      refusedRule(() => applyFault(env, {component: 'pg', action: 'switch-side'})),
      'CTI-1',
    )
  })

  it('CTI-1, LOAD-2 (run time): the PG offline: Offline to every softphone; back online, a snapshot, agents Not Ready with /LOAD 0', () => {
    const env = lab()
    const t = applyFault(env, {component: 'pg', action: 'down'})
    assert.deepEqual(sent(t, 'Offline'), all(env))
    assert.equal(t.effects[0].rule, 'CTI-1')
    assert.equal(softphoneConnection(t.env, t.env.agents['agent-01']), 'Offline')
    assert.equal(
      refusedRule(() => requestState(t.env, 'agent-01', 'Not Ready')),
      'CTI-1',
    )
    const up = applyFault(t.env, {component: 'pg', action: 'up', id: 'A'})
    assert.deepEqual(sent(up, 'Snapshot'), all(env))
    assert.equal(up.env.agents['agent-01'].state, 'Not Ready')
    assert.equal(softphoneEvent(up.env, up.effects[0], 'agent-01')?.agent.state, 'Not Ready', 'the snapshot says so')
    assert.match(up.message, /12 agent\(s\) set Not Ready \(LOAD-2\)/)
    const withLoad1 = applyFault(applyFault(lab({afterFailover: 'CTI-7'}), {component: 'pg', action: 'down'}).env, {
      component: 'pg',
      action: 'up',
    })
    assert.equal(withLoad1.env.agents['agent-01'].state, 'Available', 'with /LOAD 1 the snapshot re-establishes the state')
  })

  it('CTI-2, LOAD-2 (run time): CTI OS reconnects at once to the redundant CTI Server; with /LOAD 0 every agent is set Not Ready and told', () => {
    const t = applyFault(lab(), {component: 'cti-server', action: 'down', id: 'A'})
    assert.equal(t.env.ctiServers.active, 'B')
    assert.match(t.message, /reconnected at once to the redundant CTI Server B \(CTI-2\)/)
    assert.deepEqual(sent(t, 'AgentState'), all(t.env))
    assert.equal(t.effects[0].rule, 'LOAD-2')
    assert.ok(Object.values(t.env.agents).every((a) => a.state === 'Not Ready'))
    assert.equal(causesFailover(t), false)
  })

  it('CTI-2: with /LOAD 1 in effect the reconnect to the redundant CTI Server affects no softphone', () => {
    const t = applyFault(lab({afterFailover: 'CTI-7'}), {component: 'cti-server', action: 'down', id: 'A'})
    assert.deepEqual(t.effects, [])
    assert.ok(Object.values(t.env.agents).every((a) => a.state === 'Available'))
  })

  it('LOAD-2 (run time): after a CTI OS server failover with /LOAD 0 every logged-in agent is Not Ready; a call stays on its phone, Not Ready after it; logged out stays out', () => {
    let env = lab()
    env = requestState(env, 'agent-02', 'Talking').env
    env = requestState(env, 'agent-03', 'Reserved').env
    env = requestState(env, 'agent-04', 'Logged Out').env
    env = ctiosServerDown(env, 'local').env
    for (const id of ['agent-01', 'agent-02', 'agent-03', 'agent-04']) env = connectSoftphone(env, id).env
    assert.deepEqual(
      ['agent-01', 'agent-02', 'agent-03', 'agent-04'].map((id) => env.agents[id].state),
      ['Not Ready', 'Talking', 'Not Ready', LOGGED_OUT],
    )
    assert.equal(env.agents['agent-02'].beforeCall, 'Not Ready')
  })

  it('LOAD-5 (run time): with RejectIfAlreadyLoggedIn 1 a desktop gone while logged in holds the agent; its login is refused until a supervisor logs it out', () => {
    let env: CtiEnvironment = {...lab(), rejectIfAlreadyLoggedIn: 1}
    env = disconnectSoftphone(env, 'agent-01').env
    assert.equal(env.agents['agent-01'].desktopCrashed, true)
    assert.equal(env.agents['agent-01'].state, 'Available')
    assert.equal(
      refusedRule(() => connectSoftphone(env, 'agent-01')),
      'LOAD-5',
    )
    const out = logoutAgent(env, 'agent-01')
    assert.equal(out.env.agents['agent-01'].state, LOGGED_OUT)
    const back = connectSoftphone(out.env, 'agent-01')
    assert.equal(back.env.agents['agent-01'].state, LOGGED_OUT, 'logs in by hand')
    // With 0, the same crash leaves nothing held: the desktop is re-logged in (Not Ready, /LOAD 0).
    const zero = disconnectSoftphone(lab(), 'agent-01').env
    assert.equal(zero.agents['agent-01'].desktopCrashed, undefined)
    assert.equal(connectSoftphone(zero, 'agent-01').env.agents['agent-01'].state, 'Not Ready')
  })

  it('CTI-2: no CTI Server: requests get a failure response, every softphone gets Offline; one back: snapshot of agents, devices and calls', () => {
    let env = lab()
    env = requestState(env, 'agent-02', 'Talking').env
    const t = applyFault(env, {component: 'cti-server', action: 'down'})
    assert.deepEqual(sent(t, 'Offline'), all(env))
    assert.ok(t.effects.every((e) => e.rule === 'CTI-2'))
    assert.equal(
      refusedRule(() => requestState(t.env, 'agent-01', 'Not Ready')),
      'CTI-2',
    )
    const back = applyFault(t.env, {component: 'cti-server', action: 'up', id: 'B'})
    assert.deepEqual(sent(back, 'Snapshot'), all(env))
    assert.equal(back.env.ctiServers.active, 'B')
    const snap = softphoneEvent(back.env, back.effects[0], 'agent-02')
    assert.deepEqual(snap, {
      type: 'Snapshot',
      rule: 'CTI-2',
      server: 'ctios-a',
      agent: {id: 'agent-02', state: 'Talking', phone: 'phone-02', switch: 'switch-2'},
      devices: [
        {device: 'phone-02', kind: 'IP phone', inService: true},
        {device: 'switch-2', kind: 'switch', inService: true},
      ],
      calls: [{agent: 'agent-02', phone: 'phone-02'}],
    })
  })

  it('CTI-3: a CTI OS server failure disconnects all its softphones; they reconnect to the peer while it has room, the others get Offline', () => {
    const env = lab({capacity: 8})
    const t = ctiosServerDown(env, 'local')
    assert.deepEqual(sent(t, 'Disconnect'), all(env))
    let after = t.env
    const outcomes: Transition[] = []
    for (const id of all(env)) {
      const c = connectSoftphone(after, id)
      after = c.env
      outcomes.push(c)
    }
    const connected = outcomes.filter((c) => c.effects.some((e) => e.send === 'Connected'))
    const offline = outcomes.filter((c) => c.effects.some((e) => e.send === 'Offline' && e.rule === 'CTI-3'))
    assert.equal(connected.length, 8)
    assert.equal(offline.length, N - 8)
    assert.ok(Object.values(after.agents).filter((a) => a.softphone === 'peer').length === 8)
    assert.equal(
      refusedRule(() => requestState(after, offline[0].effects[0].softphones[0], 'Not Ready')),
      'CTI-3',
    )
    // NodeManager restarted it: the waiting softphones move onto it and get the snapshot.
    const back = ctiosServerOnline(after, 'local')
    assert.deepEqual(sent(back, 'Snapshot'), offline.map((c) => c.effects[0].softphones[0]).sort())
    assert.equal(back.effects[0].rule, 'CTI-3')
    assert.equal(Object.values(back.env.agents).filter((a) => a.softphone === 'local').length, N - 8)
  })

  it('CTI-3: with the peer down too, every softphone of the failed server gets Offline (dry run of the fault)', () => {
    const env = applyFault(lab(), {component: 'peer', action: 'down'}).env
    const plan = planFault(env, {component: 'ctios-server', action: 'down'})
    assert.deepEqual(sent(plan, 'Disconnect'), all(env))
    assert.deepEqual(sent(plan, 'Offline'), all(env))
    assert.equal(causesFailover(plan), true)
    assert.equal(env.ctios.local.online, true, 'a dry run changes nothing')
  })

  it('CTI-3: the peer failing sends its softphones back to this server when it is online', () => {
    let env = ctiosServerDown(lab(), 'local').env
    for (const id of all(env)) env = connectSoftphone(env, id).env
    env = ctiosServerOnline(env, 'local').env
    const t = applyFault(env, {component: 'peer', action: 'down'})
    assert.deepEqual(sent(t, 'Disconnect'), all(env))
    const c = connectSoftphone(t.env, 'agent-01')
    assert.equal(c.env.agents['agent-01'].softphone, 'local')
  })

  it('CTI-4: an IP phone out of service: Offline to exactly its softphone; back in service the agent stays logged out until it logs in', () => {
    const env = lab()
    const t = applyFault(env, {component: 'ip-phone', action: 'down', id: 'phone-05'})
    assert.deepEqual(t.effects, [{send: 'Offline', softphones: ['agent-05'], rule: 'CTI-4', reason: 'IP phone phone-05 out of service'}])
    assert.equal(t.env.agents['agent-05'].state, LOGGED_OUT)
    assert.equal(t.env.agents['agent-06'].state, 'Available')
    assert.equal(
      refusedRule(() => requestState(t.env, 'agent-05', 'Available')),
      'CTI-4',
    )
    const back = applyFault(t.env, {component: 'ip-phone', action: 'up', id: 'phone-05'})
    assert.deepEqual(back.effects, [], 'no event on return')
    assert.equal(back.env.agents['agent-05'].state, LOGGED_OUT)
    assert.equal(softphoneConnection(back.env, back.env.agents['agent-05']), 'connected')
    assert.equal(requestState(back.env, 'agent-05', 'Available').env.agents['agent-05'].state, 'Available')
  })

  it('CTI-5: a switch out of service: Offline to exactly the softphones of its agents; back, they must sign in again', () => {
    const env = lab()
    const t = applyFault(env, {component: 'switch', action: 'down', id: 'switch-2'})
    assert.deepEqual(sent(t, 'Offline'), onSwitch(env, 'switch-2'))
    assert.equal(sent(t, 'Offline').length, N / 3)
    assert.equal(t.effects[0].rule, 'CTI-5')
    assert.deepEqual(offlineCauses(t.env, t.env.agents['agent-02']), [{rule: 'CTI-5', reason: 'switch switch-2 out of service'}])
    const back = applyFault(t.env, {component: 'switch', action: 'up', id: 'switch-2'})
    assert.deepEqual(back.effects, [])
    for (const id of onSwitch(env, 'switch-2')) assert.equal(back.env.agents[id].state, LOGGED_OUT)
    for (const id of onSwitch(env, 'switch-1')) assert.equal(back.env.agents[id].state, 'Available')
    assert.match(back.message, /stay logged out until they log in again \(CTI-5\)/)
  })

  it('CTI-4, CTI-5: only connected softphones get the event; a disconnected one finds Offline when it connects', () => {
    const env = disconnectSoftphone(lab(), 'agent-03').env
    const t = applyFault(env, {component: 'switch', action: 'down', id: 'switch-3'})
    assert.ok(!sent(t, 'Offline').includes('agent-03'))
    const c = connectSoftphone(t.env, 'agent-03')
    assert.deepEqual(
      c.effects.map((e) => `${e.send} ${e.rule ?? ''}`),
      ['Connected ', 'Offline CTI-5'],
    )
  })

  it('CTI-6: faults that make softphones fail over are told apart from harmless ones', () => {
    const env = lab()
    assert.equal(causesFailover(applyFault(env, {component: 'pg', action: 'switch-side'})), false)
    assert.equal(causesFailover(applyFault(env, {component: 'switch', action: 'up', id: 'switch-1'})), false)
    assert.equal(causesFailover(applyFault(env, {component: 'switch', action: 'down', id: 'switch-1'})), true)
    assert.equal(causesFailover(applyFault(env, {component: 'cti-server', action: 'down'})), true)
  })

  // CTI-7 as its table: state before the failover (and before the call) → after automatic re-login.
  const CTI7_CASES: Array<{before: AgentStatus; via?: AgentStatus[]; beforeCall: 'Available' | 'Not Ready' | null; after: AgentStatus}> = [
    {before: 'Available', beforeCall: null, after: 'Available'},
    {before: 'Not Ready', beforeCall: null, after: 'Not Ready'},
    {before: 'Reserved', via: ['Available', 'Reserved'], beforeCall: 'Available', after: 'Available'},
    {before: 'Wrap-up', via: ['Available', 'Talking', 'Wrap-up'], beforeCall: 'Available', after: 'Available'},
    {before: 'Wrap-up', via: ['Not Ready', 'Talking', 'Wrap-up'], beforeCall: 'Not Ready', after: 'Not Ready'},
  ]
  for (const row of CTI7_CASES) {
    it(`CTI-7: ${row.before}${row.via ? ` (before the call: ${row.beforeCall})` : ''} → ${row.after} after a CTI OS failover with automatic re-login`, () => {
      let env = lab({state: row.via?.[0] ?? row.before, afterFailover: 'CTI-7'})
      for (const s of row.via?.slice(1) ?? []) env = requestState(env, 'agent-01', s).env
      assert.equal(env.agents['agent-01'].state, row.before)
      assert.equal(env.agents['agent-01'].beforeCall, row.beforeCall)
      env = ctiosServerDown(env, 'local').env
      const c = connectSoftphone(env, 'agent-01')
      assert.equal(c.env.agents['agent-01'].state, row.after)
      assert.equal(c.env.agents['agent-01'].softphone, 'peer')
    })
  }

  it('CTI-7: the code table is the SPEC table; Talking (not in it) and Logged Out stay as they are', () => {
    assert.deepEqual(
      CTI7_TABLE.map((r) => `${r.before}${r.beforeCall ? `/${r.beforeCall}` : ''} → ${r.after}`),
      [
        'Available → Available',
        'Not Ready → Not Ready',
        'Reserved → Available',
        'Wrap-up/Available → Available',
        'Wrap-up/otherwise → Not Ready',
      ],
    )
    assert.equal(stateAfterFailover({state: 'Talking', beforeCall: 'Available'}), 'Talking')
    assert.equal(stateAfterFailover({state: LOGGED_OUT, beforeCall: null}), LOGGED_OUT)
    assert.equal(stateAfterFailover({state: 'Wrap-up', beforeCall: null}), 'Not Ready')
  })

  it('CTI-7: also after the softphones that waited (Offline) are moved onto the restarted server', () => {
    let env = applyFault(lab({afterFailover: 'CTI-7'}), {component: 'peer', action: 'down'}).env
    env = requestState(env, 'agent-04', 'Reserved').env
    env = ctiosServerDown(env, 'local').env
    env = connectSoftphone(env, 'agent-04').env
    assert.equal(env.agents['agent-04'].softphone, 'waiting')
    assert.equal(env.agents['agent-04'].state, 'Reserved')
    const back = ctiosServerOnline(env, 'local')
    assert.equal(back.env.agents['agent-04'].state, 'Available')
    assert.equal(softphoneEvent(back.env, back.effects[0], 'agent-04')?.type, 'Snapshot')
  })

  it('a logged-out agent may only log in (Available or Not Ready)', () => {
    let env = initialEnvironment({node: 'ctios-a', agents: 2, switches: 1, peer: {name: 'ctios-b', capacity: 2}})
    env = connectSoftphone(env, 'agent-1').env
    assert.throws(() => requestState(env, 'agent-1', 'Talking'), RefusedError)
    assert.equal(requestState(env, 'agent-1', 'Not Ready').env.agents['agent-1'].state, 'Not Ready')
    assert.equal(
      refusedRule(() => requestState(env, 'agent-2', 'Available')),
      'CTI-3',
      'not connected',
    )
  })

  it('bad fault input is a usage error naming what exists', () => {
    const env = lab()
    assert.throws(() => applyFault(env, {component: 'switch', action: 'down', id: 'switch-9'}), UsageError)
    assert.throws(() => applyFault(env, {component: 'switch', action: 'down'}), UsageError)
    assert.throws(() => applyFault(env, {component: 'ip-phone', action: 'switch-side', id: 'phone-01'}), UsageError)
    assert.throws(() => applyFault(env, {component: 'pg', action: 'down', id: 'C'}), UsageError)
    assert.throws(() => applyFault(env, {component: 'peer', action: 'down', id: 'ctios-z'}), UsageError)
    assert.throws(() => applyFault(env, {component: 'ctios-server', action: 'down'}), UsageError)
    assert.throws(() => connectSoftphone(env, 'agent-99'), UsageError)
  })

  it('a fault applied twice changes nothing the second time', () => {
    const once = applyFault(lab(), {component: 'switch', action: 'down', id: 'switch-1'})
    const twice = applyFault(once.env, {component: 'switch', action: 'down', id: 'switch-1'})
    assert.deepEqual(twice.effects, [])
    assert.equal(twice.env, once.env)
  })
})
