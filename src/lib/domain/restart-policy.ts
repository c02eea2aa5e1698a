// SVC-4: NodeManager restarts any process that terminates abnormally. Published practice
// (systemd, supervisord, pm2): restart quickly the first time, back off exponentially while it
// keeps dying, and give up (Failed) past a burst limit so a broken process does not spin.
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
  | {readonly action: 'fail'; readonly reason: string}

export function decideRestart(
  tracker: RestartTracker,
  run: {startedAtMs: number; nowMs: number},
  t: Pick<Timing, 'restartInitialDelayMs' | 'restartMaxDelayMs' | 'restartBurstLimit' | 'restartBurstWindowMs' | 'restartResetAfterMs'>,
): {tracker: RestartTracker; decision: RestartDecision} {
  const stableRun = run.nowMs - run.startedAtMs >= t.restartResetAfterMs
  const consecutive = stableRun ? 0 : tracker.consecutive
  const recent = tracker.recent.filter((at) => run.nowMs - at < t.restartBurstWindowMs)
  if (recent.length >= t.restartBurstLimit) {
    return {
      tracker: {recent, consecutive},
      decision: {action: 'fail', reason: `${recent.length} restarts within ${t.restartBurstWindowMs} ms (burst limit ${t.restartBurstLimit})`},
    }
  }
  const delayMs = Math.min(t.restartInitialDelayMs * 2 ** consecutive, t.restartMaxDelayMs)
  return {tracker: {recent: [...recent, run.nowMs], consecutive: consecutive + 1}, decision: {action: 'restart', delayMs}}
}
