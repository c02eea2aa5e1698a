// Issue 13: the agent on a real host (agent init|check|token, serve's refusals, the systemd
// unit) and the CLI's conventions (-h, did-you-mean), through the real binary.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {chmodSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {loadNodeConfig} from '../../src/lib/agent/config.js'
import {servingFindings} from '../../src/lib/host/node-setup.js'
import {eventually, tempDir} from '../helpers/agents.js'
import {BIN, ROOT, runCli, schemaProblems} from '../helpers/cli.js'

const init = (dir: string, ...extra: string[]) =>
  runCli([
    'agent',
    'init',
    '--dir',
    dir,
    '--name',
    'ctios-h',
    '--product',
    'ctios',
    '--role',
    'publisher',
    '--listen',
    '127.0.0.1:0',
    '--json',
    ...extra,
  ])

describe('agent init, check and tokens (issue 13)', () => {
  const dir = tempDir()
  const config = join(dir, 'node.yaml')

  it('init writes a commented node.yaml (0600) keeping only the hashes of the two tokens it prints once', async () => {
    const r = await init(dir, '--peer', 'ctios-b=https://ctios-b.example.net:8443')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.deepEqual(
      r.json.tokens.map((t: {role: string}) => t.role),
      ['viewer', 'operator'],
    )
    const text = readFileSync(config, 'utf8')
    assert.equal(statSync(config).mode & 0o777, 0o600)
    for (const t of r.json.tokens) assert.ok(!text.includes(t.token), 'a token in clear in node.yaml')
    assert.match(text, /^# .*agent init/m)
    assert.match(text, /ctios-b\.example\.net/)
    const again = await init(dir)
    assert.equal(again.code, 2, 'never overwrites')
    assert.match(again.json.error.message, /exists/)
  })

  it('check passes a fresh file, and names the key, the line and the nearest key of a typo (servcies)', async () => {
    const ok = await runCli(['agent', 'check', '--config', config, '--json'])
    assert.equal(ok.code, 0, ok.stdout)
    assert.deepEqual(schemaProblems(ok.json), [])
    const bad = join(dir, 'bad.yaml')
    const lines = readFileSync(config, 'utf8').split('\n')
    const productLine = lines.findIndex((l) => l.startsWith('product:')) + 1
    writeFileSync(bad, [...lines, 'servcies: []'].join('\n').replace(/^product: "ctios"/m, 'product: "ctos"'), {mode: 0o600})
    const r = await runCli(['agent', 'check', '--config', bad, '--json'])
    assert.equal(r.code, 3)
    assert.deepEqual(schemaProblems(r.json), [])
    const typo = r.json.findings.find((f: {key: string}) => f.key === 'servcies')
    assert.equal(typo.line, lines.length + 1)
    assert.match(typo.message, /unknown key "servcies": did you mean "services"\?/)
    assert.match(typo.fix, /allowed keys: .*peers.*services/)
    const product = r.json.findings.find((f: {key: string}) => f.key === 'product')
    assert.equal(product.line, productLine)
    assert.match(product.message, /"ctos" is not allowed: did you mean "ctios"\?/)
    assert.match(product.fix, /"cucm", "imp", "cuc", "ctios"/)
    // serve says the same, and exits 2 without listening.
    const serve = await runCli(['agent', 'serve', '--config', bad])
    assert.equal(serve.code, 2)
    assert.match(serve.stderr, /line \d+: unknown key "servcies": did you mean "services"\?/)
  })

  it('token add prints a token once and keeps the comments; list shows ids and roles; revoke removes it', async () => {
    const add = await runCli(['agent', 'token', 'add', 'alice', '--role', 'operator', '--config', config, '--json'])
    assert.equal(add.code, 0, add.stderr)
    assert.deepEqual(schemaProblems(add.json), [])
    const text = readFileSync(config, 'utf8')
    assert.ok(!text.includes(add.json.token))
    assert.match(text, /# Bearer tokens: only their SHA-256 is kept/)
    const dup = await runCli(['agent', 'token', 'add', 'alice', '--role', 'viewer', '--config', config])
    assert.equal(dup.code, 2)
    const list = await runCli(['agent', 'token', 'list', '--config', config, '--json'])
    assert.deepEqual(schemaProblems(list.json), [])
    assert.deepEqual(list.json.tokens, [
      {id: 'viewer', role: 'viewer'},
      {id: 'operator', role: 'operator'},
      {id: 'alice', role: 'operator'},
    ])
    const revoke = await runCli(['agent', 'token', 'revoke', 'alice', '--config', config, '--json'])
    assert.equal(revoke.code, 0)
    assert.deepEqual(schemaProblems(revoke.json), [])
    const none = await runCli(['agent', 'token', 'revoke', 'alice', '--config', config])
    assert.equal(none.code, 2)
    assert.equal((await runCli(['agent', 'token', 'list', '--config', config, '--json'])).json.tokens.length, 2)
    assert.equal(statSync(config).mode & 0o777, 0o600, 'edits keep the mode')
  })

  it('serve refuses a config readable by others that holds a secret; warns beyond loopback without TLS, not on 127.0.0.1', async () => {
    const secret = join(dir, 'secret.yaml')
    writeFileSync(secret, readFileSync(config, 'utf8').replace('  # peerToken: ...', '  peerToken: peer-token-0123456789abcdef'))
    chmodSync(secret, 0o644)
    const r = await runCli(['agent', 'serve', '--config', secret])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /refusing to serve: .* readable by every user/)
    assert.match(r.stderr, /chmod 600/)
    chmodSync(secret, 0o600)
    assert.deepEqual(await servingFindings(await loadNodeConfig(secret), secret), [])
    const open = join(dir, 'open.yaml')
    writeFileSync(open, readFileSync(config, 'utf8').replace('host: "127.0.0.1"', 'host: "0.0.0.0"'), {mode: 0o600})
    const findings = await servingFindings(await loadNodeConfig(open), open)
    assert.deepEqual(
      findings.map((f) => [f.severity, f.key]),
      [['warning', 'listen.host']],
    )
    assert.match(findings[0].message, /without TLS/)
  })

  it('agent-only commands hide the global flags that mean nothing there', async () => {
    const serve = await runCli(['agent', 'serve', '--help'])
    assert.doesNotMatch(serve.stdout, /--context|--json/)
    const check = await runCli(['agent', 'check', '-h'])
    assert.equal(check.code, 0)
    assert.doesNotMatch(check.stdout, /--context/)
  })
})

describe('a host end to end: init, serve as the unit does, context add, login, status (issue 13)', () => {
  const dir = tempDir()
  const home = tempDir()
  let agent: ChildProcess | undefined
  after(() => agent?.kill('SIGTERM'))

  it('status --context answers from the agent initialised and served here', async () => {
    const r = await init(dir)
    assert.equal(r.code, 0, r.stderr)
    const operator = r.json.tokens.find((t: {role: string}) => t.role === 'operator').token
    // The unit's ExecStart, with this checkout's binary.
    const unit = readFileSync(join(ROOT, 'systemd', 'ucctl-agent.service'), 'utf8')
    const args = /^ExecStart=\S+ (.*)$/m.exec(unit)![1].replace('/etc/ucctl/node.yaml', join(dir, 'node.yaml')).split(' ')
    agent = spawn(process.execPath, [BIN, ...args], {stdio: ['ignore', 'ignore', 'pipe']})
    let log = ''
    agent.stderr!.on('data', (d) => (log += d))
    const url = await eventually(() => /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1], 15_000, 'the agent listening')
    const env = {UCCTL_HOME: home}
    assert.equal((await runCli(['context', 'add', 'host', '--agent', url], env)).code, 0)
    const login = await runCli(['login', '--context', 'host', '--token-stdin'], env, operator)
    assert.equal(login.code, 0, login.stderr)
    const status = await runCli(['status', '--context', 'host', '--json'], env)
    assert.equal(status.code, 0, status.stderr)
    assert.deepEqual(
      status.json.nodes.map((n: {name: string; health: string}) => [n.name, n.health]),
      [['ctios-h', 'ok']],
    )
  })
})

describe('the systemd unit shipped in the package (issue 13)', () => {
  const unitPath = join(ROOT, 'systemd', 'ucctl-agent.service')
  const unit = readFileSync(unitPath, 'utf8')

  it('runs as a dedicated user, restarts on failure, and is hardened', () => {
    for (const line of [
      'User=ucctl',
      'Restart=on-failure',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/ucctl',
      'PrivateTmp=yes',
      'WantedBy=multi-user.target',
    ]) {
      assert.match(unit, new RegExp(`^${line}$`, 'm'), line)
    }
  })

  const analyze = spawnSync('systemd-analyze', ['--version'])
  it('systemd-analyze verify finds nothing to say', {
    skip: analyze.error ? 'systemd-analyze is not installed (Debian package systemd)' : false,
  }, () => {
    // verify checks that ExecStart exists: point it at this checkout's binary, nothing else changed.
    const copy = join(tempDir(), 'ucctl-agent.service')
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${BIN}`))
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', copy], {encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr.trim(), '', 'a warning is a defect too (verify exits 0 on them)')
  })
})

describe('CLI conventions: -h and did-you-mean (issue 13)', () => {
  it('-h prints help on any command', async () => {
    const r = await runCli(['status', '-h'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /USAGE\n\s+\$ ucctl status/)
  })

  it('a mistyped command names the nearest one and exits 2', async () => {
    const r = await runCli(['stauts'])
    assert.equal(r.code, 2)
    assert.equal(r.stderr, 'Error: "stauts" is not a ucctl command\nHint: did you mean "ucctl status"?\n')
    // The words after a mistyped topic are kept; no internal id (service:status:X) shows.
    const topic = await runCli(['pclustr', 'status', 'prg1'])
    assert.equal(topic.code, 2)
    assert.equal(topic.stderr, 'Error: "pclustr status prg1" is not a ucctl command\nHint: did you mean "ucctl pcluster status prg1"?\n')
    assert.doesNotMatch(topic.stderr, /pclustr:status/)
  })

  it('a mistyped flag names the nearest one and exits 2', async () => {
    const r = await runCli(['service', 'list', '--nod', 'ctios-a', '--json'])
    assert.equal(r.code, 2)
    assert.equal(r.json.error.hint, 'did you mean --node?')
  })
})
