// A lab topology's timing: a profile's name, or node.yaml's {profile, overrides}, checked when
// it is read (before any agent starts).
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {UsageError} from '../../src/lib/errors.js'
import {loadTopology} from '../../src/lib/lab/topology.js'
import {tempDir} from '../helpers/agents.js'

describe('lab topology timing', () => {
  const dir = tempDir()
  after(() => rmSync(dir, {recursive: true, force: true}))
  const topology = (timing: unknown) => {
    const file = join(dir, `t${Math.random().toString(36).slice(2)}.yaml`)
    writeFileSync(
      file,
      JSON.stringify({
        name: 't',
        ...(timing === undefined ? {} : {timing}),
        nodes: [{name: 'n1', product: 'cucm', role: 'publisher', version: '8.6.2.10000-30', cluster: 'c1'}],
      }),
    )
    return file
  }

  it('a profile by name, fast when none is given, and no overrides', async () => {
    assert.deepEqual(
      [await loadTopology(topology('documented')), await loadTopology(topology(undefined))].map((t) => [t.timing, t.timingOverrides]),
      [
        ['documented', undefined],
        ['fast', undefined],
      ],
    )
  })

  it('a profile with settings that differ from it, for every node', async () => {
    const t = await loadTopology(topology({profile: 'fast', overrides: {upgradeInstallMs: 300, switchVersionMs: 200}}))
    assert.equal(t.timing, 'fast')
    assert.deepEqual(t.timingOverrides, {upgradeInstallMs: 300, switchVersionMs: 200})
  })

  it('an unknown setting or a negative duration is refused, naming the topology', async () => {
    for (const timing of [{overrides: {upgradeInstalMs: 300}}, {overrides: {upgradeInstallMs: -1}}, 'quick']) {
      await assert.rejects(
        loadTopology(topology(timing)),
        (e: unknown) => e instanceof UsageError && /topology/.test(e.message),
        JSON.stringify(timing),
      )
    }
  })
})
