// SVC-4: NodeManager restarts any process that terminates abnormally. Published practice
// (systemd, supervisord, pm2): restart quickly the first time, back off exponentially while it
// keeps dying, and give up past a burst limit so a broken process does not spin.
// SVC-4/5 (run time, SPEC §9): past the burst limit the fault is unrecoverable: NMM restarts the
// node, at most once per window; if it persists after that, the process is Failed.
import type {Timing} from './timing.js'

export interface RestartTracker {
  /** When each recent restart was scheduled (ms), oldest first. */
  readonly recent: readonly number[]
  /** Abnormal exits in a row without a stable run in between. */
  readonly consecutive: number
}

export const FRESH_TRACKER: RestartTracker = {recent: [], consecutive: 0}

export type RestartDecision =
  | {readonly action: 'restart'; readonly delayMs: number}
  | {readonly action: 'restart-node'; readonly reason: string}
  | {readonly action: 'fail'; readonly reason: string}

/** What NMM knows of the process: may a node restart help, and when did NMM last do one for it. */
export interface Escalation {
  /** Only an Automatic process starts again with the node (SVC-3): a node restart cannot help a Manual one. */
  readonly automatic: boolean
  /** When NMM last restarted the node for this process (ms), or null. */
  readonly nodeRestartAtMs: number | null
}

export const NO_ESCALATION: Escalation = {automatic: false, nodeRestartAtMs: null}

export function decideRestart(
  tracker: RestartTracker,
  run: {startedAtMs: number; nowMs: number},
  t: Pick<
    Timing,
    | 'restartInitialDelayMs'
    | 'restartMaxDelayMs'
    | 'restartBurstLimit'
    | 'restartBurstWindowMs'
    | 'restartResetAfterMs'
    | 'nmmRestartWindowMs'
  >,
  escalation: Escalation = NO_ESCALATION,
): {tracker: RestartTracker; decision: RestartDecision} {
  const stableRun = run.nowMs - run.startedAtMs >= t.restartResetAfterMs
  const consecutive = stableRun ? 0 : tracker.consecutive
  const recent = tracker.recent.filter((at) => run.nowMs - at < t.restartBurstWindowMs)
  if (recent.length >= t.restartBurstLimit) {
    const burst = `${recent.length} restarts within ${t.restartBurstWindowMs} ms (burst limit ${t.restartBurstLimit})`
    const last = escalation.nodeRestartAtMs
    if (escalation.automatic && (last === null || run.nowMs - last >= t.nmmRestartWindowMs)) {
      return {
        tracker: {recent, consecutive},
        decision: {action: 'restart-node', reason: `${burst}: unrecoverable fault, NMM restarts the node (SVC-5)`},
      }
    }
    const why = escalation.automatic
      ? `; it persists after NMM's node restart ${run.nowMs - (last ?? 0)} ms ago (at most one per ${t.nmmRestartWindowMs} ms)`
      : ''
    return {tracker: {recent, consecutive}, decision: {action: 'fail', reason: `${burst}${why}`}}
  }
  const delayMs = Math.min(t.restartInitialDelayMs * 2 ** consecutive, t.restartMaxDelayMs)
  return {tracker: {recent: [...recent, run.nowMs], consecutive: consecutive + 1}, decision: {action: 'restart', delayMs}}
}
