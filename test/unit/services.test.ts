import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {CTIOS_PROCESSES, planNodeRestart, planServiceAction, PRODUCT_SERVICES} from '../../src/lib/domain/services.js'

// SVC-1 as the document's table: process, has a console window.
const SVC1 = [
  ['CtiosServerNode', true],
  ['CTIOSTrace', false],
  ['NM', false],
  ['NMM', false],
] as const

describe('services (SVC-1..3)', () => {
  for (const [name, console] of SVC1) {
    it(`SVC-1: the CTI OS service has process ${name} (console window: ${console ? 'yes' : 'no'})`, () => {
      const p = CTIOS_PROCESSES.find((x) => x.name === name)
      assert.ok(p, `${name} missing`)
      assert.equal(p.console, console)
    })
  }

  it('SVC-1: the CTI OS service has exactly those four processes', () => {
    assert.deepEqual(
      CTIOS_PROCESSES.map((p) => p.name),
      SVC1.map(([n]) => n),
    )
    assert.equal(PRODUCT_SERVICES.ctios, CTIOS_PROCESSES)
  })

  it('SVC-3: every catalogued service starts Automatic (the recommended startup type)', () => {
    for (const list of Object.values(PRODUCT_SERVICES)) for (const s of list) assert.equal(s.startup, 'Automatic', s.name)
  })

  it('SVC-2: start of a Running service changes nothing', () => {
    const p = planServiceAction({name: 'NM', state: 'Running', startup: 'Automatic'}, 'start')
    assert.deepEqual(p.changes, [])
  })

  it('SVC-2: cycle is stop then start', () => {
    const p = planServiceAction({name: 'NM', state: 'Running', startup: 'Automatic'}, 'cycle')
    assert.equal(p.changes.length, 2)
    assert.match(p.changes[0], /Running → Stopping → Stopped/)
    assert.match(p.changes[1], /Stopped → Starting → Running/)
  })

  it('SVC-4: the plan of a stop says NodeManager will not restart it; SVC-3: an Automatic one returns with the host', () => {
    const auto = planServiceAction({name: 'CTIOSTrace', state: 'Running', startup: 'Automatic'}, 'stop')
    assert.ok(auto.rules.some((r) => r.startsWith('SVC-4')))
    assert.ok(auto.rules.some((r) => r.startsWith('SVC-3')))
    const manual = planServiceAction({name: 'CTIOSTrace', state: 'Running', startup: 'Manual'}, 'stop')
    assert.ok(!manual.rules.some((r) => r.startsWith('SVC-3')))
  })

  it('SVC-5: a node restart plan stops every running service in reverse order, then starts the Automatic ones in order (SVC-3)', () => {
    const plan = planNodeRestart([
      {name: 'CtiosServerNode', state: 'Running', startup: 'Automatic'},
      {name: 'CTIOSTrace', state: 'Running', startup: 'Manual'},
      {name: 'NM', state: 'Stopped', startup: 'Automatic'},
    ])
    assert.deepEqual(plan.changes, [
      'CTIOSTrace: Running → Stopped',
      'CtiosServerNode: Running → Stopped',
      'CtiosServerNode: Stopped → Running',
      'NM: Stopped → Running',
    ])
    assert.ok(plan.rules[0].startsWith('SVC-5'))
  })
})
