// Issue 13: --watch, service list over several nodes, names matched case-insensitively, -o,
// against real agents.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {after, before, describe, it} from 'node:test'
import {eventually, startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems, writeContext} from '../helpers/cli.js'

describe('CLI conventions against real agents (issue 13)', () => {
  let a: TestAgent
  let b: TestAgent
  const home = tempDir()
  const env = {UCCTL_HOME: home}

  before(async () => {
    a = await startTestAgent({name: 'ctios-a'})
    b = await startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'})
    writeContext(home, 'two', [
      {name: 'ctios-a', url: a.url},
      {name: 'cucm-pub', url: b.url},
      {name: 'gone', url: 'http://127.0.0.1:9'},
    ])
  })
  after(async () => {
    await a.dispose()
    await b.dispose()
  })

  it('service list over several nodes: a NODE column, the unreadable one marked and named on stderr, exit 0', async () => {
    const r = await runCli(['service', 'list', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.deepEqual(
      r.json.nodes.map((n: {name: string; error?: {code: string}}) => [n.name, n.error?.code]),
      [
        ['ctios-a', undefined],
        ['cucm-pub', undefined],
        ['gone', 'Unreachable'],
      ],
    )
    assert.ok(r.json.services.some((s: {node: string; name: string}) => s.node === 'cucm-pub' && s.name === 'Cisco CallManager'))
    assert.match(r.stderr, /could not read gone/)
    const tsv = await runCli(['service', 'list', '-n', 'ctios-a', '-n', 'cucm-pub'], env)
    assert.ok(tsv.stdout.split('\n').some((l) => l.startsWith('cucm-pub\tCisco CallManager\tRunning\t')))
    // One node: the list as before (a `node` field, no NODE column).
    const one = await runCli(['service', 'list', '-n', 'ctios-a', '--json'], env)
    assert.equal(one.json.node, 'ctios-a')
    assert.deepEqual(schemaProblems(one.json), [])
  })

  it('node and service names match case-insensitively when unambiguous; a near miss is suggested', async () => {
    const r = await runCli(['service', 'stop', 'ctiostrace', '--node', 'CTIOS-A', '--yes', '--json'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.json.service.name, 'CTIOSTrace')
    assert.equal(r.json.target.service, 'CTIOSTrace', 'the operation names the service as it is called')
    assert.equal((await runCli(['service', 'start', 'CTIOSTRACE', '-n', 'ctios-a', '--yes'], env)).code, 0)
    const miss = await runCli(['service', 'list', '-n', 'ctois-a', '--json'], env)
    assert.equal(miss.code, 2)
    assert.equal(miss.json.error.hint, 'did you mean ctios-a?')
    const svc = await runCli(['service', 'stop', 'CTIOSTrac', '-n', 'ctios-a', '--yes', '--json'], env)
    assert.equal(svc.code, 2)
    assert.equal(svc.json.error.hint, 'did you mean "CTIOSTrace"?')
  })

  it('-o yaml, -o name and -o json next to --json', async () => {
    const yaml = await runCli(['status', '-o', 'yaml'], env)
    assert.match(yaml.stdout, /^apiVersion: ucctl\/v1\nkind: NodeList\n/)
    const names = await runCli(['status', '-o', 'name'], env)
    assert.equal(names.stdout, 'ctios-a\ncucm-pub\ngone\n')
    const json = await runCli(['status', '-o', 'json'], env)
    assert.deepEqual(schemaProblems(json.json), [])
  })

  it('--watch [SECONDS] redraws until Ctrl-C, then exits 0 (with --json: one document a line)', async () => {
    for (const args of [
      ['status', '--watch', '1', '--json'],
      ['service', 'list', '-n', 'ctios-a', '--json', '--watch'],
    ]) {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: {...process.env, ...env, NO_COLOR: '1'},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
      await eventually(() => (out.split('\n').filter(Boolean).length >= 2 ? true : undefined), 15_000, `two frames of ${args.join(' ')}`)
      child.kill('SIGINT')
      assert.equal(await exited, 0, args.join(' '))
      const docs = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
      for (const d of docs) assert.deepEqual(schemaProblems(d), [])
    }
  })
})
