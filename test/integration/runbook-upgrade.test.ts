// The standard upgrade of UPG-5 as a runbook against the embedded lab (real agents, real
// processes): it checks clean from the lab's current state, and its run ends with every node on
// 9.0(1), each line in the state the check predicted.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {ROOT, schemaProblems} from '../helpers/cli.js'
import {type RunbookLab, startRunbookLab} from '../helpers/runbook-lab.js'

const UPGRADE = join(ROOT, 'examples', 'runbooks', 'standard-upgrade.ucctl')
const INSTALL = {upgradeInstallMs: 300, switchVersionMs: 200}

describe('the standard upgrade runbook against the embedded lab', () => {
  let lab: RunbookLab
  let home: string
  const ucctl = (...args: string[]) => lab.ucctl(...args)

  before(async () => {
    // Installs and reboots shorter than the fast profile's: the runbook's lines run one after
    // the other, and what they check is the order and the states, not how long each lasts.
    lab = await startRunbookLab('ucctl-runbook-upgrade-', INSTALL)
    home = lab.home
  })
  after(() => lab.down())

  it("the topology's timing reaches every node's agent", () => {
    for (const n of ['cucm-pub', 'imp-sub', 'cuc-pub', 'ctios-a']) {
      const config = JSON.parse(readFileSync(join(home, 'state', 'lab', n, 'node.yaml'), 'utf8'))
      assert.deepEqual(config.timing, {profile: 'fast', overrides: INSTALL}, n)
    }
  })

  it('UPG-5: the standard upgrade checks clean against the lab, and its run ends with every node on 9.0(1), each line in the state the check predicted', async () => {
    const c = await ucctl('runbook', 'check', UPGRADE, '--json')
    assert.equal(c.code, 0, c.stdout + c.stderr)
    assert.deepEqual(schemaProblems(c.json), [])
    assert.equal(c.json.steps.length, 14)
    const transcript = join(home, 'upgrade.transcript.json')
    const r = await ucctl('runbook', 'run', UPGRADE, '--transcript', transcript, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(schemaProblems(r.json), [])
    const t = JSON.parse(readFileSync(transcript, 'utf8'))
    assert.deepEqual(schemaProblems(t), [])
    assert.deepEqual(t, r.json)
    assert.equal(t.ok, true)
    assert.equal(t.finished, true)
    assert.deepEqual(
      t.steps.map((s: any) => s.line),
      c.json.steps.map((s: any) => s.line),
    )
    for (const [i, s] of t.steps.entries()) {
      assert.equal(s.exitCode, 0, `line ${s.line}`)
      assert.ok(Date.parse(s.endedAt) >= Date.parse(s.startedAt))
      assert.equal(s.matchesPrediction, true, `line ${s.line}: ${(s.differences ?? []).join('; ')}`)
      assert.deepEqual(s.stateReached, c.json.steps[i].stateAfter, `line ${s.line}`)
    }
    // The state reached after the last line, as read from the agents.
    const v = Object.fromEntries(t.steps.at(-1).stateReached.nodes.map((n: any) => [n.name, n.version]))
    for (const n of ['cucm-pub', 'cucm-sub']) assert.equal(v[n], '9.0.1.10000-37', n)
    for (const n of ['imp-pub', 'imp-sub']) assert.equal(v[n], '9.0.1.10000-9', n)
  })
})
