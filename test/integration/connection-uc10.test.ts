// UC-10 literally (SPEC §9, table 3-4 of seed 002) with two real Unity Connection agents: a
// critical service really stopped on the Primary publisher while the subscriber is Deactivated.
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually, startConnectionPair, tempDir, type TestAgent} from '../helpers/agents.js'
import {runCli, schemaProblems, writeContext} from '../helpers/cli.js'

describe('UC-10 (literal) with two real Unity Connection agents', () => {
  let pub: TestAgent
  let sub: TestAgent
  let home: string
  let env: Record<string, string>
  const status = async (a: TestAgent) => await new AgentClient({name: a.config.name, url: a.url}).call('GET /v1/cluster')
  const until = (p: string, s: string, what: string) =>
    eventually(async () => ((await status(pub)).status === p && (await status(sub)).status === s ? true : undefined), 20_000, what)

  before(async () => {
    ;({pub, sub} = await startConnectionPair())
    home = tempDir()
    writeContext(home, 't', [
      {name: 'cuc-pub', url: pub.url},
      {name: 'cuc-sub', url: sub.url},
    ])
    env = {UCCTL_HOME: home}
    await until('Primary', 'Secondary', 'a healthy cluster')
  })
  after(async () => {
    await Promise.all([pub?.dispose(), sub?.dispose()])
    if (home) rmSync(home, {recursive: true, force: true})
  })

  it('UC-10 (literal): subscriber Deactivated, a critical service stopped on the Primary publisher: it becomes Secondary, no server is Primary, `cluster status` says so and what to do', async () => {
    assert.equal((await runCli(['cluster', 'deactivate', 'cuc-sub', '--yes'], env)).code, 0)
    await until('Primary', 'Deactivated', 'deactivated')
    await pub.nodeManager.stop('Connection Notifier')
    await until('Secondary', 'Deactivated', 'no Primary')
    assert.deepEqual((await status(pub)).degraded, ['Connection Notifier'])
    const alarm = pub.events.list().find((e) => e.type === 'Alarm' && e.data?.rule === 'UC-10')
    assert.match(alarm?.message ?? '', /no server is Primary/)
    const st = await runCli(['cluster', 'status', '--json'], env)
    assert.equal(st.code, 0, st.stderr)
    assert.deepEqual(schemaProblems(st.json), [])
    assert.match(
      st.json.notes.find((n: string) => n.startsWith('UC-10')) ?? '',
      /no server is Primary.*start Connection Notifier on cuc-pub.*activate cuc-sub/,
      st.json.notes.join('\n'),
    )
    // What to do, done: the publisher is Primary again, then the subscriber comes back.
    await pub.nodeManager.start('Connection Notifier')
    await until('Primary', 'Deactivated', 'the publisher Primary again')
    assert.equal(
      (await runCli(['cluster', 'status', '--json'], env)).json.notes.some((n: string) => n.startsWith('UC-10')),
      false,
    )
    assert.equal((await runCli(['cluster', 'activate', 'cuc-sub'], env)).code, 0)
    await until('Primary', 'Secondary', 'activated')
  })
})
