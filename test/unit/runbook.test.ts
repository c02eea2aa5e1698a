// Runbook check without agents: runbooks as operators write them, parsed with each command's own
// flags (oclif, the built CLI) and simulated from the shipped snapshot of a fresh lab
// (examples/runbooks/lab-snapshot.json, written by `ucctl snapshot save`).
import assert from 'node:assert/strict'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {type Deployment, simulateStep, stateView} from '../../src/lib/domain/simulation.js'
import {splitRunbook} from '../../src/lib/cli/runbook-parse.js'
import {connectSoftphone, requestState} from '../../src/lib/domain/cti-failover.js'
import {tempDir} from '../helpers/agents.js'
import {ROOT, runCliInProcess, schemaProblems} from '../helpers/cli.js'

const EXAMPLES = join(ROOT, 'examples', 'runbooks')
const SNAPSHOT = join(EXAMPLES, 'lab-snapshot.json')
const UPGRADE = join(EXAMPLES, 'standard-upgrade.ucctl')
const dir = tempDir('ucctl-runbook-')
after(() => rmSync(dir, {recursive: true, force: true}))

let n = 0
function file(text: string): string {
  const path = join(dir, `runbook-${++n}.ucctl`)
  writeFileSync(path, text)
  return path
}

/** `ucctl runbook check FILE --snapshot lab-snapshot.json --json`, its document checked against its schema. */
async function check(path: string, ...more: string[]) {
  const r = await runCliInProcess(['runbook', 'check', path, '--snapshot', SNAPSHOT, '--json', ...more])
  if (r.json?.kind === 'RunbookCheck') assert.deepEqual(schemaProblems(r.json), [])
  return r
}

const lab = (): Deployment => {
  const doc = JSON.parse(readFileSync(SNAPSHOT, 'utf8'))
  return {nodes: doc.nodes, groups: doc.groups}
}
const stepAt = (r: {json: any}, line: number) => r.json.steps.find((s: any) => s.line === line)
const commandLines = (text: string) => splitRunbook(text).map((l) => l.line)

describe('runbook files as operators write them', () => {
  it('one command per line: # comments, blank lines, quoting and \\ continuation; each command keeps its first line', () => {
    const lines = splitRunbook(
      [
        '# a comment',
        '',
        "ucctl service stop 'Cisco XCP Router' --node imp-sub   # trailing comment",
        'node switch-version imp-pub \\',
        '  --yes',
        'upgrade plan --to "9.0(1)"',
        "echo it\\'s 'a''b' \"x\\\"y\"",
      ].join('\n'),
    )
    assert.deepEqual(
      lines.map((l) => [l.line, l.words]),
      [
        [3, ['ucctl', 'service', 'stop', 'Cisco XCP Router', '--node', 'imp-sub']],
        [4, ['node', 'switch-version', 'imp-pub', '--yes']],
        [6, ['upgrade', 'plan', '--to', '9.0(1)']],
        [7, ['echo', "it's", 'ab', 'x"y']],
      ],
    )
    assert.ok(lines.every((l) => l.problem === undefined))
  })

  it('shell syntax a runbook line cannot hold is a problem of its line, not silently run', () => {
    const lines = splitRunbook('status | grep ok\nstatus\nnode upgrade x --version $V\nservice stop "unclosed\n')
    assert.deepEqual(
      lines.map((l) => [l.line, l.problem !== undefined]),
      [
        [1, true],
        [2, false],
        [3, true],
        [4, true],
      ],
    )
    assert.match(lines[3].problem!, /never closed/)
  })

  it('the standard upgrade example holds 14 command lines', () => {
    assert.equal(commandLines(readFileSync(UPGRADE, 'utf8')).length, 14)
  })
})

describe('ucctl runbook check --snapshot (no agent)', () => {
  it('UPG-5: the standard upgrade written as 14 command lines checks clean; every node ends on 9.0(1)', async () => {
    const r = await check(UPGRADE)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.equal(r.json.ok, true)
    assert.equal(r.json.steps.length, 14)
    assert.ok(
      r.json.steps.every((s: any) => s.verdict === 'allowed'),
      JSON.stringify(r.json.steps.map((s: any) => s.verdict)),
    )
    const end = r.json.steps.at(-1).stateAfter
    for (const name of ['cucm-pub', 'cucm-sub', 'imp-pub', 'imp-sub']) {
      const node = end.nodes.find((x: any) => x.name === name)
      assert.match(node.version, /^9\.0\.1\./, name)
      assert.match(node.inactive, /^8\.6\./, name)
    }
    assert.equal(end.groups[0].row, 1)
  })

  it('UPG-5: the same file with two lines swapped fails at the right line with the rule and the fix (exit 3)', async () => {
    const lines = readFileSync(UPGRADE, 'utf8').split('\n')
    const a = lines.findIndex((l) => l.startsWith('ucctl node upgrade cucm-sub'))
    const b = lines.findIndex((l) => l.startsWith('ucctl node upgrade imp-sub'))
    ;[lines[a], lines[b]] = [lines[b], lines[a]]
    const r = await check(file(lines.join('\n')))
    assert.equal(r.code, 3)
    assert.equal(r.json.ok, false)
    const refused = r.json.steps.filter((s: any) => !s.ok)
    assert.equal(refused.length, 1)
    assert.equal(refused[0].line, a + 1)
    assert.equal(refused[0].rule, 'UPG-5')
    assert.match(refused[0].command, /node upgrade imp-sub/)
    assert.match(refused[0].fix, /upgrade cucm-sub/)
    // The real run stops there: later lines are parsed and named, their state is the refused line's.
    const later = r.json.steps.filter((s: any) => s.line > a + 1)
    assert.ok(later.every((s: any) => s.verdict === 'not simulated'))
    assert.deepEqual(later.at(-1).stateAfter, refused[0].stateAfter)
  })

  it('UPG-3: an IM and Presence upgrade before the Unified CM publisher has the release is refused', async () => {
    const r = await check(file('node upgrade imp-pub --version 9.0.1.10000-9\n'))
    assert.equal(r.code, 3)
    assert.equal(stepAt(r, 1).rule, 'UPG-3')
    assert.match(stepAt(r, 1).fix, /cucm-pub/)
  })

  it('PRG-7: failing over imp-pub, then stopping a critical service on imp-sub, reports row 15 and its recommended action', async () => {
    const r = await check(join(EXAMPLES, 'presence-failover.ucctl'))
    assert.equal(r.code, 0, JSON.stringify(r.json))
    const failover = r.json.steps.find((s: any) => s.commandId === 'pcluster failover')
    assert.deepEqual(failover.effects.usersMoved, [{from: 'imp-pub', to: 'imp-sub', users: 7500}])
    assert.equal(failover.stateAfter.groups[0].row, 3)
    assert.equal(failover.stateAfter.nodes.find((x: any) => x.name === 'imp-sub').users, 15000)
    const stop = r.json.steps.find((s: any) => s.commandId === 'service stop')
    const group = stop.stateAfter.groups[0]
    assert.equal(group.row, 15)
    assert.match(
      group.recommendedAction,
      /^On the backup node: 1\. Check the critical services that are down; to start them, select Recover/,
    )
    assert.match(stop.message, /PRG-7 row 15; recommended: On the backup node/)
    for (const name of ['imp-pub', 'imp-sub']) {
      assert.deepEqual(stop.stateAfter.nodes.find((x: any) => x.name === name).presence, {
        state: 'Running in Failed Mode',
        reason: 'Critical Service Down',
      })
    }
  })

  it('PRG-8: a fallback with no failover before it is refused, with what is allowed now', async () => {
    const r = await check(file('pcluster status\npcluster fallback imp-pub --yes\n'))
    assert.equal(r.code, 3)
    assert.equal(stepAt(r, 2).rule, 'PRG-8')
    assert.match(stepAt(r, 2).fix, /allowed now: failover imp-pub, failover imp-sub/)
  })

  it('UC-7: a runbook that deactivates a Primary is refused at its line, with the fix', async () => {
    const r = await check(join(EXAMPLES, 'voicemail-maintenance.ucctl'))
    assert.equal(r.code, 3)
    const refused = r.json.steps.find((s: any) => !s.ok)
    assert.equal(refused.line, 5)
    assert.equal(refused.rule, 'UC-7')
    assert.match(refused.message, /only a Secondary server can be deactivated/)
    assert.match(refused.fix, /ucctl cluster make-primary cuc-sub/)
    // The line before it ran in the simulation: cuc-pub stopped taking calls.
    assert.equal(stepAt(r, 4).verdict, 'allowed')
  })

  it('an unknown flag or command, and shell syntax, are findings with their line (exit 3); the --dry-run of a refused action is refused too', async () => {
    const r = await check(
      file('status --bogus\n\nfrobnicate now\nstatus | grep ok\nevents --follow\ncluster deactivate cuc-pub --dry-run\n'),
    )
    assert.equal(r.code, 3)
    assert.deepEqual(
      r.json.steps.map((s: any) => [s.line, s.verdict]),
      [
        [1, 'invalid'],
        [3, 'invalid'],
        [4, 'invalid'],
        [5, 'invalid'],
        [6, 'not simulated'],
      ],
    )
    assert.match(stepAt(r, 5).message, /--follow runs until interrupted/)
    assert.match(stepAt(r, 1).message, /Nonexistent flag: --bogus/)
    assert.match(stepAt(r, 3).message, /unknown command "frobnicate now"/)
    const dry = await check(file('cluster deactivate cuc-pub --dry-run\ncluster make-primary cuc-sub --dry-run\n'))
    assert.equal(stepAt(dry, 1).rule, 'UC-7')
    assert.equal(stepAt(dry, 1).ok, false)
  })

  it('a dry run changes nothing in the simulation; commands the model cannot simulate are named, never skipped', async () => {
    const r = await check(
      file(
        'pcluster failover imp-pub --dry-run\nthrottle status\nevents --since 10m\npcluster failover imp-pub --yes\npcluster fallback imp-pub --yes --context prod\n',
      ),
    )
    assert.equal(r.code, 0, JSON.stringify(r.json))
    assert.equal(stepAt(r, 5).verdict, 'not simulated')
    assert.match(stepAt(r, 5).message, /it acts on context prod, not lab/)
    assert.equal(stepAt(r, 5).stateAfter.groups[0].row, 3)
    assert.match(stepAt(r, 1).message, /^dry run, nothing changes/)
    assert.equal(stepAt(r, 1).stateAfter.groups[0].row, 1)
    for (const line of [2, 3]) {
      assert.equal(stepAt(r, line).verdict, 'not simulated')
      assert.match(stepAt(r, line).message, /^not simulated: the model does not hold what/)
    }
    assert.equal(stepAt(r, 4).stateAfter.groups[0].row, 3)
  })

  it('PRG-1: pcluster check on the simulated state fails once only one IM and Presence node runs the new version', async () => {
    const r = await check(
      file(
        [
          'node upgrade cucm-pub --version 9.0.1.10000-37',
          'node upgrade imp-pub --version 9.0.1.10000-9',
          'node upgrade cucm-sub --version 9.0.1.10000-37',
          'node upgrade imp-sub --version 9.0.1.10000-9',
          'node switch-version cucm-pub --yes',
          'node switch-version imp-pub --yes',
          'pcluster check',
        ].join('\n'),
      ),
    )
    assert.equal(r.code, 3)
    const c = stepAt(r, 7)
    assert.equal(c.rule, 'PRG-1')
    assert.ok(c.findings.some((f: any) => f.rule === 'PRG-1' && f.severity === 'error'))
  })

  it('bad input changes nothing and exits 2: an empty runbook, a missing file, a file that is not a snapshot', async () => {
    assert.equal((await check(file('# only a comment\n\n'))).code, 2)
    assert.equal((await check(join(dir, 'missing.ucctl'))).code, 2)
    const notSnapshot = join(dir, 'not-a-snapshot.json')
    writeFileSync(notSnapshot, JSON.stringify({apiVersion: 'ucctl/v1', kind: 'NodeList', nodes: []}))
    const r = await runCliInProcess(['runbook', 'check', UPGRADE, '--snapshot', notSnapshot, '--json'])
    assert.equal(r.code, 2)
    assert.match(r.json.error.message, /snapshot .* is invalid/)
  })

  it('the shipped snapshot is a valid Snapshot document', () => {
    assert.deepEqual(schemaProblems(JSON.parse(readFileSync(SNAPSHOT, 'utf8'))), [])
  })
})

describe('simulateStep (the domain model of a runbook step)', () => {
  const withCalls = (d: Deployment, node: string, calls: number): Deployment => {
    const c = d.nodes.find((x) => x.name === node)!.connection!
    c.callsInProgress = calls
    return d
  }

  it('UC-8: deactivating a Secondary with calls in progress drops them; with --drain none is dropped', () => {
    const d = withCalls(lab(), 'cuc-sub', 3)
    const plain = simulateStep(d, {kind: 'cluster', action: 'deactivate', node: 'cuc-sub', drain: false}, 0)
    assert.equal(plain.ok, true)
    assert.deepEqual(plain.effects.callsDropped, [{node: 'cuc-sub', calls: 3}])
    assert.equal(stateView(plain.deployment).nodes.find((x) => x.name === 'cuc-sub')!.status, 'Deactivated')
    const drained = simulateStep(d, {kind: 'cluster', action: 'deactivate', node: 'cuc-sub', drain: true}, 0)
    assert.deepEqual(drained.effects.callsDropped, [])
    assert.equal(d.nodes.find((x) => x.name === 'cuc-sub')!.connection!.status, 'Secondary', 'the input is not modified')
  })

  it('UC-10: a critical service stopped on the Primary publisher makes the subscriber Primary', () => {
    const r = simulateStep(lab(), {kind: 'service', action: 'stop', node: 'cuc-pub', service: 'Connection Notifier'}, 0)
    const v = stateView(r.deployment)
    assert.equal(v.nodes.find((x) => x.name === 'cuc-pub')!.status, 'Secondary')
    assert.equal(v.nodes.find((x) => x.name === 'cuc-sub')!.status, 'Primary')
    assert.ok(r.rules.some((x) => x.startsWith('UC-10')))
  })

  it('PRG-4: a switch version of an Idle IM and Presence node leaves its critical services stopped (row 3 kept)', () => {
    let d = lab()
    for (const a of [
      {kind: 'upgrade', node: 'cucm-pub', version: '9.0.1.10000-37'},
      {kind: 'upgrade', node: 'imp-pub', version: '9.0.1.10000-9'},
      {kind: 'upgrade', node: 'cucm-sub', version: '9.0.1.10000-37'},
      {kind: 'upgrade', node: 'imp-sub', version: '9.0.1.10000-9'},
      {kind: 'switch-version', node: 'cucm-pub'},
      {kind: 'pcluster', event: {type: 'failover', node: 'imp-pub'}},
      {kind: 'switch-version', node: 'imp-pub'},
    ] as const) {
      const r = simulateStep(d, a, 0)
      assert.equal(r.ok, true, `${a.kind}: ${r.message}`)
      d = r.deployment
    }
    const v = stateView(d)
    assert.equal(v.groups[0].row, 3)
    assert.ok(v.nodes.find((x) => x.name === 'imp-pub')!.stopped.includes('Cisco XCP Router'))
  })

  it('PRG-7: the SRM of imp-sub stopped while both are Normal: imp-sub is down and imp-pub serves its users (row 16)', () => {
    const r = simulateStep(lab(), {kind: 'service', action: 'stop', node: 'imp-sub', service: 'Cisco Server Recovery Manager'}, 0)
    const v = stateView(r.deployment)
    assert.equal(v.groups[0].row, 16)
    assert.deepEqual(r.effects.usersMoved, [{from: 'imp-sub', to: 'imp-pub', users: 7500}])
  })

  /** The lab with its first `count` softphones connected and logged in (Available). */
  const withSoftphones = (count: number): Deployment => {
    const d = lab()
    const node = d.nodes.find((x) => x.name === 'ctios-a')!
    for (const id of Object.keys(node.ctios!.agents).slice(0, count)) {
      node.ctios = connectSoftphone(node.ctios!, id).env
      node.ctios = requestState(node.ctios, id, 'Available').env
    }
    return d
  }
  const softphones = (d: Deployment) => stateView(d).nodes.find((x) => x.name === 'ctios-a')!.softphones

  it('CTI-5: a switch out of service sends Offline to exactly the connected softphones on it; CTI-1: a PG side switch, to none', () => {
    const d = withSoftphones(8) // agents 1..8 on switches 1..4, two each
    const r = simulateStep(d, {kind: 'ctios-fault', node: 'ctios-a', fault: {component: 'switch', action: 'down', id: 'switch-2'}}, 0)
    assert.equal(r.ok, true, r.message)
    assert.deepEqual(
      r.effects.offline.map((o) => [o.rule, o.softphones]),
      [['CTI-5', 2]],
    )
    assert.deepEqual(softphones(r.deployment), {connected: 6, Offline: 2, disconnected: 992})
    const side = simulateStep(d, {kind: 'ctios-fault', node: 'ctios-a', fault: {component: 'pg', action: 'switch-side'}}, 0)
    assert.deepEqual(side.effects.offline, [])
  })

  it('CTI-3: stopping CtiosServerNode moves its softphones to the peer CTI OS server; none gets Offline while the peer has room', () => {
    const d = withSoftphones(5)
    const r = simulateStep(d, {kind: 'service', action: 'stop', node: 'ctios-a', service: 'CtiosServerNode'}, 0)
    assert.equal(r.ok, true, r.message)
    assert.deepEqual(r.effects.offline, [])
    const env = r.deployment.nodes.find((x) => x.name === 'ctios-a')!.ctios!
    assert.equal(env.ctios.local.online, false)
    assert.equal(Object.values(env.agents).filter((a) => a.softphone === 'peer').length, 5)
    assert.deepEqual(softphones(r.deployment), {connected: 5, Offline: 0, disconnected: 995})
  })

  it('a refused step leaves the deployment as it was and names its rule', () => {
    const d = lab()
    const r = simulateStep(d, {kind: 'switch-version', node: 'imp-sub'}, 0)
    assert.equal(r.ok, false)
    assert.equal(r.rule, 'UPG-5')
    assert.equal(r.deployment, d)
  })
})
