// The /LOAD peripheral configuration parameter (SPEC 3: LOAD-1..6; seed 000, "/LOAD 設定パラメータの設定").
// Pure: parses the PG Explorer "Configuration Parameters" field and checks it.

import {type VersionLike, isAtOrBefore, isReleaseOf, toVersion} from './version.js'
import type {Finding} from './finding.js'

export interface ConfigurationParameter {
  /** As written, without the slash (`LOAD`). */
  readonly name: string
  readonly value: string | null
  /** 0-based index of the parameter's token in the field. */
  readonly position: number
}

export type ParameterProblemKind =
  | 'malformed'
  | 'duplicate-load'
  | 'duplicate'
  | 'load-missing-value'
  | 'load-not-integer'
  | 'load-out-of-range'

export interface ParameterProblem {
  readonly kind: ParameterProblemKind
  readonly token: string
  readonly position: number
  readonly message: string
}

export interface ParsedConfigurationParameters {
  /** In field order, duplicates included. */
  readonly params: readonly ConfigurationParameter[]
  readonly problems: readonly ParameterProblem[]
  /** The /LOAD value when exactly one well-formed /LOAD is present, else null. */
  readonly load: 0 | 1 | null
}

/** /LOAD values the documents define: 0 (agents NotReady on failover) and 1. */
export const LOAD_VALUES = [0, 1] as const

/** Parameter names ucctl knows; others are kept but reported (LOAD-6), not rejected. */
export const KNOWN_PARAMETERS: readonly {readonly name: string; readonly description: string}[] = [
  {name: 'LOAD', description: 'agent state on CTI OS failover: 0 = NotReady (LOAD-1, LOAD-2)'},
]

const NAME = /^\/([A-Za-z][A-Za-z0-9_]*)$/

/**
 * Parses whitespace-separated `/NAME [value]` parameters: a name takes zero or one value.
 * Names compare case-insensitively (`/load` is `/LOAD`). A value with no name before it, a
 * second value, or a token starting with `/` that is no valid name is malformed.
 */
export function parseConfigurationParameters(field: string): ParsedConfigurationParameters {
  const tokens = field.split(/\s+/).filter((t) => t.length > 0)
  const params: ConfigurationParameter[] = []
  const problems: ParameterProblem[] = []
  let open: {name: string; position: number; value: string | null} | null = null
  const close = () => {
    if (open) params.push({name: open.name, value: open.value, position: open.position})
    open = null
  }
  tokens.forEach((token, position) => {
    if (token.startsWith('/')) {
      close()
      const m = NAME.exec(token)
      if (m) open = {name: m[1], position, value: null}
      else problems.push({kind: 'malformed', token, position, message: `"${token}" is not a /NAME parameter`})
      return
    }
    const cur = open as {name: string; position: number; value: string | null} | null
    if (cur && cur.value === null) {
      cur.value = token
      return
    }
    problems.push({
      kind: 'malformed',
      token,
      position,
      message: cur ? `"${token}" is a second value after /${cur.name}` : `"${token}" is a value with no /NAME before it`,
    })
  })
  close()

  const loads = params.filter((p) => p.name.toUpperCase() === 'LOAD')
  for (const extra of loads.slice(1)) {
    problems.push({
      kind: 'duplicate-load',
      token: `/${extra.name}`,
      position: extra.position,
      message: `/LOAD appears ${loads.length} times; the PG would use only one of them`,
    })
  }
  const seen = new Set<string>()
  for (const p of params) {
    const upper = p.name.toUpperCase()
    if (upper !== 'LOAD' && seen.has(upper)) {
      problems.push({kind: 'duplicate', token: `/${p.name}`, position: p.position, message: `/${p.name} appears more than once`})
    }
    seen.add(upper)
  }
  let load: 0 | 1 | null = null
  for (const p of loads) {
    const problem = loadValueProblem(p)
    if (problem) problems.push(problem)
    else if (loads.length === 1) load = Number(p.value) as 0 | 1
  }
  problems.sort((a, b) => a.position - b.position)
  return {params, problems, load}
}

function loadValueProblem(p: ConfigurationParameter): ParameterProblem | null {
  const base = {token: `/${p.name}${p.value === null ? '' : ` ${p.value}`}`, position: p.position}
  if (p.value === null) return {...base, kind: 'load-missing-value', message: '/LOAD has no value'}
  if (!/^[+-]?\d+$/.test(p.value)) {
    return {...base, kind: 'load-not-integer', message: `/LOAD value "${p.value}" is not an integer`}
  }
  if (!(LOAD_VALUES as readonly number[]).includes(Number(p.value))) {
    return {...base, kind: 'load-out-of-range', message: `/LOAD value ${p.value} is out of range (0 or 1)`}
  }
  return null
}

/** LOAD-3: the /LOAD default of each ICM version (seed 000, note under step 6). */
export const LOAD_DEFAULTS_BY_ICM: readonly {
  /** As the document writes it. */
  readonly icm: string
  /** `at-or-before`: "4.6.1.x and earlier"; `release`: that release and its builds. */
  readonly match: 'at-or-before' | 'release'
  readonly load: 0 | 1
}[] = [
  {icm: '4.6.1.x', match: 'at-or-before', load: 0},
  {icm: '4.6.2', match: 'release', load: 1},
  {icm: '5.0', match: 'release', load: 1},
  {icm: '6.0', match: 'release', load: 1},
  {icm: '7.0', match: 'release', load: 0},
  {icm: '8.0(1)', match: 'release', load: 0},
]

/** The LOAD-3 row of an ICM version, or undefined when the documents give no default for it. */
export function loadDefaultFor(icmVersion: VersionLike): (typeof LOAD_DEFAULTS_BY_ICM)[number] | undefined {
  const v = toVersion(icmVersion)
  return LOAD_DEFAULTS_BY_ICM.find((row) => (row.match === 'release' ? isReleaseOf(v, row.icm) : isAtOrBefore(v, row.icm)))
}

export type LoadFinding = Finding

export interface LoadCheckResult {
  readonly ok: boolean
  readonly findings: readonly LoadFinding[]
}

export interface LoadCheckInput {
  /** The peripheral's Configuration Parameters field (raw text), or its parse. */
  readonly params: string | ParsedConfigurationParameters
  readonly icmVersion: VersionLike
  /** CTI OS version; null or absent when the peripheral has no CTI OS. */
  readonly ctiosVersion?: VersionLike | null
  /** ICM version before the last upgrade, when there was one. */
  readonly upgradedFrom?: VersionLike | null
  /** Defaults to "a CTI OS version is given". */
  readonly usesCtios?: boolean
  /** RejectIfAlreadyLoggedIn registry value of the desktop connection profile. */
  readonly rejectIfAlreadyLoggedIn?: 0 | 1 | boolean | null
  /** The /LOAD the running PG read at its last start, when known (LOAD-1: a change needs a PG restart). */
  readonly loadInEffect?: 0 | 1 | null
}

const RESTART = 'restart the PG'

/**
 * Checks the field for the given ICM and CTI OS versions (LOAD-1..6). Versions that do not
 * parse throw UsageError. Decisions: when the peripheral has no CTI OS, only LOAD-3's default
 * and LOAD-6's syntax matter (failover of CTI OS is the reason for /LOAD 0); a field with
 * other parameters but no /LOAD falls back to the ICM default: an error when that default
 * is 1 or undocumented, a warning when it is 0 (works, but LOAD-1 wants it written).
 */
export function checkLoadParameter(input: LoadCheckInput): LoadCheckResult {
  const icm = toVersion(input.icmVersion)
  const ctios = input.ctiosVersion == null ? null : toVersion(input.ctiosVersion)
  const from = input.upgradedFrom == null ? null : toVersion(input.upgradedFrom)
  const usesCtios = input.usesCtios ?? ctios !== null
  const field = typeof input.params === 'string' ? input.params : null
  const parsed = typeof input.params === 'string' ? parseConfigurationParameters(input.params) : input.params
  const row = loadDefaultFor(icm)
  const on = `ICM ${icm.text}${ctios ? `, CTI OS ${ctios.text}` : ''}`
  const findings: LoadFinding[] = []

  // LOAD-6: syntax, duplicates, values, unknown names.
  for (const p of parsed.problems) {
    findings.push({
      rule: 'LOAD-6',
      severity: p.kind === 'duplicate' ? 'warning' : 'error',
      message: `${p.message} (token ${p.position + 1}: "${p.token}")`,
      fix:
        p.kind === 'duplicate-load' || p.kind.startsWith('load-')
          ? `keep a single "/LOAD 0" in the field and ${RESTART}`
          : `write the field as whitespace-separated "/NAME value" parameters and ${RESTART}`,
    })
  }
  for (const p of parsed.params) {
    if (!KNOWN_PARAMETERS.some((k) => k.name === p.name.toUpperCase())) {
      findings.push({
        rule: 'LOAD-6',
        severity: 'warning',
        message: `/${p.name} is not a parameter ucctl knows; it is kept but not checked`,
        fix: 'check its spelling against the peripheral documentation',
      })
    }
  }

  const empty = parsed.params.length === 0 && parsed.problems.length === 0 && (field === null || field.trim() === '')
  const hasLoad = parsed.params.some((p) => p.name.toUpperCase() === 'LOAD')
  // The value the PG runs with: the written one, or the ICM default when /LOAD is absent.
  const effective: 0 | 1 | null = hasLoad ? parsed.load : (row?.load ?? null)

  if (usesCtios) {
    if (empty) {
      findings.push({
        rule: 'LOAD-1',
        severity: 'error',
        message:
          `the Configuration Parameters field is empty; CTI OS failover needs /LOAD 0 (LOAD-1) on ${on}` +
          (row ? ` (the ICM default would be /LOAD ${row.load}, LOAD-3)` : ''),
        fix: `enter /LOAD 0 and ${RESTART}`,
      })
    } else if (!hasLoad) {
      findings.push({
        rule: 'LOAD-1',
        severity: row?.load === 0 ? 'warning' : 'error',
        message: row
          ? `no /LOAD in the field: ${on} defaults to /LOAD ${row.load} (LOAD-3); CTI OS failover needs /LOAD 0 (LOAD-1)`
          : `no /LOAD in the field and the documents give no /LOAD default for ICM ${icm.text}; CTI OS failover needs /LOAD 0 (LOAD-1)`,
        fix: `add /LOAD 0 to the field and ${RESTART}`,
      })
    } else if (parsed.load === 1) {
      findings.push({
        rule: 'LOAD-1',
        severity: 'error',
        message:
          `/LOAD 1 on ${on}: CTI OS failover needs /LOAD 0 (LOAD-1); with /LOAD 0 agents are set NotReady on ` +
          'failover so that no calls are routed to them and failover is faster and more accurate (LOAD-2)',
        fix: `set /LOAD 0 and ${RESTART}`,
      })
    }
    if (ctios && isReleaseOf(ctios, '7.0') && effective === 1) {
      findings.push({
        rule: 'LOAD-4',
        severity: 'error',
        message: `CTI OS ${ctios.text} does not support /LOAD 1 (LOAD-4); ${hasLoad ? 'the field sets it' : `it is the default of ICM ${icm.text} (LOAD-3)`}`,
        fix: `set /LOAD 0 and ${RESTART}`,
      })
    }
    if (from && isAtOrBefore(from, '4.6.1.x') && row?.load === 1 && parsed.load !== 0) {
      findings.push({
        rule: 'LOAD-3',
        severity: 'error',
        message:
          `upgraded from ICM ${from.text} (default /LOAD 0) to ICM ${icm.text} (default /LOAD 1) on a system that uses ` +
          'CTI OS: the upgrade does not keep /LOAD 0, it must be set by hand (LOAD-3)',
        fix: `run PG Explorer, set /LOAD 0 on the peripheral and ${RESTART}`,
      })
    }
    // LOAD-1: the PG reads the field when it starts; a written value waits for the restart.
    const running = input.loadInEffect
    if (running != null && effective !== null && running !== effective) {
      findings.push({
        rule: 'LOAD-1',
        severity: running === 1 ? 'error' : 'warning',
        message: `the field gives /LOAD ${effective} but the PG still runs with /LOAD ${running}: it has not restarted since the field changed (LOAD-1)`,
        fix: RESTART,
      })
    }
    const reject = input.rejectIfAlreadyLoggedIn
    if (reject === 1 || reject === true) {
      findings.push({
        rule: 'LOAD-5',
        severity: 'warning',
        message:
          `RejectIfAlreadyLoggedIn = 1 on ${on}: two agents cannot log in with the same agent ID, and if a desktop ` +
          'crashes while its agent is logged in (with or without a call), the agent cannot log in again until a ' +
          'supervisor logs the agent out (LOAD-5)',
        fix: 'tell supervisors: after a desktop crash, log the agent out; the agent then restarts the desktop and logs in manually with the password',
      })
    }
  }
  return {ok: findings.every((f) => f.severity !== 'error'), findings}
}

/**
 * The /LOAD value a PG started with this field runs with: the written one, or the ICM default
 * (LOAD-3) when the field has none; null when neither is known (malformed, duplicated, or an
 * ICM version the documents give no default for).
 */
export function effectiveLoad(field: string | ParsedConfigurationParameters, icmVersion: VersionLike): 0 | 1 | null {
  const parsed = typeof field === 'string' ? parseConfigurationParameters(field) : field
  const hasLoad = parsed.params.some((p) => p.name.toUpperCase() === 'LOAD')
  return hasLoad ? parsed.load : (loadDefaultFor(icmVersion)?.load ?? null)
}

/**
 * LOAD-6: the field with its /LOAD set to `value`: the first /LOAD token (and its value) is
 * replaced, further /LOAD tokens are dropped, every other token is kept in order; a field
 * without /LOAD gets it appended. Tokens are rejoined with single spaces.
 */
export function withLoad(field: string, value: 0 | 1): string {
  const tokens = field.split(/\s+/).filter((t) => t.length > 0)
  const out: string[] = []
  let written = false
  for (let i = 0; i < tokens.length; i++) {
    if (!/^\/load$/i.test(tokens[i])) {
      out.push(tokens[i])
      continue
    }
    if (i + 1 < tokens.length && !tokens[i + 1].startsWith('/')) i++ // its value
    if (!written) out.push(`/LOAD ${value}`)
    written = true
  }
  if (!written) out.push(`/LOAD ${value}`)
  return out.join(' ')
}

/**
 * Why writing `/LOAD value` into a CTI OS peripheral's field is refused, or null when it is
 * allowed: LOAD-4 (CTI OS 7.0 does not support /LOAD 1), and /LOAD 1 on an ICM version whose
 * documented default is not /LOAD 1 (LOAD-3; LOAD-1: CTI OS failover needs /LOAD 0). Where the
 * ICM version itself defaults to /LOAD 1 (4.6.2, 5.0, 6.0) writing it is allowed (LOAD-2 run
 * time: CTI-7's table then applies); `check` still reports it. Other problems are for `check`.
 */
export function loadChangeRefusal(
  peripheral: {readonly configurationParameters: string; readonly icmVersion: VersionLike; readonly ctiosVersion?: VersionLike | null},
  value: 0 | 1,
): LoadFinding | null {
  const field = withLoad(peripheral.configurationParameters, value)
  const check = checkLoadParameter({
    params: field,
    icmVersion: peripheral.icmVersion,
    ctiosVersion: peripheral.ctiosVersion,
    usesCtios: true,
  })
  const error = (rule: string) => check.findings.find((f) => f.severity === 'error' && f.rule === rule)
  if (value === 1 && loadDefaultFor(peripheral.icmVersion)?.load === 1) return error('LOAD-4') ?? null
  return error('LOAD-4') ?? error('LOAD-1') ?? null
}

/**
 * LOAD-2 (run time): how agents come back after a failover (CTI-2 reconnect or snapshot, CTI-3,
 * the PG offline then online). `Not Ready` with /LOAD 0 in effect; CTI-7's table only where
 * /LOAD 1 is in effect and CTI OS supports it (LOAD-4: never CTI OS 7.0). A PG whose /LOAD is
 * unknown (malformed field, undocumented ICM default) is taken as /LOAD 0, the safe side:
 * no call is routed to an agent until it chooses.
 */
export type FailoverAgentState = 'Not Ready' | 'CTI-7'

export function failoverAgentState(peripheral: {readonly loadInEffect: 0 | 1 | null; readonly ctiosVersion?: VersionLike | null}): {
  readonly mode: FailoverAgentState
  readonly rule: 'LOAD-2' | 'CTI-7' | 'LOAD-4'
} {
  if (peripheral.loadInEffect !== 1) return {mode: 'Not Ready', rule: 'LOAD-2'}
  const ctios = peripheral.ctiosVersion == null ? null : toVersion(peripheral.ctiosVersion)
  if (ctios && isReleaseOf(ctios, '7.0')) return {mode: 'Not Ready', rule: 'LOAD-4'}
  return {mode: 'CTI-7', rule: 'CTI-7'}
}

/** What RejectIfAlreadyLoggedIn does, in the documents' words (LOAD-5) and ucctl's choice for 0. */
export const REJECT_MEANING: Record<0 | 1, string> = {
  1: 'a login with an agent ID already logged in is refused; after a desktop crash a supervisor logs the agent out (ucctl ctios agent logout AGENT), then the agent logs in by hand (LOAD-5)',
  0: 'a desktop that comes back while its agent is still logged in is re-logged in automatically (state after failover: LOAD-2 / CTI-7); one desktop per agent ID at a time',
}
