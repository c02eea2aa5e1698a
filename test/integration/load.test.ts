// /LOAD through ucctl against real CTI OS agents (LOAD-1..6): checks of good and bad fields,
// the offline check with no agent, and `load set` with the PG restart it needs.
import assert from 'node:assert/strict'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {runCli, runCliInProcess, schemaProblems, writeContext} from '../helpers/cli.js'

const peripheral = (p: Record<string, unknown>) => ({
  peripheral: {icmVersion: '8.0(1)', ctiosVersion: '8.0', upgradedFrom: null, rejectIfAlreadyLoggedIn: 0, ...p},
})

describe('ucctl load against real CTI OS agents', () => {
  let good: TestAgent
  let empty: TestAgent
  let trap: TestAgent
  let cucm: TestAgent
  let home: string
  let env: Record<string, string>

  before(async () => {
    ;[good, empty, trap, cucm] = await Promise.all([
      startTestAgent({name: 'ctios-a', settings: peripheral({configurationParameters: '/LOAD 0'})}),
      startTestAgent({name: 'ctios-b', settings: peripheral({configurationParameters: '/PBX ACD1 /LOAD 1', rejectIfAlreadyLoggedIn: 1})}),
      // LOAD-3's trap: ICM upgraded from 4.6.1.x to 6.0 (default /LOAD 1) with CTI OS 6.0.
      startTestAgent({
        name: 'ctios-c',
        settings: peripheral({configurationParameters: '/PBX ACD1', icmVersion: '6.0', ctiosVersion: '6.0', upgradedFrom: '4.6.1.2'}),
      }),
      startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'}),
    ])
    home = tempDir()
    writeContext(
      home,
      'test',
      [good, empty, trap, cucm].map((a) => ({name: a.config.name, url: a.url})),
    )
    env = {UCCTL_HOME: home}
  })
  after(async () => {
    await Promise.all([good, empty, trap, cucm].map((a) => a.dispose()))
    rmSync(home, {recursive: true, force: true})
  })

  // What changes nothing runs two at a time (each mostly a CLI process: 2 cores); what writes ctios-b's field comes after, in order.
  describe('checks', {concurrency: 2}, () => {
    it('LOAD-1: load check --node on /LOAD 0 with CTI OS 8.0 on ICM 8.0(1) passes; valid CheckResult', async () => {
      const r = await runCli(['load', 'check', '--node', 'ctios-a', '--json'], env)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.ok, true)
      assert.deepEqual(r.json.findings, [])
      assert.equal(r.json.peripherals[0].configurationParameters, '/LOAD 0')
      assert.deepEqual(schemaProblems({apiVersion: 'ucctl/v1', kind: 'Peripheral', ...r.json.peripherals[0]}), [])
    })

    it('LOAD-1, LOAD-5: /LOAD 1 where CTI OS is used is an error with its fix (exit 3); RejectIfAlreadyLoggedIn 1 warns', async () => {
      const r = await runCli(['load', 'check', '--node', 'ctios-b', '--json'], env)
      assert.equal(r.code, 3, r.stdout + r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.ok, false)
      assert.deepEqual(
        r.json.findings.map((f: any) => `${f.rule} ${f.severity}`),
        ['LOAD-6 warning', 'LOAD-1 error', 'LOAD-5 warning'],
      )
      const load1 = r.json.findings.find((f: any) => f.rule === 'LOAD-1')
      assert.equal(load1.fix, 'set /LOAD 0 and restart the PG')
      assert.equal(load1.node, 'ctios-b')
    })

    it('LOAD-3: the 4.6.1.x upgrade trap is found on the node', async () => {
      const r = await runCli(['load', 'check', '--node', 'ctios-c', '--json'], env)
      assert.equal(r.code, 3)
      assert.ok(r.json.findings.some((f: any) => f.rule === 'LOAD-3' && f.severity === 'error' && /4\.6\.1\.2/.test(f.message)))
    })

    it('LOAD-1: load check without --node checks every CTI OS node of the context (the cucm node is skipped)', async () => {
      const r = await runCli(['load', 'check', '--json'], env)
      assert.equal(r.code, 3)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.deepEqual(r.json.peripherals.map((p: any) => p.node).sort(), ['ctios-a', 'ctios-b', 'ctios-c'])
      assert.deepEqual([...new Set(r.json.findings.map((f: any) => f.node))].sort(), ['ctios-b', 'ctios-c'])
    })

    it('LOAD-1: a table on stdout names rule and fix; piped rows are tab-separated', async () => {
      const r = await runCli(['load', 'check', '--node', 'ctios-b'], env)
      assert.equal(r.code, 3)
      const row = r.stdout.split('\n').find((l) => l.includes('LOAD-1'))!
      assert.deepEqual(row.split('\t').slice(0, 2), ['error', 'LOAD-1'])
      assert.match(row, /restart the PG/)
    })

    const MALFORMED = [
      {args: ['--params', '/LOAD 0', '--icm', 'eight'], what: /"eight"/},
      {args: ['--params', '/LOAD 0'], what: /--icm is required/},
      {args: ['--icm', '8.0(1)'], what: /params/},
      {args: ['--params', '/LOAD 0', '--icm', '8.0(1)', '--reject-if-already-logged-in', '2'], what: /reject-if-already-logged-in/},
      {args: ['--params', '/LOAD 0', '--icm', '8.0(1)', '--node', 'ctios-a'], what: /node|params/},
    ]
    for (const row of MALFORMED) {
      it(`LOAD-6: malformed input is exit 2 with a clear error: ${row.args.join(' ')}`, async () => {
        const r = await runCli(['load', 'check', ...row.args, '--json'], env)
        assert.equal(r.code, 2, r.stdout + r.stderr)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.equal(r.json.kind, 'Error')
        assert.match(r.json.error.message, row.what)
      })
    }

    it('LOAD-1: load check --node on a Unified CM node is exit 2, naming CTI OS', async () => {
      const r = await runCli(['load', 'check', '--node', 'cucm-pub', '--json'], env)
      assert.equal(r.code, 2)
      assert.match(r.json.error.message, /CTI OS/)
    })

    it('LOAD-1: load set 1 where CTI OS is used is refused (exit 5, rule named) and changes nothing', async () => {
      const r = await runCli(['load', 'set', '1', '--node', 'ctios-a', '--yes', '--json'], env)
      assert.equal(r.code, 5, r.stdout + r.stderr)
      assert.equal(r.json.error.rule, 'LOAD-1')
      const p = await runCli(['load', 'check', '--node', 'ctios-a', '--json'], env)
      assert.equal(p.json.peripherals[0].configurationParameters, '/LOAD 0')
    })

    it('LOAD-1: load set 0 where /LOAD 0 is already in effect does nothing (no PG restart)', async () => {
      const restarts = good.events.list().filter((e) => e.type === 'PeripheralGateway').length
      const r = await runCli(['load', 'set', '0', '--node', 'ctios-a', '--yes', '--json'], env)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.kind, 'Peripheral')
      assert.match(r.stderr, /already in the field and in effect; nothing to do/)
      assert.equal(good.events.list().filter((e) => e.type === 'PeripheralGateway').length, restarts)
    })

    it('LOAD-1: load set without a terminal and without --yes refuses (exit 2) and writes nothing', async () => {
      const r = await runCli(['load', 'set', '0', '--node', 'ctios-b', '--json'], env)
      assert.equal(r.code, 2, r.stdout + r.stderr)
      assert.match(r.json.error.hint, /--yes/)
      const p = await runCli(['load', 'check', '--node', 'ctios-b', '--json'], env)
      assert.equal(p.json.peripherals[0].configurationParameters, '/PBX ACD1 /LOAD 1')
    })

    it('LOAD-6: load set --dry-run shows the field change and the PG restart, and changes nothing', async () => {
      const r = await runCli(['load', 'set', '0', '--node', 'ctios-b', '--dry-run', '--json'], env)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.kind, 'OperationPlan')
      assert.equal(r.json.changes[0], 'Configuration Parameters: "/PBX ACD1 /LOAD 1" → "/PBX ACD1 /LOAD 0"')
      assert.match(r.json.changes[1], /PG: online → offline → online; \/LOAD 1 → \/LOAD 0 in effect/)
      assert.ok(r.json.rules.some((x: string) => x.startsWith('LOAD-1')))
      const p = await runCli(['load', 'check', '--node', 'ctios-b', '--json'], env)
      assert.equal(p.json.peripherals[0].configurationParameters, '/PBX ACD1 /LOAD 1')
    })

    it('LOAD-6: the agent API refuses a malformed body with 400, never a 5xx', async () => {
      const {AgentClient} = await import('../../src/lib/client/agent-client.js')
      const client = new AgentClient({name: 'ctios-a', url: good.url})
      for (const body of [{value: 2}, {value: '0'}, {}, {value: 0, extra: 1}]) {
        await assert.rejects(client.raw('PUT', '/v1/peripheral/load', {body}), (e: any) => e.exitCode === 2 && e.httpStatus === 400)
      }
    })
  })

  // Offline: no agent, no context, no lab (UCCTL_HOME has no contexts; nothing must start).
  const OFFLINE = [
    {args: ['--params', '/LOAD 0', '--icm', '8.0(1)', '--ctios', '8.0'], code: 0, findings: []},
    {args: ['--params', '', '--icm', '8.0(1)', '--ctios', '8.0'], code: 3, findings: ['LOAD-1 error']},
    {args: ['--params', '/LOAD 1', '--icm', '8.0(1)', '--ctios', '8.0'], code: 3, findings: ['LOAD-1 error']},
    {args: ['--params', '/LOAD 1', '--icm', '7.0', '--ctios', '7.0'], code: 3, findings: ['LOAD-1 error', 'LOAD-4 error']},
    {
      args: ['--params', '/LOAD 1', '--icm', '5.0', '--ctios', '6.0', '--upgraded-from', '4.6.1.2'],
      code: 3,
      findings: ['LOAD-1 error', 'LOAD-3 error'],
    },
    {
      args: ['--params', '/LOAD 0', '--icm', '5.0', '--ctios', '6.0', '--upgraded-from', '4.6.1.2', '--reject-if-already-logged-in', '1'],
      code: 0,
      findings: ['LOAD-5 warning'],
    },
    {args: ['--params', '/LOAD 0 /LOAD 1', '--icm', '8.0(1)', '--ctios', '8.0'], code: 3, findings: ['LOAD-6 error']},
    {args: ['--params', '/LOAD 1', '--icm', '6.0'], code: 0, findings: []},
  ]
  for (const row of OFFLINE) {
    const rule = row.findings[0]?.split(' ')[0] ?? 'LOAD-1'
    it(`${rule}: offline load check ${row.args.map((a) => JSON.stringify(a)).join(' ')} → exit ${row.code} ${row.findings.join(', ') || 'no findings'}`, async () => {
      const offHome = tempDir()
      try {
        const r = await runCliInProcess(['load', 'check', ...row.args, '--json'], {UCCTL_HOME: offHome})
        assert.equal(r.code, row.code, r.stdout + r.stderr)
        assert.deepEqual(schemaProblems(r.json), [])
        assert.deepEqual(
          r.json.findings.map((f: any) => `${f.rule} ${f.severity}`),
          row.findings,
        )
        assert.ok(r.json.findings.every((f: any) => f.fix.length > 0))
        assert.equal(r.stderr, '', 'no lab started, no notice')
      } finally {
        rmSync(offHome, {recursive: true, force: true})
      }
    })
  }

  it('LOAD-1: load set --no-restart writes the field (other parameters kept) and it stays pending until the PG restarts', async () => {
    const r = await runCli(['load', 'set', '0', '--node', 'ctios-b', '--no-restart', '--json'], env)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.kind, 'Peripheral')
    assert.equal(r.json.configurationParameters, '/PBX ACD1 /LOAD 0')
    assert.equal(r.json.load, 0)
    assert.equal(r.json.loadInEffect, 1)
    assert.equal(r.json.pending, true)
    assert.match(r.stderr, /still runs with \/LOAD 1 until it restarts \(LOAD-1\)/)
    // The check says so: the running PG still has /LOAD 1.
    const c = await runCli(['load', 'check', '--node', 'ctios-b', '--json'], env)
    assert.equal(c.code, 3)
    assert.ok(c.json.findings.some((f: any) => f.rule === 'LOAD-1' && /still runs with \/LOAD 1/.test(f.message)))
    // Durable: the agent's state file holds the written field.
    const saved = JSON.parse(readFileSync(join(empty.stateDir, 'peripheral', 'peripheral.json'), 'utf8'))
    assert.equal(saved.configurationParameters, '/PBX ACD1 /LOAD 0')
  })

  it('LOAD-1: load set 0 --yes restarts the PG and waits: offline, then back online with /LOAD 0 in effect; events say so', async () => {
    const r = await runCli(['load', 'set', '0', '--node', 'ctios-b', '--yes', '--json'], env)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.kind, 'Operation')
    assert.equal(r.json.state, 'succeeded')
    assert.deepEqual(
      r.json.transitions.map((t: any) => t.message),
      ['PG going offline', 'PG back online, /LOAD 0 in effect'],
    )
    assert.equal(r.json.peripheral.loadInEffect, 0)
    assert.equal(r.json.peripheral.pending, false)
    assert.equal(r.json.peripheral.pg.state, 'online')
    const events = empty.events
      .list()
      .filter((e) => e.type === 'PeripheralGateway')
      .map((e) => e.message)
    assert.match(events.at(-2)!, /PG going offline/)
    assert.equal(events.at(-1), 'PG back online, /LOAD 0 in effect')
    // The PG is not a CTI OS process (SVC-1): the node's services are the same four.
    assert.deepEqual(empty.nodeManager.names(), ['CtiosServerNode', 'CTIOSTrace', 'NM', 'NMM'])
    const c = await runCli(['load', 'check', '--node', 'ctios-b', '--json'], env)
    assert.deepEqual(
      c.json.findings.map((f: any) => `${f.rule} ${f.severity}`),
      ['LOAD-6 warning', 'LOAD-5 warning'],
    )
    assert.equal(c.code, 0)
  })

  it('LOAD-1: the written field and the value in effect survive an agent restart', async () => {
    const stateDir = empty.stateDir
    await empty.dispose({keepState: true})
    empty = await startTestAgent({
      name: 'ctios-b',
      stateDir,
      settings: peripheral({configurationParameters: '/PBX ACD1 /LOAD 1', rejectIfAlreadyLoggedIn: 1}),
    })
    writeContext(
      home,
      'test',
      [good, empty, trap, cucm].map((a) => ({name: a.config.name, url: a.url})),
    )
    const c = await runCli(['load', 'check', '--node', 'ctios-b', '--json'], env)
    assert.equal(c.json.peripherals[0].configurationParameters, '/PBX ACD1 /LOAD 0')
    assert.equal(c.json.peripherals[0].loadInEffect, 0)
  })
})
