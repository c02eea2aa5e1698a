import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {ROOT} from '../helpers/cli.js'

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'))
const ids = Object.keys(manifest.commands).filter((id) => manifest.commands[id].pluginName === 'ucctl' && !manifest.commands[id].hidden)

describe('man pages generated at build from command metadata', () => {
  for (const id of ids) {
    it(`man/man1/ucctl-${id.replaceAll(':', '-')}.1 has name, synopsis, options, examples and exit codes`, () => {
      const page = readFileSync(join(ROOT, 'man', 'man1', `ucctl-${id.replaceAll(':', '-')}.1`), 'utf8')
      const hasFlags = Object.values(manifest.commands[id].flags).some((f: any) => !f.hidden)
      for (const section of ['.SH NAME', '.SH SYNOPSIS', ...(hasFlags ? ['.SH OPTIONS'] : []), '.SH EXIT STATUS'])
        assert.ok(page.includes(section), `${section} missing`)
      if (manifest.commands[id].examples?.length) assert.ok(page.includes('.SH EXAMPLES'))
      for (const code of ['\\fB0\\fR', '\\fB2\\fR', '\\fB7\\fR', '\\fB124\\fR']) assert.ok(page.includes(code), `exit ${code} missing`)
      if (manifest.commands[id].flags.json) assert.ok(page.includes('\\-\\-json'), '--json flag missing')
    })
  }

  it("package.json's man lists every page, so that a global install links them (run: node scripts/gen-man.js --package-json)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    const pages = ['./man/man1/ucctl.1', ...ids.sort().map((id) => `./man/man1/ucctl-${id.replaceAll(':', '-')}.1`)]
    assert.deepEqual([...pkg.man].sort(), pages.sort())
  })
})
