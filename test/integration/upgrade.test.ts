// Upgrades through ucctl against four real agents (Unified CM and IM and Presence publisher and
// subscriber, each other's peers): the plan, the standard upgrade of UPG-5 executed step by step,
// the same steps out of order refused, and runbooks validated offline against topology files.
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {freePort} from '../../src/lib/lab/launcher.js'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {AgentClient, closeClients} from '../../src/lib/client/agent-client.js'
import {ConflictError} from '../../src/lib/errors.js'
import {eventually, startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {ROOT, runCli, runCliInProcess, schemaProblems, writeContext} from '../helpers/cli.js'
import {REFRESH_STEPS, STANDARD_STEPS} from '../helpers/upgrade-orders.js'

const CUCM_OLD = '8.6.2.10000-30'
const IMP_OLD = '8.6.4.10000-10'
const CUCM_NEW = '9.0.1.10000-37'
const IMP_NEW = '9.0.1.10000-9'

const NODES = [
  {name: 'cucm-pub', product: 'cucm', role: 'publisher', version: CUCM_OLD},
  {name: 'cucm-sub', product: 'cucm', role: 'subscriber', version: CUCM_OLD},
  {name: 'imp-pub', product: 'imp', role: 'publisher', version: IMP_OLD},
  {name: 'imp-sub', product: 'imp', role: 'subscriber', version: IMP_OLD},
] as const
type NodeName = (typeof NODES)[number]['name']

const versionOf = (name: string) => (name.startsWith('cucm') ? CUCM_NEW : IMP_NEW)

/**
 * Four agents (Unified CM and IM and Presence, publisher and subscriber, each other's peers) and a
 * CTI OS one, with a ucctl context of them: started before the calling suite's tests, disposed after.
 */
function fourNodes() {
  const agents = new Map<NodeName, TestAgent>()
  const ports = new Map<NodeName, number>()
  let ctios: TestAgent
  const home = tempDir()
  const env = {UCCTL_HOME: home}
  const url = (n: NodeName) => `http://127.0.0.1:${ports.get(n)}`
  const client = (n: NodeName) => new AgentClient({name: n, url: url(n)})

  /** Starts (or restarts, keeping its state) one node, its peers being the three others. */
  async function start(name: NodeName, stateDir?: string): Promise<TestAgent> {
    const n = NODES.find((x) => x.name === name)!
    const agent = await startTestAgent({
      ...n,
      cluster: 'cucm1',
      port: ports.get(name),
      stateDir,
      peers: NODES.filter((p) => p.name !== name).map((p) => ({name: p.name, url: url(p.name)})),
      // cucm-pub's install outlasts step 1's checks of its running operation; the others' are only waited for.
      timing: {upgradeInstallMs: name === 'cucm-pub' ? 2000 : 500, switchVersionMs: 100},
    })
    agents.set(name, agent)
    return agent
  }

  before(async () => {
    for (const n of NODES) ports.set(n.name, await freePort())
    await Promise.all(NODES.map((n) => start(n.name)))
    ctios = await startTestAgent()
    writeContext(home, 'test', [...NODES.map((n) => ({name: n.name, url: url(n.name)})), {name: 'ctios-a', url: ctios.url}])
  })
  after(async () => {
    await Promise.all([...agents.values(), ctios].map((a) => a.dispose()))
    rmSync(home, {recursive: true, force: true})
  })

  return {
    agents,
    env,
    client,
    start,
    partitions: (n: NodeName) => client(n).call('GET /v1/partitions'),
    /** ucctl with the context of the four agents. */
    ucctl: (...args: string[]) => runCli(args, env),
  }
}

// Three suites that share nothing run side by side (each with its own agents, or none), each
// one's tests in order (a suite would inherit the concurrency of its parent).
describe('ucctl upgrade', {concurrency: 2}, () => {
  // The agents answer their peers through the same pools: closed once every suite is done.
  after(() => closeClients())

  describe('ucctl upgrade refused before step 1, against four real agents', {concurrency: false}, () => {
    const {agents, client, partitions, start, ucctl} = fourNodes()

    it('status shows the active partition as the version, with both partitions', async () => {
      const r = await ucctl('status', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      const pub = r.json.nodes.find((n: any) => n.name === 'imp-pub')
      assert.equal(pub.version, IMP_OLD)
      assert.deepEqual(pub.partitions, {active: IMP_OLD, inactive: null})
    })

    it('UPG-5: upgrade plan --to 9.0(1) reads the agents and prints the standard order, nothing done yet', async () => {
      const r = await ucctl('upgrade', 'plan', '--to', '9.0(1)', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.type, 'standard')
      assert.equal(r.json.rule, 'UPG-5')
      assert.deepEqual(
        r.json.steps.map(({done, ...s}: any) => s),
        STANDARD_STEPS,
      )
      assert.ok(r.json.steps.every((s: any) => s.done === false))
      const rows = (await ucctl('upgrade', 'plan', '--to', '9.0(1)')).stdout.trim().split('\n')
      assert.deepEqual(rows[1].split('\t'), ['2', 'upgrade', 'imp-pub, cucm-sub', 'no'], 'UPG-7: the nodes of a parallel step on one row')
    })

    it('UPG-4: a peer that does not answer refuses the upgrade, naming the peer; nothing changes', async () => {
      const impSub = agents.get('imp-sub')!
      await impSub.dispose({keepState: true})
      try {
        const r = await ucctl('node', 'upgrade', 'cucm-pub', '--version', CUCM_NEW, '--json')
        assert.equal(r.code, 5, r.stdout)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.equal(r.json.error.rule, 'UPG-4')
        assert.match(r.json.error.message, /peer imp-sub .* did not answer/)
        assert.equal((await partitions('cucm-pub')).inactive, null)
      } finally {
        await start('imp-sub', impSub.stateDir)
      }
    })

    it('UPG-3: IM and Presence before Unified CM has the release on a partition is refused, exit 5; nothing runs', async () => {
      const r = await ucctl('node', 'upgrade', 'imp-pub', '--version', IMP_NEW, '--json')
      assert.equal(r.code, 5, r.stdout)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.error.rule, 'UPG-3')
      assert.match(r.json.error.message, /Unified CM 9\.0\(1\) is on neither partition of cucm-pub/)
      const p = await partitions('imp-pub')
      assert.deepEqual([p.active, p.inactive, p.history, p.operation], [IMP_OLD, null, [], null])
      const events = (await ucctl('events', '--node', 'imp-pub', '--json')).json.events
      assert.ok(events.some((e: any) => e.type === 'UpgradeRefused' && e.data.rule === 'UPG-3'))
      assert.ok(!events.some((e: any) => e.type === 'UpgradeStarted'))
    })

    it('UPG-5: a CUCM subscriber before the CUCM publisher is refused (the text says which step)', async () => {
      const r = await ucctl('node', 'upgrade', 'cucm-sub', '--version', CUCM_NEW)
      assert.equal(r.code, 5)
      assert.match(r.stderr, /step 1 \(upgrade cucm-pub\) has not finished on cucm-pub \[UPG-5\]/)
    })

    it('UPG-1: a malformed version, or a release where a build is needed, is exit 2 naming the text', async () => {
      for (const bad of ['9.0.x.1', '9.0(1)']) {
        const r = await ucctl('node', 'upgrade', 'cucm-pub', '--version', bad, '--json')
        assert.equal(r.code, 2, r.stdout)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.ok(r.json.error.message.includes(`"${bad}"`), r.json.error.message)
      }
      const notHere = await ucctl('node', 'upgrade', 'ctios-a', '--version', CUCM_NEW, '--json')
      assert.equal(notHere.code, 2, notHere.stdout)
      assert.match(notHere.json.error.message, /only Unified CM and IM and Presence nodes have partitions/)
      // The agent checks its input too: a 400, never a 5xx.
      await assert.rejects(
        client('cucm-pub').raw('POST', '/v1/node/upgrade', {body: {version: CUCM_NEW, force: true}}),
        (e: any) => e.exitCode === 2,
      )
      await assert.rejects(
        client('cucm-pub').call('POST /v1/node/upgrade', {body: {version: 'nine'}}),
        (e: any) => e.exitCode === 2 && /"nine"/.test(e.message),
      )
    })

    it('UPG-5: --dry-run says which rules allow step 1 and changes nothing', async () => {
      const r = await ucctl('node', 'upgrade', 'cucm-pub', '--version', CUCM_NEW, '--dry-run', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.kind, 'OperationPlan')
      assert.deepEqual(r.json.changes, [`inactive partition: empty → ${CUCM_NEW}`])
      assert.match(r.json.rules[0], /^UPG-5: upgrade cucm-pub is step 1 of the standard upgrade/)
      assert.ok(r.json.rules.some((x: string) => x.startsWith('UPG-4: validated before anything runs')))
      assert.equal((await partitions('cucm-pub')).inactive, null)
    })
  })

  describe('ucctl upgrade against four real Unified CM and IM and Presence agents', {concurrency: false}, () => {
    const {agents, client, env, partitions, start, ucctl} = fourNodes()

    it('UPG-5 step 1: upgrade the CUCM publisher (one operation at a time: a second one is 409)', async () => {
      const r = await ucctl('node', 'upgrade', 'cucm-pub', '--version', CUCM_NEW, '--no-wait', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.state, 'running')
      await assert.rejects(client('cucm-pub').call('POST /v1/node/upgrade', {body: {version: CUCM_NEW}}), ConflictError)
      assert.equal((await partitions('cucm-pub')).operation?.id, r.json.id)
      const op = await eventually(
        async () => {
          const o = await client('cucm-pub').call('GET /v1/operations/:id', {params: {id: r.json.id}})
          return o.state === 'running' ? undefined : o
        },
        30_000,
        'the upgrade of cucm-pub',
      )
      assert.equal(op.state, 'succeeded')
      const messages = op.transitions.map((t: any) => t.message)
      assert.ok(messages.includes(`installing ${CUCM_NEW} on the inactive partition: 40%`), messages.join('\n'))
      assert.equal(messages.at(-1), `installing ${CUCM_NEW} on the inactive partition: 100%`)
      const p = await partitions('cucm-pub')
      assert.deepEqual([p.active, p.inactive, p.operation], [CUCM_OLD, CUCM_NEW, null])
      assert.equal(
        (await ucctl('status', '--json')).json.nodes.find((n: any) => n.name === 'cucm-pub').version,
        CUCM_OLD,
        'the active partition still runs',
      )
    })

    it('UPG-5: the IM and Presence subscriber before step 2 has finished is refused', async () => {
      const r = await ucctl('node', 'upgrade', 'imp-sub', '--version', IMP_NEW, '--json')
      assert.equal(r.code, 5)
      assert.equal(r.json.error.rule, 'UPG-5')
      assert.match(r.json.error.message, /step 2 \(upgrade imp-pub, cucm-sub\) has not finished on imp-pub, cucm-sub/)
    })

    it('UPG-7 step 2: IM and Presence publisher and CUCM subscriber upgraded in parallel', async () => {
      const [a, b] = await Promise.all([
        ucctl('node', 'upgrade', 'imp-pub', '--version', IMP_NEW, '--json'),
        ucctl('node', 'upgrade', 'cucm-sub', '--version', CUCM_NEW, '--json'),
      ])
      for (const r of [a, b]) {
        assert.equal(r.code, 0, r.stdout + r.stderr)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.equal(r.json.state, 'succeeded')
      }
      assert.equal(a.json.partitions.inactive, IMP_NEW)
      assert.equal(b.json.partitions.inactive, CUCM_NEW)
    })

    it('UPG-2: the IM and Presence subscriber must install exactly the first upgraded IM and Presence version', async () => {
      const r = await ucctl('node', 'upgrade', 'imp-sub', '--version', '9.0.1.10000-8', '--json')
      assert.equal(r.code, 5)
      assert.equal(r.json.error.rule, 'UPG-2')
      assert.match(r.json.error.message, /does not match 9\.0\.1\.10000-9 of the first upgraded IM and Presence node imp-pub/)
      assert.match(r.json.error.hint, /exactly 9\.0\.1\.10000-9/)
    })

    it('UPG-1: an IM and Presence version of another major.minor than the Unified CM one is refused', async () => {
      const r = await ucctl('node', 'upgrade', 'imp-sub', '--version', '9.1.1.10000-3', '--json')
      assert.equal(r.code, 5)
      assert.equal(r.json.error.rule, 'UPG-1')
    })

    it('UPG-5: switch version before every upgrade has finished is refused, services untouched', async () => {
      const before = agents
        .get('cucm-pub')!
        .nodeManager.list()
        .map((s) => s.pid)
      const r = await ucctl('node', 'switch-version', 'cucm-pub', '--yes', '--json')
      assert.equal(r.code, 5)
      assert.equal(r.json.error.rule, 'UPG-5')
      assert.match(r.json.error.hint, /upgrade imp-sub/)
      const s = await ucctl('node', 'switch-version', 'imp-pub', '--yes', '--json')
      assert.equal(s.code, 5)
      assert.equal(s.json.error.rule, 'UPG-5')
      assert.deepEqual(
        agents
          .get('cucm-pub')!
          .nodeManager.list()
          .map((x) => x.pid),
        before,
      )
      assert.equal((await partitions('cucm-pub')).active, CUCM_OLD)
    })

    it('UPG-5 step 3: the IM and Presence subscriber, with the version of the first one', async () => {
      const r = await ucctl('node', 'upgrade', 'imp-sub', '--version', IMP_NEW, '--json')
      assert.equal(r.code, 0, r.stdout)
      assert.equal(r.json.partitions.inactive, IMP_NEW)
    })

    it('switch-version asks for confirmation: without a terminal and without --yes it refuses (exit 2)', async () => {
      const r = await ucctl('node', 'switch-version', 'cucm-pub')
      assert.equal(r.code, 2)
      assert.match(r.stderr, /--yes/)
      assert.equal((await partitions('cucm-pub')).active, CUCM_OLD)
    })

    it('UPG-5 step 4: switch version of the CUCM publisher makes the new version active and restarts its services', async () => {
      const dry = await ucctl('node', 'switch-version', 'cucm-pub', '--dry-run', '--json')
      assert.equal(dry.code, 0, dry.stdout)
      assert.deepEqual(schemaProblems(dry.json), [])
      assert.match(dry.json.rules[0], /^UPG-5: switch-version cucm-pub is step 4/)
      const before = agents.get('cucm-pub')!.nodeManager.list()
      const r = await ucctl('node', 'switch-version', 'cucm-pub', '--yes', '--json')
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.deepEqual(r.json.partitions, {active: CUCM_NEW, inactive: CUCM_OLD})
      for (const s of r.json.services) {
        const old = before.find((x) => x.name === s.name)!
        if (old.pid !== null) assert.notEqual(s.pid, old.pid, `${s.name} restarted`)
      }
      const status = await ucctl('status', '--json')
      assert.equal(status.json.nodes.find((n: any) => n.name === 'cucm-pub').version, CUCM_NEW)
    })

    it('UPG-5 steps 5 and 6: the others switch in order; then every step of the plan is done', async () => {
      const five = await Promise.all([
        ucctl('node', 'switch-version', 'imp-pub', '--yes', '--json'),
        ucctl('node', 'switch-version', 'cucm-sub', '--yes', '--json'),
      ])
      for (const r of five) assert.equal(r.code, 0, r.stdout)
      const six = await ucctl('node', 'switch-version', 'imp-sub', '--yes', '--json')
      assert.equal(six.code, 0, six.stdout)
      for (const n of NODES) assert.equal((await partitions(n.name)).active, versionOf(n.name))

      const plan = await ucctl('upgrade', 'plan', '--to', '9.0(1)', '--json')
      assert.equal(plan.code, 0, plan.stderr)
      assert.equal(plan.json.type, 'standard', 'the type comes from the versions it upgraded from')
      assert.ok(plan.json.steps.every((s: any) => s.done === true))

      const again = await ucctl('node', 'switch-version', 'imp-sub', '--yes', '--json')
      assert.equal(again.code, 5)
      assert.match(again.json.error.message, /already switched version/)

      const events = (await ucctl('events', '--node', 'cucm-pub', '--json')).json.events.map((e: any) => e.type)
      for (const t of ['UpgradeStarted', 'UpgradeCompleted', 'SwitchVersionStarted', 'SwitchVersionCompleted'])
        assert.ok(events.includes(t), t)
    })

    it('the partitions and the history survive an agent restart', async () => {
      const pub = agents.get('cucm-pub')!
      await pub.dispose({keepState: true})
      await start('cucm-pub', pub.stateDir)
      const p = await partitions('cucm-pub')
      assert.deepEqual([p.active, p.inactive], [CUCM_NEW, CUCM_OLD])
      assert.deepEqual(
        p.history.map((h: any) => `${h.action} ${h.version}`),
        [`upgrade ${CUCM_NEW}`, `switch-version ${CUCM_NEW}`],
      )
      const r = await runCliInProcess(['node', 'upgrade', 'cucm-pub', '--version', CUCM_NEW, '--json'], env)
      assert.equal(r.code, 5)
      assert.match(r.json.error.message, /already upgraded/)
    })
  })

  describe('ucctl upgrade plan / validate offline, against topology files', {concurrency: false}, () => {
    let dir: string
    let standard: string
    let refresh: string
    const file = (name: string, text: string) => {
      const path = join(dir, name)
      writeFileSync(path, text)
      return path
    }
    const topology = (cucm: string, imp: string) =>
      [
        'name: site',
        'nodes:',
        `  - {name: cucm-pub, product: cucm, role: publisher, version: ${cucm}, cluster: cucm1}`,
        `  - {name: cucm-sub, product: cucm, role: subscriber, version: ${cucm}, cluster: cucm1}`,
        `  - {name: imp-pub, product: imp, role: publisher, version: ${imp}, cluster: cucm1}`,
        `  - {name: imp-sub, product: imp, role: subscriber, version: ${imp}, cluster: cucm1}`,
        "  - {name: ctios-a, product: ctios, role: publisher, version: '8.0', cluster: ctios1}",
        '',
      ].join('\n')
    const yamlSteps = (steps: ReadonlyArray<{number: number; action: string; nodes: readonly string[]}>) =>
      'to: 9.0(1)\nsteps:\n' +
      steps.map((s) => `  - {number: ${s.number}, action: ${s.action}, nodes: [${s.nodes.join(', ')}]}`).join('\n') +
      '\n'
    // No context and no lab: nothing here may need an agent.
    const offline = () => ({UCCTL_HOME: join(dir, 'home')})
    const validate = (plan: string, topo: string, input?: string) =>
      runCli(['upgrade', 'validate', '--plan', plan, '--topology', topo, '--json'], offline(), input)

    before(() => {
      dir = tempDir()
      standard = file('standard.yaml', topology(CUCM_OLD, IMP_OLD))
      refresh = file('refresh.yaml', topology('8.5.1.10000-26', '8.6.3.10000-20'))
    })
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('UPG-6: CUCM 8.5 with CUP 8.6(3) is a refresh upgrade: each group switches before the next upgrades', async () => {
      const r = await runCli(['upgrade', 'plan', '--to', '9.0(1)', '--topology', refresh, '--json'], offline())
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.type, 'refresh')
      assert.equal(r.json.rule, 'UPG-6')
      assert.deepEqual(
        r.json.steps.map(({done, ...s}: any) => s),
        REFRESH_STEPS,
      )
      assert.deepEqual(
        r.json.nodes.map((n: any) => n.name),
        ['cucm-pub', 'cucm-sub', 'imp-pub', 'imp-sub'],
        'only Unified CM and IM and Presence nodes',
      )
    })

    it('UPG-5: the default lab topology plans the standard upgrade offline', async () => {
      const r = await runCli(
        ['upgrade', 'plan', '--to', '9.0(1)', '--topology', join(ROOT, 'topologies', 'default.yaml'), '--json'],
        offline(),
      )
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.json.type, 'standard')
    })

    it('UPG-5: the documented runbook passes (YAML file); its own plan passes too (JSON on stdin)', async () => {
      const good = await validate(file('good.yaml', yamlSteps(STANDARD_STEPS)), standard)
      assert.equal(good.code, 0, good.stdout + good.stderr)
      assert.deepEqual(schemaProblems(good.json), [])
      assert.deepEqual([good.json.ok, good.json.findings], [true, []])

      const plan = await runCli(['upgrade', 'plan', '--to', '9.0(1)', '--topology', refresh, '--json'], offline())
      const piped = await validate('-', refresh, plan.stdout)
      assert.equal(piped.code, 0, piped.stdout + piped.stderr)
      assert.equal(piped.json.ok, true)
    })

    it('UPG-5: steps 4 and 5 swapped: exit 3, each violation with step, node and rule', async () => {
      const swapped = STANDARD_STEPS.map((s) => (s.number === 4 ? {...s, number: 5} : s.number === 5 ? {...s, number: 4} : s))
      const r = await validate(file('swapped.yaml', yamlSteps(swapped)), standard)
      assert.equal(r.code, 3, r.stdout)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.ok, false)
      assert.deepEqual(
        r.json.findings.map((f: any) => `${f.rule} ${f.step} ${f.node}`),
        ['UPG-5 4 imp-pub', 'UPG-5 4 cucm-sub'],
      )
    })

    it('UPG-5: a missing step is reported with its step and node', async () => {
      const r = await validate(
        file('missing.json', JSON.stringify({to: '9.0(1)', steps: STANDARD_STEPS.filter((s) => s.number !== 3)})),
        standard,
      )
      assert.equal(r.code, 3)
      assert.deepEqual(
        r.json.findings.map((f: any) => [f.rule, f.step, f.node]),
        [['UPG-5', 3, 'imp-sub']],
      )
      assert.match(r.json.findings[0].message, /missing: upgrade imp-sub/)
    })

    it('UPG-7: steps 1 and 2 run in parallel where they may not', async () => {
      const steps = [{number: 1, action: 'upgrade', nodes: ['cucm-pub', 'imp-pub', 'cucm-sub']}, ...STANDARD_STEPS.slice(2)]
      const r = await validate(file('parallel.yaml', yamlSteps(steps)), standard)
      assert.equal(r.code, 3)
      assert.deepEqual(
        r.json.findings.map((f: any) => `${f.rule} ${f.step} ${f.node}`),
        ['UPG-7 1 imp-pub', 'UPG-7 1 cucm-sub'],
      )
    })

    it('UPG-6: the standard runbook on a refresh cluster is out of order', async () => {
      const r = await validate(file('std-on-refresh.yaml', yamlSteps(STANDARD_STEPS)), refresh)
      assert.equal(r.code, 3)
      assert.ok(r.json.findings.length > 0)
      assert.ok(r.json.findings.every((f: any) => f.rule === 'UPG-6' && Number.isInteger(f.step) && f.node))
    })

    it('a malformed runbook or version is exit 2 with the offending text, never a crash', async () => {
      const cases = [
        {plan: file('broken.yaml', 'steps: [ {number: 1'), text: /neither YAML nor JSON/},
        {plan: file('reboot.yaml', yamlSteps([{number: 1, action: 'reboot', nodes: ['cucm-pub']}])), text: /"reboot"/},
        {plan: file('nosteps.yaml', 'to: 9.0(1)\n'), text: /has no steps/},
        {plan: file('badto.yaml', 'to: 9.0-1\nsteps: []\n'), text: /"9\.0-1" is not a version/},
        {plan: file('notarget.yaml', 'steps: []\n'), text: /names no target version/},
      ]
      for (const c of cases) {
        const r = await validate(c.plan, standard)
        assert.equal(r.code, 2, `${c.plan}: ${r.stdout}`)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.match(r.json.error.message, c.text)
      }
      const r = await runCli(['upgrade', 'plan', '--to', 'nine', '--topology', standard], offline())
      assert.equal(r.code, 2)
      assert.match(r.stderr, /"nine" is not a version/)
    })
  })
})
