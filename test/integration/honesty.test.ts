// Issue 10: honest answers when a node cannot be read (DESIGN.md "Reading several nodes"), and
// effects said before they happen. One set of real in-process agents serves every case: each
// case is a context (a UCCTL_HOME) pointing at them, at dead ports, or with a wrong token.
import assert from 'node:assert/strict'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {freePort} from '../../src/lib/lab/launcher.js'
import {startTestAgent, TEST_OPERATOR_TOKEN, tempDir, type TestAgent} from '../helpers/agents.js'
import {type CliResult, runCliInProcess, schemaProblems, writeContext} from '../helpers/cli.js'
import {InProcessPair} from './presence-lab.js'

type Kind = 'read' | 'check' | 'one'
/** Every command that reads several nodes (and ctios status, a read of one node found among them). */
const READS: Array<{name: string; args: string[]; kind: Kind}> = [
  {name: 'status', args: ['status'], kind: 'read'},
  {name: 'status --check', args: ['status', '--check'], kind: 'check'},
  {name: 'events', args: ['events', '--since', '1h'], kind: 'read'},
  {name: 'operation list', args: ['operation', 'list'], kind: 'read'},
  {name: 'cluster status', args: ['cluster', 'status'], kind: 'read'},
  {name: 'cluster license check', args: ['cluster', 'license', 'check'], kind: 'check'},
  {name: 'cluster ports check', args: ['cluster', 'ports', 'check', '--integration', 'sip-trunk', '--needed', '8'], kind: 'check'},
  {name: 'pcluster status', args: ['pcluster', 'status'], kind: 'read'},
  {name: 'pcluster check', args: ['pcluster', 'check'], kind: 'check'},
  {name: 'throttle status', args: ['throttle', 'status'], kind: 'read'},
  {name: 'load check', args: ['load', 'check'], kind: 'check'},
  {name: 'ctios status', args: ['ctios', 'status'], kind: 'one'},
]

/** Every object in `doc` that names `node` and carries an error (a node marked as not read). */
function marks(doc: unknown, node: string): Array<{code: string; message: string}> {
  const found: Array<{code: string; message: string}> = []
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') {
      const o = v as Record<string, any>
      if (o.name === node && o.error && typeof o.error === 'object') found.push(o.error)
      Object.values(o).forEach(walk)
    }
  }
  walk(doc)
  return found
}

describe('issue 10: every read command × {wrong token, no token, every agent down, one of several down, both nodes of a group down}', () => {
  const agents: TestAgent[] = []
  let imp: InProcessPair
  const homes: Record<string, string> = {}
  let live: Array<{name: string; url: string}>
  let dead: () => Promise<string>

  before(async () => {
    imp = await new InProcessPair().start()
    const [pa, pb] = [await freePort(), await freePort()]
    const conn = (mac: string, ports: number) => ({connection: {mac, licenseMac: mac, integration: 'sip-trunk', ports, phoneSystemPorts: 16}})
    agents.push(
      ...(await Promise.all([
        startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'}),
        startTestAgent({name: 'ctios-a', settings: {peripheral: {icmVersion: '8.0(1)', ctiosVersion: '8.0', upgradedFrom: null, rejectIfAlreadyLoggedIn: 0, configurationParameters: '/LOAD 0'}}}),
        startTestAgent({name: 'cuc-pub', product: 'cuc', version: '9.1.1.10000-1', port: pa, peers: [{name: 'cuc-sub', url: `http://127.0.0.1:${pb}`}], settings: conn('00:50:56:00:00:01', 8)}),
        startTestAgent({name: 'cuc-sub', product: 'cuc', version: '9.1.1.10000-1', role: 'subscriber', port: pb, peers: [{name: 'cuc-pub', url: `http://127.0.0.1:${pa}`}], settings: conn('00:50:56:00:00:02', 8)}),
      ])),
    )
    live = [...agents.map((a) => ({name: a.config.name, url: a.url})), {name: 'imp-pub', url: imp.url('imp-pub')}, {name: 'imp-sub', url: imp.url('imp-sub')}]
    // A port nothing listens on: connection refused, as for an agent that is down.
    dead = async () => `http://127.0.0.1:${await freePort()}`
    const context = (name: string, nodes: Array<{name: string; url: string}>, token?: string) => {
      const home = tempDir()
      if (token === undefined) {
        mkdirSync(join(home, 'config'), {recursive: true, mode: 0o700})
        writeFileSync(join(home, 'config', 'contexts.json'), JSON.stringify({current: name, contexts: {[name]: {nodes}}}), {mode: 0o600})
      } else writeContext(home, name, nodes, token)
      homes[name] = home
    }
    context('wrong-token', live, 'wrong-token-0123456789abcdef0123456789')
    context('no-token', live)
    context('all-down', await Promise.all(live.map(async (n) => ({name: n.name, url: await dead()}))))
    context('one-down', [...live, {name: 'gone', url: await dead()}], TEST_OPERATOR_TOKEN)
    context('group-down', await Promise.all(live.map(async (n) => (n.name.startsWith('imp-') ? {name: n.name, url: await dead()} : n))), TEST_OPERATOR_TOKEN)
  })

  after(async () => {
    await Promise.all([...agents.map((a) => a.dispose()), imp.dispose()])
    for (const h of Object.values(homes)) rmSync(h, {recursive: true, force: true})
  })

  async function run(home: string, args: string[]): Promise<CliResult> {
    const saved = AgentClient.credentials
    try {
      const r = await runCliInProcess([...args, '--json'], {UCCTL_HOME: home})
      assert.ok(r.json, `${args.join(' ')}: no JSON document: ${r.stdout} ${r.stderr}`)
      assert.deepEqual(schemaProblems(r.json), [], `${args.join(' ')}: ${r.stdout}`)
      return r
    } finally {
      AgentClient.credentials = saved
    }
  }

  for (const c of ['wrong-token', 'no-token'] as const) {
    it(`${c}: every read exits 4 with error.code Unauthorized, never ok`, async () => {
      for (const cmd of READS) {
        const r = await run(homes[c], cmd.args)
        assert.equal(r.code, 4, `${cmd.name}: ${r.stdout}`)
        assert.equal(r.json.kind, 'Error', cmd.name)
        assert.equal(r.json.error.code, 'Unauthorized', cmd.name)
      }
    })
  }

  it('every agent down: every read exits 7 with error.code Unreachable, never ok', async () => {
    for (const cmd of READS) {
      const r = await run(homes['all-down'], cmd.args)
      assert.equal(r.code, 7, `${cmd.name}: ${r.stdout}`)
      assert.equal(r.json.error.code, 'Unreachable', cmd.name)
    }
  })

  it('one agent of several down: reads give the rest (exit 0) and mark it; checks exit 3 with a finding for it', async () => {
    for (const cmd of READS) {
      const r = await run(homes['one-down'], cmd.args)
      if (cmd.kind === 'check') {
        assert.equal(r.code, 3, `${cmd.name}: ${r.stdout}`)
        assert.equal(r.json.ok, false, `${cmd.name}: a check never passes on what it did not read`)
        assert.ok(r.json.findings.some((f: any) => f.node === 'gone' && f.severity === 'error' && /could not read gone/.test(f.message)), `${cmd.name}: ${r.stdout}`)
      } else assert.equal(r.code, 0, `${cmd.name}: ${r.stdout}`)
      if (cmd.kind !== 'one') {
        const m = marks(r.json, 'gone')
        assert.ok(m.length > 0 && m.every((e) => e.code === 'Unreachable' && e.message.length > 0), `${cmd.name} carries gone's error: ${r.stdout}`)
        if (cmd.kind === 'read') assert.match(r.stderr, /warning: could not read gone/, `${cmd.name}: one warning line per node not read`)
      }
    }
    const s = await run(homes['one-down'], ['status'])
    assert.equal(s.json.nodes.find((n: any) => n.name === 'gone').health, 'unreachable')
    assert.equal(s.json.nodes.find((n: any) => n.name === 'cuc-pub').health, 'ok')
  })

  it('both nodes of a presence group down: pcluster reads exit 7; other reads mark them; checks exit 3', async () => {
    for (const cmd of READS) {
      const r = await run(homes['group-down'], cmd.args)
      if (cmd.name.startsWith('pcluster')) {
        assert.equal(r.code, 7, `${cmd.name}: every node it needs failed: ${r.stdout}`)
        assert.equal(r.json.error.code, 'Unreachable')
        continue
      }
      assert.equal(r.code, cmd.kind === 'check' ? 3 : 0, `${cmd.name}: ${r.stdout}`)
      if (cmd.kind === 'check') assert.ok(r.json.findings.some((f: any) => f.node === 'imp-pub') && r.json.ok === false, cmd.name)
      if (cmd.kind !== 'one') assert.ok(marks(r.json, 'imp-pub').length > 0 && marks(r.json, 'imp-sub').length > 0, `${cmd.name}: ${r.stdout}`)
    }
  })

  it('status --check passes only when every node was read and is ok', async () => {
    const home = tempDir()
    try {
      writeContext(home, 'all', live)
      const r = await run(home, ['status', '--check'])
      assert.equal(r.code, 0, r.stdout)
      assert.equal(r.json.ok, true)
      assert.equal(r.json.nodes.length, live.length)
    } finally {
      rmSync(home, {recursive: true, force: true})
    }
  })
})
