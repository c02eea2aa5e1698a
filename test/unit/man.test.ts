import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {ROOT} from '../helpers/cli.js'

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'))
const ids = Object.keys(manifest.commands).filter((id) => manifest.commands[id].pluginName === 'ucctl')

describe('man pages generated at build from command metadata', () => {
  for (const id of ids) {
    it(`man/man1/ucctl-${id.replaceAll(':', '-')}.1 has name, synopsis, options, examples and exit codes`, () => {
      const page = readFileSync(join(ROOT, 'man', 'man1', `ucctl-${id.replaceAll(':', '-')}.1`), 'utf8')
      for (const section of ['.SH NAME', '.SH SYNOPSIS', '.SH OPTIONS', '.SH EXIT STATUS']) assert.ok(page.includes(section), `${section} missing`)
      if (manifest.commands[id].examples?.length) assert.ok(page.includes('.SH EXAMPLES'))
      for (const code of ['\\fB0\\fR', '\\fB2\\fR', '\\fB7\\fR', '\\fB124\\fR']) assert.ok(page.includes(code), `exit ${code} missing`)
      assert.ok(page.includes('\\-\\-json'), '--json flag missing')
    })
  }
})
