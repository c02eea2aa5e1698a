// NodeManager with real child processes and real signals (SVC-1..5).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import type {ServiceStatus} from '../../src/lib/agent/node-manager.js'
import {assertNotRestarted, DIES_AT_ONCE, eventually, IGNORES_SIGTERM, isAlive, startTestAgent, type TestAgent} from '../helpers/agents.js'

const status = (a: TestAgent, name: string): ServiceStatus => a.nodeManager.status(name)
const running = (a: TestAgent, name: string, notPid?: number | null) => {
  const s = status(a, name)
  return s.state === 'Running' && s.pid && s.pid !== notPid ? s : undefined
}

describe('NodeManager (SVC-1..5) with real processes', () => {
  let agent: TestAgent

  before(async () => {
    agent = await startTestAgent({extraServices: [DIES_AT_ONCE, IGNORES_SIGTERM]})
  })
  after(() => agent.dispose())

  it('SVC-1/SVC-3: the agent starts the four CTI OS processes (Automatic) as real OS processes', async () => {
    for (const name of ['CtiosServerNode', 'CTIOSTrace', 'NM', 'NMM']) {
      const s = await eventually(() => running(agent, name), 5000, `${name} Running`)
      assert.ok(isAlive(s.pid!), `${name} pid ${s.pid} is not a live process`)
    }
    assert.equal(status(agent, 'Crasher').state, 'Stopped', 'a Manual service does not start with the node')
  })

  it('SVC-4: SIGKILL of a process → NodeManager starts a new one, restarts = 1, last exit SIGKILL', async () => {
    const before = await eventually(() => running(agent, 'CtiosServerNode'))
    process.kill(before.pid!, 'SIGKILL')
    const after = await eventually(() => running(agent, 'CtiosServerNode', before.pid), 2000, 'new pid')
    assert.notEqual(after.pid, before.pid)
    assert.equal(after.restarts, 1)
    assert.equal(after.lastExit?.signal, 'SIGKILL')
    assert.equal(after.lastExit?.abnormal, true)
    assert.ok(isAlive(after.pid!))
  })

  it('SVC-4: closing the console window (SIGHUP) is an abnormal termination: restarted', async () => {
    const before = await eventually(() => running(agent, 'CtiosServerNode'))
    assert.equal(before.console, true)
    process.kill(before.pid!, 'SIGHUP')
    const after = await eventually(() => running(agent, 'CtiosServerNode', before.pid), 2000, 'restart after SIGHUP')
    assert.equal(after.lastExit?.signal, 'SIGHUP')
    assert.equal(after.restarts, before.restarts + 1)
  })

  it('SVC-4: a process stopped by the operator stays Stopped (not restarted)', async () => {
    const before = await eventually(() => running(agent, 'CTIOSTrace'))
    const from = agent.events.lastSeq()
    const s = await agent.nodeManager.stop('CTIOSTrace')
    assert.equal(s.state, 'Stopped')
    assert.equal(s.pid, null)
    assert.equal(isAlive(before.pid!), false)
    await assertNotRestarted(agent, 'CTIOSTrace', from, 'NM')
    assert.equal(status(agent, 'CTIOSTrace').restarts, 0)
    await agent.nodeManager.start('CTIOSTrace')
  })

  it('SVC-4: a process that dies at once hits the burst limit, is Failed, and an alarm is raised', async () => {
    const since = agent.events.list().at(-1)?.seq ?? 0
    await assert.rejects(agent.nodeManager.start('Crasher'), /could not be started/)
    const s = status(agent, 'Crasher')
    assert.equal(s.state, 'Failed')
    assert.equal(s.restarts, agent.config.timingValues.restartBurstLimit)
    assert.match(s.failure ?? '', /burst limit/)
    const alarms = agent.events.list({afterSeq: since}).filter((e) => e.type === 'Alarm' && e.service === 'Crasher')
    assert.equal(alarms.length, 1)
    assert.match(alarms[0].message, /ServiceFailed/)
  })

  it('SVC-2: stop is SIGTERM, then SIGKILL after the grace period', async () => {
    await agent.nodeManager.start('Stubborn')
    const pid = status(agent, 'Stubborn').pid!
    const t0 = Date.now()
    const s = await agent.nodeManager.stop('Stubborn')
    const took = Date.now() - t0
    assert.equal(s.state, 'Stopped')
    assert.equal(s.lastExit?.signal, 'SIGKILL')
    assert.equal(s.lastExit?.abnormal, false)
    assert.ok(took >= agent.config.timingValues.stopGraceMs - 50, `stopped after ${took} ms, before the grace period`)
    assert.equal(isAlive(pid), false)
  })

  it('SVC-2: cycle gives a new process', async () => {
    const before = await eventually(() => running(agent, 'NM'))
    const after = await agent.nodeManager.cycle('NM')
    assert.equal(after.state, 'Running')
    assert.notEqual(after.pid, before.pid)
    assert.equal(isAlive(before.pid!), false)
  })

  it('SVC-5: a node restart stops every service and starts the Automatic ones again, in order', async () => {
    await agent.nodeManager.setStartup('CTIOSTrace', 'Manual')
    const pids = Object.fromEntries(agent.nodeManager.list().map((s) => [s.name, s.pid]))
    const steps: string[] = []
    const after = await agent.nodeManager.restartNode((m) => steps.push(m))
    const byName = Object.fromEntries(after.map((s) => [s.name, s]))
    for (const name of ['CtiosServerNode', 'NM', 'NMM']) {
      assert.equal(byName[name].state, 'Running', name)
      assert.notEqual(byName[name].pid, pids[name], `${name} kept its pid`)
    }
    assert.equal(byName.CTIOSTrace.state, 'Stopped', 'a Manual service does not start with the host')
    const started = steps.filter((s) => s.endsWith('Running')).map((s) => s.split(' ')[0])
    assert.deepEqual(started, ['CtiosServerNode', 'NM', 'NMM'])
    await agent.nodeManager.setStartup('CTIOSTrace', 'Automatic')
    await agent.nodeManager.start('CTIOSTrace')
  })

  it('every state change is an event with a timestamp', () => {
    const changes = agent.events.list().filter((e) => e.type === 'ServiceState')
    assert.ok(changes.length > 10)
    for (const e of changes) {
      assert.ok(!Number.isNaN(Date.parse(e.time)), e.time)
      assert.match(e.message, / → /)
    }
  })
})

describe('NodeManager state survives the agent', () => {
  it('SVC-3/SVC-4: startup types and operator stops are durable across an agent restart', async () => {
    const first = await startTestAgent()
    await eventually(() => running(first, 'CTIOSTrace'))
    first.nodeManager.setStartup('NMM', 'Manual')
    await first.nodeManager.stop('CTIOSTrace')
    const pids = first.nodeManager
      .list()
      .map((s) => s.pid)
      .filter((p): p is number => p !== null)
    await first.dispose({keepState: true})
    for (const pid of pids) assert.equal(isAlive(pid), false, `child ${pid} outlived its agent's shutdown`)

    const second = await startTestAgent({stateDir: first.stateDir})
    try {
      await eventually(() => running(second, 'CtiosServerNode'))
      assert.equal(status(second, 'NMM').startup, 'Manual')
      assert.equal(status(second, 'NMM').state, 'Stopped')
      assert.equal(status(second, 'CTIOSTrace').state, 'Stopped', 'an operator stop survives an agent restart')
      const history = second.events.list()
      assert.ok(
        history.some((e) => e.type === 'AgentStopping'),
        'events of the first run are kept',
      )
    } finally {
      await second.dispose()
    }
  })
})

// SVC-4/5 (run time): a process that keeps dying is an unrecoverable fault: one NMM node
// restart, then Failed; both alarms are events.
describe('NMM escalation (SVC-5) with a real process that keeps dying', () => {
  let agent: TestAgent
  after(() => agent?.dispose())

  it('SVC-5: an Automatic process that keeps dying → NMM restarts the node once (alarm), the fault persists → Failed (alarm)', async () => {
    agent = await startTestAgent({extraServices: [{...DIES_AT_ONCE, startup: 'Automatic'}]})
    const failed = await eventually(
      () => (status(agent, 'Crasher').state === 'Failed' ? status(agent, 'Crasher') : undefined),
      20_000,
      'Crasher Failed',
    )
    const events = agent.events.list()
    const alarms = events.filter((e) => e.type === 'Alarm' && e.service === 'Crasher').map((e) => `${e.data?.alarm} ${e.data?.rule}`)
    assert.deepEqual(alarms, ['NodeRestart SVC-5', 'ServiceFailed SVC-5'])
    assert.equal(events.filter((e) => e.type === 'NodeRestart').length, 1, 'one node restart, by NMM')
    assert.match(failed.failure ?? '', /persists after NMM's node restart/)
    // The node restart was real: the other processes run in new processes, and stay up.
    const restarted = events.filter((e) => e.type === 'ServiceState' && e.service === 'CtiosServerNode' && e.data?.to === 'Stopped')
    assert.equal(restarted.length, 1)
    assert.ok(await eventually(() => running(agent, 'CtiosServerNode')))
    // The operation of the node restart is NMM's (an operation like the operator's).
    assert.ok(agent.operations.list().some((o) => o.action === 'restart' && o.state === 'succeeded'))
  })
})
