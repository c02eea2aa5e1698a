// Issue 7's acceptance as a new user would: the lab over HTTPS, a context with its CA, login,
// status and an action; a viewer token refused with exit 4; no token in clear text anywhere
// but the 0600 credential files.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {tempDir} from '../helpers/agents.js'
import {runCli, schemaProblems} from '../helpers/cli.js'

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
}

describe('the lab over HTTPS (issue 7 acceptance)', () => {
  let home: string
  let env: Record<string, string>
  const outputs: string[] = []
  const cli = async (args: string[], extra: Record<string, string> = {}, input?: string) => {
    const r = await runCli(args, {...env, ...extra}, input)
    outputs.push(r.stdout, r.stderr)
    return r
  }
  before(() => {
    home = tempDir('ucctl-labtls-')
    env = {UCCTL_HOME: home, UCCTL_NO_KEYCHAIN: '1'}
  })
  after(async () => {
    await runCli(['lab', 'down'], env)
    rmSync(home, {recursive: true, force: true})
  })

  it('lab up --tls, context add with the lab CA, login, status and an action; a viewer gets exit 4', async () => {
    const up = await cli(['lab', 'up', '--tls', '--json'])
    assert.equal(up.code, 0, up.stderr)
    assert.deepEqual(schemaProblems(up.json), [])
    assert.ok(up.json.nodes.every((n: any) => n.url.startsWith('https://127.0.0.1:')))
    const ca = join(home, 'state', 'lab', 'tls', 'ca.pem')
    const add = await cli(['context', 'add', 'lab-https', ...up.json.nodes.flatMap((n: any) => ['--agent', n.url]), '--ca', ca, '--json'])
    assert.equal(add.code, 0, add.stderr)
    assert.equal(add.json.nodes.length, 7)
    const creds = JSON.parse(readFileSync(join(home, 'state', 'lab', 'credentials.json'), 'utf8'))
    const login = await cli(['login', '--token-stdin', '--json'], {}, creds.operator)
    assert.equal(login.code, 0, login.stderr)
    assert.equal(login.json.store, 'file')
    const status = await cli(['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(status.json.context, 'lab-https')
    assert.ok(status.json.nodes.every((n: any) => n.health === 'ok'))
    const act = await cli(['service', 'cycle', 'NM', '--node', 'ctios-a', '--json'])
    assert.equal(act.code, 0, act.stderr)
    assert.equal(act.json.state, 'succeeded')
    const viewer = await cli(['service', 'stop', 'NM', '--node', 'ctios-a'], {UCCTL_TOKEN: creds.viewer})
    assert.equal(viewer.code, 4)
    assert.match(viewer.stderr, /viewer may read but not act/)

    // Read at rest: running agents replace files (write to a temporary file, rename) as they go.
    assert.equal((await cli(['lab', 'down'])).code, 0)
    const tokens = [creds.operator, creds.viewer, creds.peer]
    const allowed = new Set([join(home, 'state', 'lab', 'credentials.json'), join(home, 'config', 'credentials.json')])
    for (const f of filesUnder(home)) {
      const text = readFileSync(f, 'utf8')
      const holds = tokens.some((t) => text.includes(t))
      if (allowed.has(f)) assert.equal(statSync(f).mode & 0o777, 0o600, f)
      else assert.ok(!holds, `a token in clear text in ${f}`)
    }
    for (const o of outputs) for (const t of tokens) assert.ok(!o.includes(t), 'a token in the output')
  })
})
