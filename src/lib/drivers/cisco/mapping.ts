// Pure tables between the products' own words and ucctl's (SPEC ids): service states of
// Control Center Services, Unity Connection server states of CUPI, the Code Yellow counters of
// PerfMon, the throttle service parameters of AXL. No I/O.
import type {ServerStatus} from '../../domain/connection-statuses.js'
import type {ThrottleParams} from '../../domain/throttle.js'

/**
 * Control Center Services `ServiceStatus` (ControlCenterServices.wsdl, simpleType ServiceStatus:
 * Started | Stopped | Starting | Stopping | Unknown) → ucctl's service states (SVC).
 */
export const SERVICE_STATE_MAP = {
  Started: 'Running',
  Stopped: 'Stopped',
  Starting: 'Starting',
  Stopping: 'Stopping',
  Unknown: 'Unknown',
} as const

export type CiscoServiceState = keyof typeof SERVICE_STATE_MAP

export function serviceState(status: string | undefined): (typeof SERVICE_STATE_MAP)[CiscoServiceState] {
  return SERVICE_STATE_MAP[status as CiscoServiceState] ?? 'Unknown'
}

/** The state a control action waits for (soapDoControlServices ControlType). */
export const CONTROL_TYPES = {
  start: {controlType: 'Start', final: 'Started'},
  stop: {controlType: 'Stop', final: 'Stopped'},
  cycle: {controlType: 'Restart', final: 'Started'},
} as const

/**
 * CUPI `ServerDisplayState` codes (Cisco's CUPI SDK enum: Unknown 0, Down 1, Initializing 2,
 * Primary 3, Secondary 4, Idle 5, InDbSync 6, InSbr 7) → UC-2's seven statuses. 0 maps to none:
 * a status ucctl cannot name is never guessed.
 */
export const CUPI_DISPLAY_STATES: ReadonlyArray<{code: number; cupi: string; status: ServerStatus | null}> = [
  {code: 0, cupi: 'Unknown', status: null},
  {code: 1, cupi: 'Down', status: 'Not Functioning'},
  {code: 2, cupi: 'Initializing', status: 'Starting'},
  {code: 3, cupi: 'Primary', status: 'Primary'},
  {code: 4, cupi: 'Secondary', status: 'Secondary'},
  {code: 5, cupi: 'Idle', status: 'Deactivated'},
  {code: 6, cupi: 'InDbSync', status: 'Replicating Data'},
  {code: 7, cupi: 'InSbr', status: 'Split Brain Recovery'},
]

export function connectionStatus(displayState: unknown): ServerStatus | null {
  return CUPI_DISPLAY_STATES.find((s) => s.code === Number(displayState))?.status ?? null
}

/** PerfMon object of the Code Yellow counters (THR-6). */
export const THROTTLE_OBJECT = 'Cisco CallManager System Performance'
export const THROTTLE_COUNTERS = [
  'AverageExpectedDelay',
  'ThrottlingSampleActivity',
  'CallsRejectedDueToThrottling',
  'TotalCodeYellowEntry',
  'CodeYellowEntryExit',
  'CodeRedEntryExit',
] as const

/**
 * THR-6: the node's state from its counters. CodeYellowEntryExit and CodeRedEntryExit are 1
 * while the node is in that state and 0 once it left; missing counters are not a Normal node.
 */
export function throttleStateFromCounters(counters: Readonly<Record<string, number>>): 'Normal' | 'Code Yellow' | 'Code Red' {
  for (const c of THROTTLE_COUNTERS) if (typeof counters[c] !== 'number') throw new Error(`counter ${c} missing`)
  if (counters.CodeRedEntryExit === 1) return 'Code Red'
  if (counters.CodeYellowEntryExit === 1) return 'Code Yellow'
  return 'Normal'
}

/** AXL service parameters of the Cisco CallManager service behind ucctl's throttle keys (THR-2..5). */
export const THROTTLE_SERVICE_PARAMETERS: Readonly<Record<keyof ThrottleParams, string>> = {
  codeYellowEntryLatencyMs: 'CodeYellowEntryLatency',
  codeYellowExitLatencyPercent: 'CodeYellowExitLatency',
  codeYellowDurationMin: 'CodeYellowDuration',
  systemThrottleSampleSizeSec: 'SystemThrottleSampleSize',
}
export const CALLMANAGER_SERVICE = 'Cisco CallManager'

/** AXL listProcessNode `processNodeRole` (AXLEnums.xsd XProcessNodeRole) → product. */
export const PROCESS_NODE_ROLES: Readonly<Record<string, 'cucm' | 'imp'>> = {
  'CUCM Voice/Video': 'cucm',
  'CUCM IM and Presence': 'imp',
}
/** AXL's pseudo node that holds cluster-wide settings: not a server. */
export const ENTERPRISE_WIDE_NODE = 'EnterpriseWideData'
