// `ucctl runbook check`: every line of a runbook parsed with its command's own flags, then
// simulated in order on the domain model (src/lib/domain/simulation.ts) from a context's
// current state or a snapshot. The RunbookCheck document reports each line.
import type {Config} from '@oclif/core/config'
import type {ManualAction} from '../domain/connection-cluster.js'
import type {Component, FaultAction} from '../domain/cti-failover.js'
import type {OperatorAction} from '../domain/presence-redundancy.js'
import type {StartupType} from '../domain/services.js'
import {
  type Deployment,
  type SimAction,
  type StepEffects,
  type StepFinding,
  simulateStep,
  stateView,
  type StateView,
} from '../domain/simulation.js'
import {UsageError} from '../errors.js'
import {type Envelope, envelope} from './base-command.js'
import type {View} from './render.js'
import {formatCommand, parseCommand, type ParsedCommand, splitRunbook} from './runbook-parse.js'
import {readDeployment, readSnapshot} from './snapshot.js'
import type {Target} from './target.js'
import {readInput} from './upgrade.js'

export type StepVerdict = 'allowed' | 'refused' | 'invalid' | 'not simulated'

export interface RunbookStep {
  line: number
  command: string
  /** The command id with spaces (`node upgrade`), when the line names a command. */
  commandId?: string
  argv?: string[]
  verdict: StepVerdict
  /** Allowed, or a read the model could not simulate (it changes nothing it models). */
  ok: boolean
  rule?: string
  message: string
  fix?: string
  changes?: string[]
  rules?: string[]
  effects?: StepEffects
  findings?: StepFinding[]
  /** The state predicted after this line (unchanged by a refused or not-simulated line). */
  stateAfter: StateView
}

// Commands that only read what the model holds: simulated as "changes nothing".
const READS = new Set([
  'status',
  'service:list',
  'cluster:status',
  'pcluster:status',
  'pcluster:users',
  'ctios:status',
  'snapshot:save',
  'runbook:check',
])

const MANUAL: Record<string, ManualAction> = {
  'cluster:make-primary': 'make-primary',
  'cluster:activate': 'activate',
  'cluster:deactivate': 'deactivate',
  'cluster:stop-taking-calls': 'stop-taking-calls',
  'cluster:take-calls': 'take-calls',
}

const str = (v: unknown) => (v === undefined ? undefined : String(v))

/** The node a `--node`-optional command acts on: named, or the only node of the deployment. */
function nodeFlag(d: Deployment, flags: Record<string, unknown>): string {
  const n = str(flags.node)
  if (n !== undefined) return n
  if (d.nodes.length === 1) return d.nodes[0].name
  throw new UsageError('--node is required: this context has several nodes', {hint: `nodes: ${d.nodes.map((x) => x.name).join(', ')}`})
}

/** `ctios fault --node`: named, or the only CTI OS node. */
function ctiosNode(d: Deployment, flags: Record<string, unknown>): string {
  const n = str(flags.node)
  if (n !== undefined) return n
  const ctios = d.nodes.filter((x) => x.product === 'ctios')
  if (ctios.length === 1) return ctios[0].name
  throw new UsageError(`--node is required: this context has ${ctios.length} CTI OS nodes`)
}

/** What a parsed command does on the model, or null when the model cannot simulate it. */
function simAction(p: Pick<ParsedCommand, 'id' | 'args' | 'flags'>, d: Deployment): SimAction | null {
  const {id, args, flags} = p
  if (READS.has(id)) return {kind: 'read'}
  if (MANUAL[id]) return {kind: 'cluster', action: MANUAL[id], node: String(args.server), drain: flags.drain === true}
  const pcluster = (event: OperatorAction, group?: string): SimAction => ({
    kind: 'pcluster',
    event,
    ...(group === undefined ? {} : {group}),
  })
  switch (id) {
    case 'node:upgrade':
      return {kind: 'upgrade', node: String(args.node), version: String(flags.version)}
    case 'node:switch-version':
      return {kind: 'switch-version', node: String(args.node)}
    case 'node:restart':
      return {kind: 'node-restart', node: String(args.node)}
    case 'service:start':
    case 'service:stop':
    case 'service:cycle':
      return {
        kind: 'service',
        action: id.slice('service:'.length) as 'start' | 'stop' | 'cycle',
        node: nodeFlag(d, flags),
        service: String(args.service),
      }
    case 'service:startup':
      return {kind: 'service-startup', node: nodeFlag(d, flags), service: String(args.service), startup: args.type as StartupType}
    case 'pcluster:failover':
      return pcluster({type: 'failover', node: String(args.node)})
    case 'pcluster:fallback':
      return pcluster({type: 'fallback', node: String(args.node)})
    case 'pcluster:recover':
      return pcluster({type: 'recover'}, str(args.group))
    case 'pcluster:ha:enable':
      return pcluster({type: 'haEnable'}, str(args.group))
    case 'pcluster:ha:disable':
      return pcluster({type: 'haDisable'}, str(args.group))
    case 'ctios:fault':
      return {
        kind: 'ctios-fault',
        node: ctiosNode(d, flags),
        fault: {
          component: args.component as Component,
          action: args.action as FaultAction,
          ...(args.id === undefined ? {} : {id: String(args.id)}),
        },
      }
    case 'pcluster:check':
      return {kind: 'pcluster-check', ...(args.group === undefined ? {} : {group: String(args.group)})}
    case 'upgrade:plan':
      // Offline (--topology) it reads a file, not the deployment: nothing to simulate there.
      return flags.topology === undefined ? {kind: 'upgrade-plan', to: String(flags.to)} : {kind: 'read'}
    default:
      return null
  }
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`

/** Simulates every line in order; stops changing the state at the first refusal but reports every line. */
async function checkRunbook(
  config: Config,
  text: string,
  start: {context: string; deployment: Deployment},
  nowMs: number,
  fromLine = 1,
): Promise<{ok: boolean; steps: RunbookStep[]}> {
  const steps: RunbookStep[] = []
  const {context} = start
  let d = start.deployment
  let failed = false
  for (const [i, l] of splitRunbook(text)
    .filter((x) => x.line >= fromLine)
    .entries()) {
    const command = formatCommand(l.words)
    const now = nowMs + i // each line after the one before
    if (l.problem) {
      steps.push({
        line: l.line,
        command,
        verdict: 'invalid',
        ok: false,
        message: l.problem,
        fix: "write one ucctl command on the line, quoting values with '...'",
        stateAfter: stateView(d),
      })
      failed = true
      continue
    }
    const p = await parseCommand(config, l.words)
    if ('error' in p) {
      steps.push({
        line: l.line,
        command,
        verdict: 'invalid',
        ok: false,
        message: p.error,
        fix: 'correct the command (ucctl help lists every command and flag)',
        stateAfter: stateView(d),
      })
      failed = true
      continue
    }
    const base = {line: l.line, command, commandId: p.id.replaceAll(':', ' '), argv: p.argv}
    const endless = ['follow', 'watch'].find((f) => p.flags[f] === true)
    if (endless) {
      steps.push({
        ...base,
        verdict: 'invalid',
        ok: false,
        message: `--${endless} runs until interrupted: the runbook would never reach its next line`,
        fix: `drop --${endless}`,
        stateAfter: stateView(d),
      })
      failed = true
      continue
    }
    if (failed) {
      // After a refusal the real run stops: later lines are parsed, not simulated.
      steps.push({
        ...base,
        verdict: 'not simulated',
        ok: true,
        message: 'not simulated: an earlier line is refused',
        stateAfter: stateView(d),
      })
      continue
    }
    let action: SimAction | null
    try {
      action = simAction(p, d)
    } catch (error) {
      steps.push({...base, verdict: 'invalid', ok: false, message: (error as Error).message, stateAfter: stateView(d)})
      failed = true
      continue
    }
    const elsewhere = str(p.flags.context)
    if (action && elsewhere !== undefined && elsewhere !== context) action = null
    if (!action) {
      const why =
        elsewhere !== undefined && elsewhere !== context
          ? `it acts on context ${elsewhere}, not ${context}`
          : `the model does not hold what "${base.commandId}" acts on or reads`
      steps.push({
        ...base,
        verdict: 'not simulated',
        ok: true,
        message: `not simulated: ${why}; the state is assumed unchanged`,
        stateAfter: stateView(d),
      })
      continue
    }
    const r = simulateStep(d, action, now)
    const dryRun = p.flags['dry-run'] === true
    const before = stateView(d).groups
    if (r.ok && !dryRun) d = r.deployment
    const fx = r.effects
    // The PRG-7 row each group reaches, when the line changes it, with its recommended action.
    const rows = stateView(d).groups.filter((g) => {
      const b = before.find((x) => x.name === g.name)
      return !b || b.row !== g.row || b.haEnabled !== g.haEnabled
    })
    const effects = [
      ...fx.usersMoved.map((m) => `${count(m.users, 'user')} fail over ${m.from} → ${m.to}`),
      ...fx.callsDropped.map((c) => `${count(c.calls, 'call')} dropped on ${c.node}`),
      ...fx.offline.map((o) => `Offline to ${count(o.softphones, 'softphone')} of ${o.node} (${o.rule}${o.reason ? `: ${o.reason}` : ''})`),
      ...rows.map((g) => `${g.name} reaches ${g.haEnabled ? `PRG-7 row ${g.row ?? '-'}` : 'HA off'}; recommended: ${g.recommendedAction}`),
    ]
    steps.push({
      ...base,
      verdict: r.ok ? 'allowed' : 'refused',
      ok: r.ok,
      ...(r.rule ? {rule: r.rule} : {}),
      message: (dryRun ? 'dry run, nothing changes: ' : '') + r.message + (effects.length ? `; ${effects.join('; ')}` : ''),
      ...(r.fix ? {fix: r.fix} : {}),
      changes: r.changes,
      rules: r.rules,
      effects: r.effects,
      ...(r.findings.length ? {findings: r.findings} : {}),
      stateAfter: stateView(d),
    })
    if (!r.ok) failed = true
  }
  return {ok: !steps.some((s) => !s.ok), steps}
}

/** The state column of the table: each group's PRG-7 row (the JSON holds the whole state). */
function stateCell(s: StateView): string {
  return s.groups.map((g) => `${g.name}: ${g.haEnabled ? `PRG-7 row ${g.row ?? '-'}` : 'HA off'}`).join('; ')
}

/**
 * `runbook check FILE`: from the snapshot when given, else from the context's agents. A runbook
 * with no command is bad input (exit 2); a refused or invalid line fails the check (exit 3).
 */
export async function runbookCheck(opts: {
  config: Config
  file: string
  snapshot?: string
  target: () => Promise<Target>
  nowMs: number
  fromLine?: number
}): Promise<{doc: Envelope; view: View; exitCode: number; steps: RunbookStep[]}> {
  const text = await readInput(opts.file)
  if (splitRunbook(text).length === 0)
    throw new UsageError(`runbook ${opts.file} holds no command`, {hint: 'one ucctl command per line; # starts a comment'})
  let from: string
  let start: {context: string; deployment: Deployment}
  if (opts.snapshot) {
    start = await readSnapshot(opts.snapshot)
    from = `snapshot ${opts.snapshot} (context ${start.context})`
  } else {
    const target = await opts.target()
    from = `context ${target.context}`
    start = {context: target.context, deployment: await readDeployment(target)}
  }
  const r = await checkRunbook(opts.config, text, start, opts.nowMs, opts.fromLine)
  return {...checkOutcome(opts.file, from, r), steps: r.steps}
}

function checkOutcome(source: string, from: string, r: {ok: boolean; steps: RunbookStep[]}): {doc: Envelope; view: View; exitCode: number} {
  const first = r.steps.find((s) => !s.ok)
  const notSimulated = r.steps.filter((s) => s.verdict === 'not simulated' && !first)
  const last = r.steps.at(-1)?.stateAfter
  const notes = [
    first
      ? `failed at line ${first.line}${first.rule ? ` (${first.rule})` : ''}: ${first.message}${first.fix ? `; fix: ${first.fix}` : ''}`
      : `passed: ${r.steps.length} lines`,
    ...(notSimulated.length ? [`not simulated: line ${notSimulated.map((s) => s.line).join(', ')}`] : []),
    ...(last?.groups ?? []).map(
      (g) => `${g.name} at the end: ${g.haEnabled ? `PRG-7 row ${g.row ?? '-'}` : 'HA off'}; recommended: ${g.recommendedAction}`,
    ),
  ]
  return {
    doc: envelope('RunbookCheck', {runbook: source, from, ok: r.ok, steps: r.steps}),
    view: {
      columns: ['LINE', 'COMMAND', 'RESULT', 'RULE', 'MESSAGE', 'STATE AFTER'],
      stateColumn: 2,
      rows: r.steps.map((s) => [
        s.line,
        s.command,
        s.verdict,
        s.rule ?? '',
        s.message + (s.fix && !s.ok ? ` (fix: ${s.fix})` : ''),
        stateCell(s.stateAfter),
      ]),
      notes,
    },
    exitCode: r.ok ? 0 : 3,
  }
}
