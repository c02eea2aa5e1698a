// Lab network faults: real requests between real agents stop in both directions.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {startConnectionPair, tempDir, type TestAgent} from '../helpers/agents.js'
import {runCli, schemaProblems, writeContext} from '../helpers/cli.js'

describe('lab network faults (isolate / heal)', () => {
  let a: TestAgent
  let b: TestAgent
  let home: string
  before(async () => {
    ;({pub: a, sub: b} = await startConnectionPair())
    home = tempDir()
    writeContext(home, 't', [
      {name: 'cuc-pub', url: a.url},
      {name: 'cuc-sub', url: b.url},
    ])
  })
  after(async () => {
    await Promise.all([a.dispose(), b.dispose()])
    rmSync(home, {recursive: true, force: true})
  })

  it('isolate cuts both directions; heal restores them; the operator still reaches both agents', async () => {
    // The same clients a module gets from its AgentContext.
    const fromA = () => a.context.peer('cuc-sub').call('GET /v1/health')
    const fromB = () => b.context.peer('cuc-pub').call('GET /v1/health')
    await fromA()
    await fromB()
    const r = await runCli(['lab', 'isolate', 'cuc-pub', '--json'], {UCCTL_HOME: home})
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.deepEqual(r.json.isolatedFrom, ['cuc-sub'])
    await assert.rejects(fromA(), /network isolated/)
    await assert.rejects(fromB(), (e: Error) => e.name === 'UnreachableError')
    const status = await runCli(['status', '--json'], {UCCTL_HOME: home})
    assert.ok(
      status.json.nodes.every((n: any) => n.health === 'ok'),
      'operators are not peers: they still get in',
    )
    const healed = await runCli(['lab', 'heal', 'cuc-pub', '--json'], {UCCTL_HOME: home})
    assert.deepEqual(healed.json.isolatedFrom, [])
    await fromA()
    await fromB()
  })

  it('an unknown peer is exit 2 and changes nothing', async () => {
    const r = await runCli(['lab', 'isolate', 'cuc-pub', '--from', 'nobody'], {UCCTL_HOME: home})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /not peers of this node: nobody/)
    assert.deepEqual(a.context.faults.list(), [])
  })
})
