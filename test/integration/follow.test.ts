// Issue 10 on a real lab (agents as OS processes): events --follow across SIGKILL of an agent and
// `lab up` (exactly once, in order per node), and contexts (lab always one, --agent NODE=URL,
// --force, the lab's URLs kept across lab down / lab up).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'
import {labCredentials} from '../../src/lib/lab/launcher.js'
import {downAgentUrl, eventually} from '../helpers/agents.js'
import {BIN, runCli, schemaProblems} from '../helpers/cli.js'
import {labHome} from '../helpers/lab.js'

/** The two nodes the tests use (the default lab's seven would only make each lab up slower). */
const TOPOLOGY = `name: lab
timing: fast
nodes:
  - {name: cucm-pub, product: cucm, role: publisher, version: 8.6.2.10000-30, cluster: cucm1}
  - {name: ctios-a, product: ctios, role: publisher, version: '8.0', cluster: ctios1}
`

/** A lab of the test's own, up; stopped and removed after the test. */
async function labUp(t: TestContext): Promise<{home: string; env: Record<string, string>; urls: Record<string, string>}> {
  const {home, env} = labHome(t)
  const file = join(home, 'topology.yaml')
  writeFileSync(file, TOPOLOGY)
  const up = await runCli(['lab', 'up', '--topology', file, '--json'], env)
  assert.equal(up.code, 0, up.stderr)
  return {home, env, urls: Object.fromEntries(up.json.nodes.map((n: any) => [n.name, n.url]))}
}

// Each test has a lab of its own: they run at once.
describe('issue 10 on the lab: events --follow survives an agent restart; contexts', {concurrency: 2}, () => {
  it('events --follow --json across SIGKILL of ctios-a and lab up: every event once, in order per node', async (t) => {
    const {env} = await labUp(t)
    const pidOf = async (node: string): Promise<number> =>
      (await runCli(['lab', 'status', '--json'], env)).json.nodes.find((n: any) => n.name === node).pid
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

  it('contexts: lab is always one; --agent NODE=URL keeps an agent that is down (warning); an existing name needs --force; lab down/up keeps the URLs', async (t) => {
    const {home, env, urls} = await labUp(t)
    const list = await runCli(['context', 'list', '--json'], env)
    assert.deepEqual(schemaProblems(list.json), [])
    assert.deepEqual(
      list.json.contexts.map((c: any) => [c.name, c.current]),
      [['lab', true]],
    )
    const gone = await downAgentUrl()
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
