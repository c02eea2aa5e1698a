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
  /** SVC-4/5 (run time): NMM restarts the node for a process past its burst limit at most once in this window. */
  nmmRestartWindowMs: number
  /** SIGTERM, then SIGKILL after this grace period. */
  stopGraceMs: number
  /** A start succeeds once the new process has stayed up this long (it may crash at once). */
  startSettleMs: number
  /** Installing a version on the inactive partition (UPG-5/6 `upgrade` step). */
  upgradeInstallMs: number
  /** Switch version: the reboot onto the other partition, before the services start again. */
  switchVersionMs: number
  /** THR-5: one delay sample a second; System Throttle Sample Size counts samples. */
  throttleSampleIntervalMs: number
  /** THR-4: how long one minute of Code Yellow Duration lasts (fast: Code Red in seconds). */
  codeYellowMinuteMs: number
  /** LOAD-1: a PG restart, from going offline to back online with the new parameters. */
  pgRestartMs: number
  /** PRG-3: Server Recovery Manager keepalive (heartbeat) interval with the group peer. */
  srmKeepaliveIntervalMs: number
  /** PRG-3: no heartbeat from the peer for this long: Peer Down. */
  srmKeepaliveTimeoutMs: number
  /** PRG-3: at SRM start-up, the peer not seen within this: Peer Down During Initialization. */
  srmInitKeepaliveTimeoutMs: number
  /** PRG-3: a critical service down this long makes SRM fail the node over. */
  srmCriticalServiceDownDelayMs: number
  /** PRG-3: automatic fallback (when on) this long after the primary is healthy again. */
  srmAutoFallbackDelayMs: number
  /** UC-5: Connection Server Role Manager keepalive interval with the peer. */
  cucKeepaliveIntervalMs: number
  /** UC-5: no keepalive for this long: the peer is gone (detection in 30 to 60 s documented). */
  cucKeepaliveTimeoutMs: number
  /** UC-2: Starting lasts a few minutes, then the fitting status. */
  cucStartingMs: number
  /** UC-2: Replicating Data lasts a few minutes, then back to the previous status. */
  cucReplicatingDataMs: number
  /** UC-2/UC-11: Split Brain Recovery lasts a few minutes (at least this long). */
  cucSplitBrainRecoveryMs: number
  /** CTI-3: from NodeManager's restart of CtiosServerNode to the server online, with its snapshot. */
  ctiosServerOnlineMs: number
}

export const TIMING_TABLE: readonly TimingSetting[] = [
  {name: 'restartInitialDelayMs', documented: 100, fast: 20, source: 'SVC-4 published practice (systemd, supervisord, pm2)'},
  {name: 'restartMaxDelayMs', documented: 30_000, fast: 1000, source: 'SVC-4 published practice'},
  {name: 'restartBurstLimit', documented: 5, fast: 5, source: 'systemd StartLimitBurst=5'},
  {name: 'restartBurstWindowMs', documented: 10_000, fast: 5000, source: 'systemd StartLimitIntervalSec=10s'},
  {name: 'restartResetAfterMs', documented: 10_000, fast: 1000, source: 'pm2 exp-backoff reset after a stable run'},
  {
    name: 'nmmRestartWindowMs',
    documented: 3_600_000,
    fast: 60_000,
    source: 'SVC-4/5 (run time): at most one NMM node restart per window (no published value: one hour)',
  },
  {name: 'stopGraceMs', documented: 10_000, fast: 1500, source: 'systemd TimeoutStopSec (shortened)'},
  {name: 'startSettleMs', documented: 1000, fast: 150, source: 'supervisord startsecs=1'},
  {name: 'upgradeInstallMs', documented: 3_600_000, fast: 1500, source: 'UPG-5/6: an upgrade takes hours; one hour per node here'},
  {name: 'switchVersionMs', documented: 900_000, fast: 500, source: 'UPG-5/6: switch version reboots the node (minutes)'},
  {name: 'throttleSampleIntervalMs', documented: 1000, fast: 200, source: 'THR-5/THR-6 seed 004: one sample a second'},
  {
    name: 'codeYellowMinuteMs',
    documented: 60_000,
    fast: 1000,
    source: 'THR-4: Code Yellow Duration is in minutes (fast: a "minute" is 1 s)',
  },
  {name: 'pgRestartMs', documented: 10_000, fast: 300, source: 'LOAD-1: PG restart (no published duration; lab model)'},
  {name: 'srmKeepaliveIntervalMs', documented: 15_000, fast: 200, source: 'PRG-3: SRM keepalive interval 15 s'},
  {name: 'srmKeepaliveTimeoutMs', documented: 60_000, fast: 1500, source: 'PRG-3: SRM keepalive timeout 60 s'},
  {name: 'srmInitKeepaliveTimeoutMs', documented: 120_000, fast: 3000, source: 'PRG-3: SRM initialization keepalive timeout 120 s'},
  {name: 'srmCriticalServiceDownDelayMs', documented: 90_000, fast: 1500, source: 'PRG-3: critical service down delay 90 s'},
  {
    name: 'srmAutoFallbackDelayMs',
    documented: 1_800_000,
    fast: 3000,
    source: 'PRG-3: automatic fallback 30 min after the primary is healthy',
  },
  {
    name: 'cucKeepaliveIntervalMs',
    documented: 10_000,
    fast: 300,
    source: 'UC-5: keepalives between the role managers (interval not published; 10 s keeps detection within 30-60 s)',
  },
  {
    name: 'cucKeepaliveTimeoutMs',
    documented: 30_000,
    fast: 2000,
    source: 'UC-5: detecting that the peer is gone takes 30 to 60 s (timeout 30 s + up to one interval)',
  },
  {name: 'cucStartingMs', documented: 180_000, fast: 1000, source: 'UC-2: Starting lasts a few minutes'},
  {name: 'cucReplicatingDataMs', documented: 180_000, fast: 800, source: 'UC-2: Replicating Data lasts a few minutes'},
  {name: 'cucSplitBrainRecoveryMs', documented: 180_000, fast: 1000, source: 'UC-2/UC-11: Split Brain Recovery lasts a few minutes'},
  {
    name: 'ctiosServerOnlineMs',
    documented: 10_000,
    fast: 400,
    source: 'CTI-3: CTI OS server back online after its restart (no published duration; lab model)',
  },
]

export function timingFor(profile: TimingProfile, overrides: Partial<Timing> = {}): Timing {
  const t = Object.fromEntries(TIMING_TABLE.map((s) => [s.name, s[profile]])) as unknown as Timing
  return {...t, ...overrides}
}

/** A timing profile and settings that differ from it (node.yaml `timing`, and a lab topology's). */
export const TIMING_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profile: {enum: [...TIMING_PROFILES]},
    overrides: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(TIMING_TABLE.map((s) => [s.name, {type: 'number', minimum: 0}])),
    },
  },
} as const
