// Issue 10 on a real lab (agents as OS processes): events --follow across SIGKILL of an agent and
// `lab up` (exactly once, in order per node), and contexts (lab always one, --agent NODE=URL,
// --force, the lab's URLs kept across lab down / lab up).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'
import {freePort, labCredentials} from '../../src/lib/lab/launcher.js'
import {eventually, tempDir} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems} from '../helpers/cli.js'

describe('issue 10 on the lab: events --follow survives an agent restart; contexts', () => {
  let home: string
  let env: Record<string, string>
  let urls: Record<string, string>

  before(async () => {
    home = tempDir()
    env = {UCCTL_HOME: home}
    const up = await runCli(['lab', 'up', '--json'], env)
    assert.equal(up.code, 0, up.stderr)
    urls = Object.fromEntries(up.json.nodes.map((n: any) => [n.name, n.url]))
  })

  after(async () => {
    await runCli(['lab', 'down', '--purge'], env)
    rmSync(home, {recursive: true, force: true})
  })

  const pidOf = async (node: string): Promise<number> =>
    (await runCli(['lab', 'status', '--json'], env)).json.nodes.find((n: any) => n.name === node).pid

  it('events --follow --json across SIGKILL of ctios-a and lab up: every event once, in order per node', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'events', '--follow', '--json', '--since', '10m', '--node', 'ctios-a', '--node', 'cucm-pub'],
      {env: {...process.env, NO_COLOR: '1', ...env}},
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
    const events = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    const seen =
      (node: string, pattern: RegExp, after = 0) =>
      () =>
        events()
          .slice(after)
          .some((e) => e.node === node && pattern.test(e.message))
          ? true
          : undefined
    try {
      await eventually(seen('ctios-a', /started/), 20_000, 'the backlog of ctios-a')
      assert.equal((await runCli(['service', 'cycle', 'CTIOSTrace', '--node', 'ctios-a'], env)).code, 0)
      await eventually(seen('ctios-a', /CTIOSTrace Starting → Running/), 20_000, 'the cycle streamed')
      process.kill(await pidOf('ctios-a'), 'SIGKILL')
      await eventually(() => (/ctios-a: event stream lost/.test(err) ? true : undefined), 20_000, 'the drop said on stderr')
      const mark = events().length
      assert.equal((await runCli(['service', 'cycle', 'Cisco Tftp', '--node', 'cucm-pub'], env)).code, 0)
      await eventually(seen('cucm-pub', /Cisco Tftp Starting → Running/, mark), 20_000, 'events of another node during the outage')
      assert.equal((await runCli(['lab', 'up'], env)).code, 0)
      await eventually(() => (/ctios-a: event stream back/.test(err) ? true : undefined), 30_000, 'the return said on stderr')
      const back = events().length
      assert.equal((await runCli(['service', 'cycle', 'CTIOSTrace', '--node', 'ctios-a'], env)).code, 0)
      await eventually(seen('ctios-a', /CTIOSTrace Starting → Running/, back), 20_000, 'events of the node after its restart')
    } finally {
      child.kill('SIGINT')
      await closed
    }
    const all = events()
    for (const doc of all) assert.deepEqual(schemaProblems(doc), [], JSON.stringify(doc))
    for (const node of ['ctios-a', 'cucm-pub']) {
      const seqs = all.filter((e) => e.node === node).map((e) => e.seq)
      // Contiguous sequence numbers: nothing lost, nothing twice, in order.
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `${node}: ${seqs.join(',')}`)
    }
    assert.ok(
      all.filter((e) => e.node === 'ctios-a' && e.type === 'AgentStarted').length >= 2,
      "the restarted agent's own events, after those of its first start",
    )
  })

  it('contexts: lab is always one; --agent NODE=URL keeps an agent that is down (warning); an existing name needs --force; lab down/up keeps the URLs', async () => {
    const list = await runCli(['context', 'list', '--json'], env)
    assert.deepEqual(schemaProblems(list.json), [])
    assert.deepEqual(
      list.json.contexts.map((c: any) => [c.name, c.current]),
      [['lab', true]],
    )
    const gone = `http://127.0.0.1:${await freePort()}`
    const add = await runCli(['context', 'add', 'prod', '--agent', `ctios-a=${urls['ctios-a']}`, '--agent', `gone=${gone}`, '--json'], env)
    assert.equal(add.code, 0, add.stdout + add.stderr)
    assert.deepEqual(schemaProblems(add.json), [])
    assert.deepEqual(
      add.json.nodes.map((n: any) => n.name),
      ['ctios-a', 'gone'],
    )
    assert.match(add.stderr, /warning: gone \(http:\/\/127\.0\.0\.1:\d+\) did not answer/)
    const unnamed = await runCli(['context', 'add', 'other', '--agent', gone, '--json'], env)
    assert.equal(unnamed.code, 7, 'an agent that neither answers nor is named cannot be stored')
    const again = await runCli(['context', 'add', 'prod', '--agent', urls['cucm-pub'], '--json'], env)
    assert.equal(again.code, 2, again.stdout)
    assert.match(again.json.error.hint, /--force/)
    const forced = await runCli(['context', 'add', 'prod', '--agent', urls['ctios-a'], '--agent', `gone=${gone}`, '--force', '--json'], env)
    assert.equal(forced.code, 0, forced.stdout)
    assert.equal((await runCli(['context', 'add', 'lab', '--agent', urls['ctios-a']], env)).code, 2)
    assert.equal((await runCli(['context', 'remove', 'lab'], env)).code, 2)
    const lab = await runCli(['status', '--context', 'lab', '--json'], env)
    assert.equal(lab.code, 0, lab.stdout)
    assert.equal(lab.json.context, 'lab')
    const token = {UCCTL_TOKEN: labCredentials({UCCTL_HOME: home})!.operator}
    const prod = await runCli(['status', '--context', 'prod', '--json'], {...env, ...token})
    assert.equal(prod.code, 0, prod.stdout)
    assert.equal(prod.json.nodes.find((n: any) => n.name === 'gone').error.code, 'Unreachable')
    // The lab keeps its URLs across lab down / lab up: a context made from them stays valid.
    assert.equal((await runCli(['lab', 'down'], env)).code, 0)
    const up = await runCli(['lab', 'up', '--json'], env)
    assert.equal(up.code, 0)
    assert.deepEqual(Object.fromEntries(up.json.nodes.map((n: any) => [n.name, n.url])), urls)
    const after = await runCli(['status', '--context', 'prod', '--json'], {...env, ...token})
    assert.equal(after.json.nodes.find((n: any) => n.name === 'ctios-a').health, 'ok')
    assert.equal((await runCli(['context', 'use', 'lab'], env)).code, 0)
  })
})
