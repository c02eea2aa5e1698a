// DESIGN.md "Time": every documented duration is a setting; two profiles ship. `documented`
// holds the published values, `fast` the lab's (seconds or less) so tests and demos are quick.

export const TIMING_PROFILES = ['fast', 'documented'] as const
export type TimingProfile = (typeof TIMING_PROFILES)[number]

export interface TimingSetting {
  readonly name: keyof Timing
  readonly documented: number
  readonly fast: number
  readonly source: string
}

export interface Timing {
  /** First restart delay after an abnormal exit (published practice: about 100 ms). */
  restartInitialDelayMs: number
  /** Ceiling of the exponential backoff between restarts. */
  restartMaxDelayMs: number
  /** Restarts allowed within the burst window before the process is Failed. */
  restartBurstLimit: number
  restartBurstWindowMs: number
  /** A process that ran this long before dying starts its backoff afresh. */
  restartResetAfterMs: number
  /** SIGTERM, then SIGKILL after this grace period. */
  stopGraceMs: number
  /** A start succeeds once the new process has stayed up this long (it may crash at once). */
  startSettleMs: number
}

export const TIMING_TABLE: readonly TimingSetting[] = [
  {name: 'restartInitialDelayMs', documented: 100, fast: 20, source: 'SVC-4 published practice (systemd, supervisord, pm2)'},
  {name: 'restartMaxDelayMs', documented: 30_000, fast: 1000, source: 'SVC-4 published practice'},
  {name: 'restartBurstLimit', documented: 5, fast: 5, source: 'systemd StartLimitBurst=5'},
  {name: 'restartBurstWindowMs', documented: 10_000, fast: 5000, source: 'systemd StartLimitIntervalSec=10s'},
  {name: 'restartResetAfterMs', documented: 10_000, fast: 1000, source: 'pm2 exp-backoff reset after a stable run'},
  {name: 'stopGraceMs', documented: 10_000, fast: 1500, source: 'systemd TimeoutStopSec (shortened)'},
  {name: 'startSettleMs', documented: 1000, fast: 150, source: 'supervisord startsecs=1'},
]

export function timingFor(profile: TimingProfile, overrides: Partial<Timing> = {}): Timing {
  const t = Object.fromEntries(TIMING_TABLE.map((s) => [s.name, s[profile]])) as unknown as Timing
  return {...t, ...overrides}
}
