// `ucctl runbook run`: the lines of a runbook run in order against a context, each as the real
// `ucctl` process an operator would type, once `runbook check` of the same lines passes. After
// each line the state reached is read and compared with the state the check predicted.
import {spawn} from 'node:child_process'
import {constants} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Config} from '@oclif/core/config'
import {type StateView, stateDifferences, stateView} from '../domain/simulation.js'
import {CheckFailedError, UcctlError, UsageError} from '../errors.js'
import {type Envelope, envelope} from './base-command.js'
import {confirmOrRefuse} from './confirm.js'
import {readContexts} from './contexts.js'
import type {View} from './render.js'
import {runbookCheck, type RunbookStep} from './runbook.js'
import {readDeployment, writeDocument} from './snapshot.js'
import type {Target} from './target.js'

export interface RunStep {
  line: number
  command: string
  exitCode: number
  startedAt: string
  endedAt: string
  stateReached: StateView | null
  predicted?: StateView
  /** null: the line was not simulated, or the state could not be read. */
  matchesPrediction: boolean | null
  differences?: string[]
}

export interface RunOptions {
  config: Config
  file: string
  target: () => Promise<Target>
  from: number
  step: boolean
  transcript?: string
  /** How long to wait for the predicted state after a line (transitions end by themselves). */
  settleMs: number
  notice: (m: string) => void
}

/** Runs one line as its own ucctl process; its output goes to stderr, so stdout keeps one document. */
function runLine(config: Config, argv: string[], target: Target): Promise<number> {
  const env: NodeJS.ProcessEnv = {...process.env, UCCTL_CONTEXT: target.context}
  // The embedded lab is what a command reaches by default while no context is configured.
  if (target.lab && Object.keys(readContexts().contexts).length === 0) delete env.UCCTL_CONTEXT
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(config.root, 'bin', 'run.js'), ...argv], {
      env,
      stdio: ['inherit', 2, 2],
    })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 15) : 0)))
  })
}

/** The state now; when a prediction is given, waits (up to settleMs) for the transitions to reach it. */
async function stateReached(
  target: Target,
  predicted: StateView | undefined,
  settleMs: number,
): Promise<{state: StateView | null; differences: string[]}> {
  const until = Date.now() + settleMs
  for (;;) {
    let state: StateView | null = null
    try {
      state = stateView(await readDeployment(target))
    } catch (error) {
      if (!(error instanceof UcctlError) || Date.now() >= until)
        return {state: null, differences: [`could not read the state: ${(error as Error).message}`]}
    }
    const differences = state && predicted ? stateDifferences(predicted, state) : []
    if (state && (differences.length === 0 || Date.now() >= until)) return {state, differences}
    await sleep(250)
  }
}

const describe = (s: RunbookStep) => `line ${s.line}${s.rule ? ` (${s.rule})` : ''}: ${s.message}`

export async function runbookRun(o: RunOptions): Promise<{doc: Envelope; view: View; exitCode: number}> {
  const target = await o.target()
  // The check of the lines still to run, from the state the context is in now.
  const check = await runbookCheck({config: o.config, file: o.file, target: async () => target, nowMs: Date.now(), fromLine: o.from})
  const refused = check.steps.find((s) => !s.ok)
  if (refused) {
    throw new CheckFailedError(`runbook check of ${o.file} fails at ${describe(refused)}; nothing was run`, {
      ...(refused.rule ? {rule: refused.rule} : {}),
      hint: refused.fix ?? `ucctl runbook check ${o.file} shows every line`,
    })
  }
  if (check.steps.length === 0) throw new UsageError(`runbook ${o.file} has no command from line ${o.from}`)
  const transcript = o.transcript ?? `${o.file === '-' ? 'runbook' : o.file}.transcript.json`
  const steps: RunStep[] = []
  let stoppedAt: number | null = null
  let exitCode = 0
  let finished = false
  // Written after every line: a run cut short (Ctrl-C, a crash) still leaves what it did.
  const doc = () =>
    envelope('RunbookRun', {
      context: target.context,
      runbook: o.file,
      transcript,
      finished,
      ok: finished && stoppedAt === null,
      from: o.from,
      stoppedAt,
      steps,
    })
  for (const s of check.steps) {
    if (o.step && !(await confirmOrRefuse(`Run line ${s.line}: ucctl ${s.commandId} ${s.argv!.join(' ')}?`, false))) {
      o.notice(`stopped before line ${s.line}: not confirmed; it and the lines after it were not run (resume with --from ${s.line})`)
      stoppedAt = s.line
      exitCode = 2
      break
    }
    o.notice(`line ${s.line}: ucctl ${s.command.replace(/^ucctl /, '')}`)
    const startedAt = new Date().toISOString()
    const code = await runLine(o.config, [...s.commandId!.split(' '), ...s.argv!], target)
    const endedAt = new Date().toISOString()
    const simulated = s.verdict === 'allowed'
    const reached = await stateReached(target, code === 0 && simulated ? s.stateAfter : undefined, code === 0 && simulated ? o.settleMs : 0)
    const matches = code === 0 && simulated && reached.state ? reached.differences.length === 0 : null
    steps.push({
      line: s.line,
      command: s.command,
      exitCode: code,
      startedAt,
      endedAt,
      stateReached: reached.state,
      ...(simulated ? {predicted: s.stateAfter} : {}),
      matchesPrediction: matches,
      ...(reached.differences.length ? {differences: reached.differences} : {}),
    })
    if (matches === false)
      o.notice(`warning: line ${s.line} reached another state than runbook check predicted: ${reached.differences.join('; ')}`)
    writeDocument(transcript, JSON.stringify(doc(), null, 2), 'transcript')
    if (code !== 0) {
      o.notice(`line ${s.line} exited ${code}: the run stops here (resume with --from ${s.line} once it is fixed)`)
      stoppedAt = s.line
      exitCode = code
      break
    }
  }
  finished = true
  const out = doc()
  writeDocument(transcript, JSON.stringify(out, null, 2), 'transcript')
  const ms = (s: RunStep) => `${((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)}s`
  return {
    doc: out,
    view: {
      columns: ['LINE', 'COMMAND', 'EXIT', 'DURATION', 'STATE AS PREDICTED'],
      stateColumn: 2,
      rows: steps.map((s) => [
        s.line,
        s.command,
        s.exitCode,
        ms(s),
        s.matchesPrediction === null ? '-' : s.matchesPrediction ? 'yes' : 'no',
      ]),
      notes: [stoppedAt === null ? `done: ${steps.length} lines ran` : `stopped at line ${stoppedAt}`, `transcript: ${transcript}`],
    },
    exitCode,
  }
}
