// Issue 13: shell completion, for real in bash (and zsh and fish when installed): commands,
// flags, flag values, and the names of the current context (nodes from the context, services
// from its agent, cached briefly).
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {BIN, writeContext} from '../helpers/cli.js'

const has = (shell: string) => !spawnSync(shell, ['-c', 'true']).error

describe('shell completion (issue 13)', () => {
  let agent: TestAgent
  const home = tempDir()
  const bin = tempDir()
  const env = () => ({...process.env, UCCTL_HOME: home, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1'})

  before(async () => {
    agent = await startTestAgent({name: 'imp-a', product: 'imp'})
    // Two nodes: imp-a answers; imp-b is named by the context only (no agent needed for names).
    writeContext(home, 'site', [
      {name: 'imp-a', url: agent.url},
      {name: 'imp-b', url: 'http://127.0.0.1:9'},
    ])
    // `ucctl` on the PATH, as after npm install -g.
    writeFileSync(join(bin, 'ucctl'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(join(bin, 'ucctl'), 0o755)
  })
  after(() => agent.dispose().catch(() => {}))

  /** What bash completes for the words, the last being the one under the cursor. */
  async function bash(...words: string[]): Promise<string[]> {
    const script = `source <(ucctl completion bash)
COMP_WORDS=(ucctl ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}
COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
complete -p ucctl >/dev/null || exit 9
_ucctl_complete
printf '%s\\n' "\${COMPREPLY[@]}"`
    // Not spawnSync: the agent answering the names runs in this process.
    const child = spawn('bash', ['--norc', '-c', script], {env: env()})
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const code = await new Promise((resolve) => child.on('close', resolve))
    assert.equal(code, 0, err)
    return out.split('\n').filter(Boolean)
  }

  it('bash: pcluster failover <TAB> completes the node names of the current context', async () => {
    assert.deepEqual(await bash('pcluster', 'failover', ''), ['imp-a', 'imp-b'])
    assert.deepEqual(await bash('pcluster', 'failover', 'IMP-B'), ['imp-b'])
  })

  it('bash: commands, topics, flags and flag values', async () => {
    assert.deepEqual(await bash('stat'), ['status'])
    assert.ok((await bash('pcluster', '')).includes('failover'))
    assert.ok((await bash('service', 'list', '--n')).includes('--node'))
    assert.deepEqual(await bash('service', 'list', '--node', 'imp-'), ['imp-a', 'imp-b'])
    assert.deepEqual(await bash('status', '-o', 'w'), ['wide'])
    assert.deepEqual(await bash('completion', ''), ['bash', 'zsh', 'fish'])
  })

  it("bash: a service name with spaces completes escaped, from the node's agent, then from the cache", async () => {
    assert.deepEqual(await bash('service', 'stop', '--node', 'imp-a', 'Cisco\\ Pres'), ['Cisco\\ Presence\\ Engine'])
    const cache = JSON.parse(readFileSync(join(home, 'state', 'completion-cache.json'), 'utf8'))
    assert.ok(cache['|service|imp-a'].names.includes('Cisco Presence Engine'))
    // From the cache now: the agent's answers are not needed within the minute.
    await agent.dispose({keepState: true})
    assert.deepEqual(await bash('service', 'start', '--node', 'imp-a', 'Cisco\\ Pres'), ['Cisco\\ Presence\\ Engine'])
  })

  it('zsh and fish scripts load and complete node names', {
    skip: !has('zsh') && !has('fish') ? 'neither zsh nor fish is installed' : false,
  }, () => {
    if (has('fish')) {
      const r = spawnSync('fish', ['--no-config', '-c', 'ucctl completion fish | source; complete -C "ucctl pcluster failover "'], {
        env: env(),
        encoding: 'utf8',
      })
      assert.equal(r.status, 0, r.stderr)
      assert.deepEqual(
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]),
        ['imp-a', 'imp-b'],
      )
    }
    if (has('zsh')) {
      const r = spawnSync(
        'zsh',
        ['-f', '-c', 'autoload -U compinit && compinit -u; source <(ucctl completion zsh); whence -w _ucctl_complete'],
        {env: env(), encoding: 'utf8'},
      )
      assert.equal(r.status, 0, r.stderr)
      assert.match(r.stdout, /_ucctl_complete: function/)
    }
  })
})
