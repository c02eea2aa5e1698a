// The CLI starts from its bundle (scripts/bundle.js): oclif and undici come from dist/cli, not
// from node_modules' hundreds of files, (issue 14).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {BIN, writeContext} from '../helpers/cli.js'

describe('the CLI bundle (issue 14)', () => {
  const home = mkdtempSync(join(tmpdir(), 'ucctl-bundle-'))
  after(() => rmSync(home, {recursive: true, force: true}))

  it('a run that sends a request loads oclif and undici from the bundle', () => {
    // Port 1 refuses at once: the client loads undici, tries, and the run exits 7.
    writeContext(home, 'dead', [{name: 'n1', url: 'http://127.0.0.1:1'}])
    const preload = join(home, 'modules.cjs')
    const out = join(home, 'modules.json')
    // CommonJS modules, and so every file of node_modules' oclif and undici, land in require.cache.
    writeFileSync(
      preload,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULES_OUT, JSON.stringify(Object.keys(require.cache))))",
    )
    const r = spawnSync(process.execPath, ['--require', preload, BIN, 'service', 'list', '--json'], {
      env: {...process.env, UCCTL_HOME: home, MODULES_OUT: out, NO_COLOR: '1'},
      encoding: 'utf8',
    })
    assert.equal(r.status, 7, r.stderr)
    assert.equal(JSON.parse(r.stdout).error.code, 'Unreachable')
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[]
    assert.deepEqual(
      loaded.filter((f) => /node_modules[\\/](@oclif[\\/]core|undici)[\\/]/.test(f)),
      [],
    )
  })
})
