// Issue 7: tokens and roles on every route, audit, idempotency, credentials in the OS keychain
// (a real Secret Service in CI) or a 0600 file, TLS with a CA made here, fan-out over 50 agents.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {loadKeytar} from '../../src/lib/cli/credentials.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {eventually, startTestAgent, tempDir, TEST_AUTH, TEST_OPERATOR_TOKEN, TEST_VIEWER_TOKEN, type TestAgent} from '../helpers/agents.js'
import {runCli, schemaProblems, writeContext} from '../helpers/cli.js'

async function call(agent: TestAgent, method: string, path: string, token: string | undefined, body?: unknown): Promise<number> {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(new URL(path, agent.url), {method, headers, body: body === undefined ? undefined : JSON.stringify(body)})
  await res.text()
  return res.status
}

/** A concrete path for a route pattern, and a body that passes its schema where one is needed. */
function sample(url: string): {path: string; body?: unknown} {
  const path = url.replace(':name', 'NM').replace(':action', 'cycle').replace(':id', '00000000-0000-0000-0000-000000000000')
  if (url.endsWith('/startup')) return {path, body: {startup: 'Automatic'}}
  if (url.includes('/faults/network/')) return {path, body: {}}
  return {path}
}

// The suites below share nothing (each starts its own agents and home): they run side by side,
// the fan-out (which waits out the silent node's timeout) first. Each one's tests run in order
// (a suite would inherit the concurrency of its parent).
describe('security (issue 7)', {concurrency: 2}, () => {
  describe('fan-out over many nodes (issue 7)', {concurrency: false}, () => {
    const agents: TestAgent[] = []
    let blackHole: Server
    let home: string

    before(async () => {
      agents.push(
        ...(await Promise.all(
          Array.from({length: 50}, (_, i) => startTestAgent({name: `node-${String(i).padStart(2, '0')}`, product: 'cucm', services: []})),
        )),
      )
      blackHole = createServer(() => {}).listen(0, '127.0.0.1')
      await new Promise((r) => blackHole.once('listening', r))
      home = tempDir()
      const nodes = agents.map((a) => ({name: a.config.name, url: a.url}))
      nodes.push({name: 'black-hole', url: `http://127.0.0.1:${(blackHole.address() as {port: number}).port}`})
      writeContext(home, 'fleet', nodes)
      await Promise.all(agents.slice(0, 10).map((a) => a.dispose()))
    })
    after(async () => {
      await Promise.all(agents.slice(10).map((a) => a.dispose()))
      blackHole.close()
      rmSync(home, {recursive: true, force: true})
    })

    it('status queries every node in parallel: the stopped and the silent are unreachable, the rest answer, exit 0', async () => {
      const r = await runCli(['status', '--json'], {UCCTL_HOME: home})
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      const unreachable = r.json.nodes.filter((n: any) => n.health === 'unreachable').map((n: any) => n.name)
      assert.deepEqual(unreachable.sort(), [...agents.slice(0, 10).map((a) => a.config.name), 'black-hole'].sort())
      assert.equal(r.json.nodes.filter((n: any) => n.health === 'ok').length, 40)
    })

    it('exit 7 only when no node answered', async () => {
      const deadHome = tempDir()
      writeContext(
        deadHome,
        'dead',
        agents.slice(0, 10).map((a) => ({name: a.config.name, url: a.url})),
      )
      try {
        assert.equal((await runCli(['status'], {UCCTL_HOME: deadHome})).code, 7)
      } finally {
        rmSync(deadHome, {recursive: true, force: true})
      }
    })

    it('the test clients act as the test operator', () => {
      assert.equal(AgentClient.credentials.token, TEST_OPERATOR_TOKEN)
      assert.equal(TEST_AUTH.tokens.length, 2)
    })
  })

  describe('agent authentication and roles (issue 7)', {concurrency: false}, () => {
    let agent: TestAgent
    before(async () => {
      agent = await startTestAgent()
    })
    after(() => agent.dispose())

    it('the 401/403 matrix over every route: none, wrong, viewer, operator', async () => {
      assert.ok(agent.routes.length >= 10, `only ${agent.routes.length} routes`)
      for (const r of agent.routes) {
        const {path, body} = sample(r.url)
        const what = `${r.method} ${r.url}`
        if (r.url === '/v1/health') {
          assert.equal(await call(agent, r.method, path, undefined), 200, what)
          continue
        }
        assert.equal(await call(agent, r.method, path, undefined, body), 401, `${what} without a token`)
        assert.equal(await call(agent, r.method, path, 'not-a-valid-token-at-all', body), 401, `${what} with a wrong token`)
        const viewer = await call(agent, r.method, path, TEST_VIEWER_TOKEN, body)
        const operator = await call(agent, r.method, path, TEST_OPERATOR_TOKEN, body)
        if (r.method === 'GET') {
          assert.ok(viewer !== 401 && (viewer !== 403 || r.url === '/v1/audit'), `${what}: viewer got ${viewer}`)
        } else {
          assert.equal(viewer, 403, `${what}: a viewer may not act`)
        }
        assert.ok(operator !== 401 && operator !== 403, `${what}: operator got ${operator}`)
      }
    })

    it('a retried action with the same idempotency key runs once', async () => {
      const key = 'retry-0123456789'
      const send = () =>
        fetch(new URL('/v1/services/CTIOSTrace/cycle', agent.url), {
          method: 'POST',
          headers: {authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, 'idempotency-key': key},
        }).then(async (r) => ({status: r.status, body: (await r.json()) as {id: string}, replay: r.headers.get('idempotent-replay')}))
      const first = await send()
      assert.equal(first.status, 202)
      await eventually(() => (agent.operations.get(first.body.id).state === 'succeeded' ? true : undefined), 5000)
      const second = await send()
      assert.equal(second.body.id, first.body.id, 'the same operation, not a new one')
      assert.equal(second.replay, 'true')
      const cycles = agent.operations.list().filter((o) => o.action === 'cycle' && o.target?.service === 'CTIOSTrace')
      assert.equal(cycles.length, 1)
    })

    it('every action request is in the durable audit log: when, token id and role, route, parameters, result', async () => {
      await call(agent, 'POST', '/v1/services/NMM/stop', TEST_VIEWER_TOKEN)
      const lines = readFileSync(join(agent.stateDir, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      const refused = lines.find((r) => r.tokenId === 'test-viewer' && r.params.name === 'NMM')
      assert.ok(refused, 'the refused viewer request is audited')
      assert.equal(refused.role, 'viewer')
      assert.equal(refused.status, 403)
      assert.equal(refused.route, '/v1/services/:name/:action')
      const cycled = lines.find((r) => r.tokenId === 'test-operator' && r.params.name === 'CTIOSTrace')
      assert.equal(cycled.status, 202)
      assert.ok(cycled.operation)
      assert.ok(!JSON.stringify(lines).includes(TEST_OPERATOR_TOKEN), 'no token in the audit log')
    })
  })

  describe('ucctl with tokens: exit 4, audit, no token anywhere in output', {concurrency: false}, () => {
    let agent: TestAgent
    let home: string
    before(async () => {
      agent = await startTestAgent()
      home = tempDir()
      writeContext(home, 'sec', [{name: 'ctios-a', url: agent.url}])
    })
    after(async () => {
      await agent.dispose()
      rmSync(home, {recursive: true, force: true})
    })

    it('a viewer token reads but is refused an action with exit 4, saying which', async () => {
      const env = {UCCTL_HOME: home, UCCTL_TOKEN: TEST_VIEWER_TOKEN}
      assert.equal((await runCli(['service', 'list', '--json'], env)).code, 0)
      const r = await runCli(['service', 'stop', 'NM', '--json'], env)
      assert.equal(r.code, 4)
      assert.equal(r.json.error.code, 'Forbidden')
      assert.match(r.json.error.message, /viewer may read but not act/)
      const none = await runCli(['service', 'list'], {UCCTL_HOME: home, UCCTL_TOKEN: 'wrong-token-0123456789'})
      assert.equal(none.code, 4)
      assert.match(none.stderr, /token was not accepted/)
    })

    it('events --audit shows who did what; valid AuditList', async () => {
      await runCli(['service', 'cycle', 'CTIOSTrace'], {UCCTL_HOME: home})
      const r = await runCli(['events', '--audit', '--json'], {UCCTL_HOME: home})
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.ok(r.json.records.some((x: any) => x.tokenId === 'test-operator' && x.route === '/v1/services/:name/:action'))
    })

    it('tokens never appear in output, JSON, debug output or the agent state', async () => {
      const outs = await Promise.all([
        runCli(['status', '--json'], {UCCTL_HOME: home, UCCTL_DEBUG: '1'}),
        runCli(['service', 'stop', 'NoSuch', '--json'], {UCCTL_HOME: home, UCCTL_DEBUG: '1'}),
        runCli(['events', '--audit'], {UCCTL_HOME: home}),
        runCli(['context', 'list', '--json'], {UCCTL_HOME: home}),
      ])
      for (const o of outs) assert.ok(!(o.stdout + o.stderr).includes(TEST_OPERATOR_TOKEN), o.stdout + o.stderr)
      for (const f of readdirSync(agent.stateDir)) {
        const p = join(agent.stateDir, f)
        if (statSync(p).isFile()) assert.ok(!readFileSync(p, 'utf8').includes(TEST_OPERATOR_TOKEN), f)
      }
      assert.ok(!readFileSync(join(home, 'config', 'contexts.json'), 'utf8').includes(TEST_OPERATOR_TOKEN))
    })
  })

  describe('credentials: OS keychain (real Secret Service) and the 0600 file fallback', {concurrency: false}, () => {
    let agent: TestAgent
    let home: string
    let keychain: boolean
    before(async () => {
      agent = await startTestAgent()
      home = tempDir()
      writeContext(home, 'kc', [{name: 'ctios-a', url: agent.url}], 'not-logged-in-yet-000000')
      rmSync(join(home, 'config', 'credentials.json'))
      keychain = 'keytar' in (await loadKeytar())
    })
    after(async () => {
      await runCli(['logout', '--context', 'kc'], {UCCTL_HOME: home})
      await agent.dispose()
      rmSync(home, {recursive: true, force: true})
    })

    it('login --token-stdin stores the token in the OS keychain; commands use it; logout removes it', async (t) => {
      if (!keychain) {
        // CI always runs this against gnome-keyring in a dbus session (.ci/run).
        assert.ok(!process.env.CI, 'CI must provide a Secret Service for this test')
        t.skip('no Secret Service on this machine')
        return
      }
      const env = {UCCTL_HOME: home}
      const r = await runCli(['login', '--context', 'kc', '--token-stdin', '--json'], env, `${TEST_OPERATOR_TOKEN}\n`)
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(schemaProblems(r.json), [])
      assert.equal(r.json.store, 'keychain')
      assert.equal(r.stderr, '', 'no fallback warning')
      const name = 'keytar'
      const keytar = (await import(name)).default
      assert.equal(await keytar.getPassword('ucctl', 'kc'), TEST_OPERATOR_TOKEN)
      const files = readdirSync(join(home, 'config'))
      assert.ok(!files.includes('credentials.json'), 'nothing on disk')
      assert.equal((await runCli(['service', 'list'], env)).code, 0)
      const out = await runCli(['logout', '--context', 'kc', '--json'], env)
      assert.deepEqual(out.json.removedFrom, ['keychain'])
      assert.equal(await keytar.getPassword('ucctl', 'kc'), null)
      assert.equal((await runCli(['service', 'list'], env)).code, 4)
    })

    it('without a Secret Service: a one-line warning and a 0600 file; a wrong token is refused and nothing stored', async () => {
      const env = {UCCTL_HOME: home, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', UCCTL_NO_KEYCHAIN: keychain ? '' : '1'}
      const wrong = await runCli(['login', '--context', 'kc', '--token-stdin'], env, 'wrong-token-0123456789\n')
      assert.equal(wrong.code, 4)
      const r = await runCli(['login', '--context', 'kc', '--token-stdin', '--json'], env, `${TEST_OPERATOR_TOKEN}\n`)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.json.store, 'file')
      assert.equal(r.stderr.trim().split('\n').length, 1)
      assert.match(r.stderr, /0600 file/)
      const file = join(home, 'config', 'credentials.json')
      assert.equal(statSync(file).mode & 0o777, 0o600)
      assert.equal((await runCli(['service', 'list'], env)).code, 0)
      assert.ok(!r.stdout.includes(TEST_OPERATOR_TOKEN))
      await runCli(['logout', '--context', 'kc'], env)
    })
  })

  describe('TLS with a CA made here', {concurrency: false}, () => {
    let dir: string
    let agent: TestAgent
    let home: string

    before(async () => {
      dir = tempDir('ucctl-tls-')
      const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
      ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '2',
        '-subj',
        '/CN=ucctl test CA',
      )
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'agent.key', '-out', 'agent.csr', '-subj', '/CN=127.0.0.1')
      writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
      ssl(
        'x509',
        '-req',
        '-in',
        'agent.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'agent.pem',
        '-days',
        '2',
        '-extfile',
        'ext.cnf',
      )
      ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'other.key',
        '-out',
        'other.pem',
        '-days',
        '2',
        '-subj',
        '/CN=other CA',
      )
      agent = await startTestAgent({tls: {cert: join(dir, 'agent.pem'), key: join(dir, 'agent.key')}})
      home = tempDir()
      mkdirSync(join(home, 'config'), {recursive: true})
    })
    after(async () => {
      await agent.dispose()
      rmSync(dir, {recursive: true, force: true})
      rmSync(home, {recursive: true, force: true})
    })

    it('the agent serves HTTPS; a context with the CA works end to end', async () => {
      assert.match(agent.url, /^https:/)
      const env = {UCCTL_HOME: home}
      const add = await runCli(['context', 'add', 'tls', '--agent', agent.url, '--ca', join(dir, 'ca.pem'), '--json'], env)
      assert.equal(add.code, 0, add.stderr)
      assert.equal(add.json.nodes[0].name, 'ctios-a')
      const login = await runCli(['login', '--context', 'tls', '--token-stdin'], {...env, UCCTL_NO_KEYCHAIN: '1'}, TEST_OPERATOR_TOKEN)
      assert.equal(login.code, 0, login.stderr)
      const status = await runCli(['status', '--json'], env)
      assert.equal(status.code, 0, status.stderr)
      assert.equal(status.json.nodes[0].health, 'ok')
      const act = await runCli(['service', 'cycle', 'NM', '--json'], env)
      assert.equal(act.code, 0, act.stderr)
    })

    it('certificate errors are clear errors with exit 7; nothing turns verification off', async () => {
      const env = {UCCTL_HOME: home}
      const untrusted = await runCli(['context', 'add', 'untrusted', '--agent', agent.url, '--json'], env)
      assert.equal(untrusted.code, 7)
      assert.match(untrusted.json.error.message, /not trusted/)
      assert.match(untrusted.json.error.hint, /--ca FILE/)
      const wrongCa = await runCli(['context', 'add', 'wrong', '--agent', agent.url, '--ca', join(dir, 'other.pem')], env)
      assert.equal(wrongCa.code, 7)
      assert.match(wrongCa.stderr, /not signed by a trusted CA|untrusted/)
      const byName = await runCli(
        ['context', 'add', 'byname', '--agent', agent.url.replace('127.0.0.1', 'localhost'), '--ca', join(dir, 'ca.pem')],
        env,
      )
      assert.equal(byName.code, 0, 'the certificate names localhost too')
    })
  })
})
