import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  connectionStopEffect,
  ctiosServerStopEffect,
  pgRestartEffect,
  presenceStopEffect,
  stopsService,
} from '../../src/lib/domain/effects.js'
import {sseParser} from '../../src/lib/client/sse.js'

describe('effects before they happen (domain)', () => {
  it("PRG-2, PRG-3: with HA on and the peer up, the node's users fail over to the peer, by the peer's SRM", () => {
    const e = presenceStopEffect({
      node: 'imp-pub',
      peer: 'imp-sub',
      services: ['Cisco Presence Engine'],
      users: 7500,
      haEnabled: true,
      peerUp: true,
    })
    assert.deepEqual(
      e.map((x) => x.rule),
      ['PRG-2', 'PRG-3'],
    )
    assert.match(e[0].message, /its 7500 user\(s\) fail over to imp-sub/)
    assert.match(e[1].message, /Server Recovery Manager of imp-sub performs the failover/)
  })

  it('PRG-9: with HA off nothing fails over: the users lose service', () => {
    const e = presenceStopEffect({
      node: 'imp-pub',
      peer: 'imp-sub',
      services: ['Cisco SIP Proxy'],
      users: 10,
      haEnabled: false,
      peerUp: true,
    })
    assert.deepEqual(
      e.map((x) => x.rule),
      ['PRG-9'],
    )
    assert.match(e[0].message, /10 user\(s\) lose presence and IM/)
  })

  it('UC-10, UC-12: a critical service of the publisher while Primary: a status change; else degraded only', () => {
    const change = connectionStopEffect({
      server: 'cuc-pub',
      role: 'publisher',
      status: 'Primary',
      peer: 'cuc-sub',
      peerStatus: 'Secondary',
      services: ['Connection DB'],
    })
    assert.deepEqual(
      change.map((x) => x.rule),
      ['UC-10', 'UC-12'],
    )
    assert.match(change[0].message, /cuc-pub becomes Secondary and cuc-sub becomes Primary/)
    const degraded = connectionStopEffect({
      server: 'cuc-pub',
      role: 'publisher',
      status: 'Primary',
      peer: 'cuc-sub',
      peerStatus: 'Deactivated',
      services: ['Connection DB'],
    })
    assert.deepEqual(
      degraded.map((x) => x.rule),
      ['UC-10'],
    )
    assert.match(degraded[0].message, /becomes Secondary \(degraded\); the subscriber is Deactivated, so no server is Primary until one is/)
  })

  it('CTI-3, CTI-6: softphones reconnect to the peer up to its capacity, the rest get Offline; agents must not click', () => {
    const e = ctiosServerStopEffect({server: 'ctios-a', softphones: 30, peer: 'ctios-b', peerOnline: true, peerCapacity: 20})
    assert.deepEqual(
      e.map((x) => x.rule),
      ['CTI-3', 'CTI-6'],
    )
    assert.match(e[0].message, /30 softphone\(s\) of ctios-a are disconnected; 20 reconnect to ctios-b, 10 get Offline/)
    assert.equal(e[1].kind, 'warning')
    const offline = ctiosServerStopEffect({server: 'ctios-a', softphones: 5, peer: 'ctios-b', peerOnline: false, peerCapacity: 20})
    assert.match(offline[0].message, /0 reconnect to ctios-b \(offline\), 5 get Offline/)
  })

  it('CTI-1, CTI-6: a PG restart sends Offline to every softphone', () => {
    const e = pgRestartEffect({softphones: 12})
    assert.deepEqual(
      e.map((x) => x.rule),
      ['CTI-1', 'CTI-6'],
    )
    assert.match(e[0].message, /every one of the 12 softphone\(s\) gets an "Offline" event/)
  })

  it('SVC-5: a node restart stops every service; start stops none', () => {
    assert.equal(stopsService({type: 'node-restart'}, 'X'), true)
    assert.equal(stopsService({type: 'service', action: 'start', service: 'X'}, 'X'), false)
    assert.equal(stopsService({type: 'service', action: 'cycle', service: 'X'}, 'X'), true)
    assert.equal(stopsService({type: 'service', action: 'stop', service: 'Y'}, 'X'), false)
  })
})

describe('Server-Sent Events decoding', () => {
  it('a multi-byte character split across chunks stays whole (streaming UTF-8), with the frame id', () => {
    const got: Array<{data: unknown; id?: string}> = []
    const feed = sseParser((data, frame) => got.push({data, id: frame.id}))
    const bytes = Buffer.from('id: 7\nevent: event\ndata: {"message":"Ünïty – 東京 ✓"}\n\n', 'utf8')
    // Split inside every multi-byte character: one byte at a time.
    for (let i = 0; i < bytes.length; i++) feed(bytes.subarray(i, i + 1))
    assert.deepEqual(got, [{data: {message: 'Ünïty – 東京 ✓'}, id: '7'}])
  })
})
