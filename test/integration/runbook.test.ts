// Runbooks against the embedded lab (real agents, real processes): the snapshot of its state, a
// refused runbook that runs nothing, a run that stops at a failing line and resumes. The run of
// the standard upgrade is in runbook-upgrade.test.ts (its own lab, its own time budget).
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {ROOT, schemaProblems} from '../helpers/cli.js'
import {type RunbookLab, startRunbookLab} from '../helpers/runbook-lab.js'

const UPGRADE = join(ROOT, 'examples', 'runbooks', 'standard-upgrade.ucctl')

// Every test here reads the lab or is refused before it changes anything (each checks so): they
// share one lab, two at a time.
describe('runbooks against the embedded lab', {concurrency: 2}, () => {
  let lab: RunbookLab
  let home: string
  const ucctl = (...args: string[]) => lab.ucctl(...args)
  const file = (name: string, text: string) => {
    const path = join(home, name)
    writeFileSync(path, text)
    return path
  }
  const versions = async () => {
    const r = await ucctl('status', '--json')
    assert.equal(r.code, 0, r.stderr)
    return Object.fromEntries(r.json.nodes.map((n: any) => [n.name, n.version]))
  }

  before(async () => {
    lab = await startRunbookLab('ucctl-runbook-lab-')
    home = lab.home
  })
  after(() => lab.down())

  it('snapshot save writes every node (versions, partitions, services, statuses, users) as a valid Snapshot', async () => {
    const path = join(home, 'before.json')
    const r = await ucctl('snapshot', 'save', path, '--json')
    assert.equal(r.code, 0, r.stderr)
    const saved = JSON.parse(readFileSync(path, 'utf8'))
    assert.deepEqual(schemaProblems(saved), [])
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(saved.context, 'lab')
    assert.deepEqual(
      saved.nodes.map((n: any) => n.name),
      ['cucm-pub', 'cucm-sub', 'imp-pub', 'imp-sub', 'cuc-pub', 'cuc-sub', 'ctios-a'],
    )
    const imp = saved.nodes.find((n: any) => n.name === 'imp-pub')
    assert.equal(imp.version, '8.6.4.10000-10')
    assert.equal(imp.inactive, null)
    assert.ok(imp.services.some((s: any) => s.name === 'Cisco XCP Router' && s.critical))
    assert.equal(
      saved.groups[0].nodes.reduce((sum: number, n: any) => sum + n.users, 0),
      15000,
    )
    assert.equal(saved.nodes.find((n: any) => n.name === 'cuc-pub').connection.status, 'Primary')
  })

  it('UPG-5: a runbook with two upgrade lines swapped fails its check at that line, and `runbook run` of it runs nothing (exit 3)', async () => {
    const lines = readFileSync(UPGRADE, 'utf8').split('\n')
    const a = lines.findIndex((l) => l.startsWith('ucctl node upgrade cucm-pub'))
    const b = lines.findIndex((l) => l.startsWith('ucctl node switch-version cucm-pub'))
    ;[lines[a], lines[b]] = [lines[b], lines[a]]
    const swapped = file('swapped.ucctl', lines.join('\n'))
    const c = await ucctl('runbook', 'check', swapped, '--json')
    assert.equal(c.code, 3, c.stderr)
    assert.deepEqual(schemaProblems(c.json), [])
    const refused = c.json.steps.find((s: any) => !s.ok)
    assert.equal(refused.line, a + 1)
    assert.equal(refused.rule, 'UPG-5')
    assert.match(refused.fix, /upgrade cucm-pub/)
    const before = await versions()
    const r = await ucctl('runbook', 'run', swapped, '--json')
    assert.equal(r.code, 3)
    assert.equal(r.json.kind, 'Error')
    assert.equal(r.json.error.rule, 'UPG-5')
    assert.match(r.json.error.message, /nothing was run/)
    assert.deepEqual(await versions(), before)
  })

  it('runbook run stops at the first line that exits non-zero, with its exit code and a transcript; --from resumes after it', async () => {
    const path = file('stops.ucctl', ['status', "upgrade validate --plan 'no such file.yaml'", 'pcluster status'].join('\n'))
    const r = await ucctl('runbook', 'run', path, '--json')
    assert.equal(r.code, 2, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    assert.equal(r.json.stoppedAt, 2)
    assert.deepEqual(
      r.json.steps.map((s: any) => [s.line, s.exitCode]),
      [
        [1, 0],
        [2, 2],
      ],
    )
    assert.equal(r.json.steps[1].matchesPrediction, null, 'upgrade validate is not simulated')
    const saved = JSON.parse(readFileSync(`${path}.transcript.json`, 'utf8'))
    assert.equal(saved.stoppedAt, 2)
    assert.equal(saved.finished, true)
    assert.equal(saved.ok, false)
    const resumed = await ucctl('runbook', 'run', path, '--from', '3', '--json')
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.deepEqual(
      resumed.json.steps.map((s: any) => s.line),
      [3],
    )
  })

  it('--step without a terminal refuses (exit 2) before running anything', async () => {
    const r = await ucctl('runbook', 'run', file('step.ucctl', 'pcluster failover imp-pub --yes\n'), '--step', '--json')
    assert.equal(r.code, 2)
    const p = await ucctl('pcluster', 'status', '--json')
    assert.equal(p.json.groups[0].row, 1)
  })
})
