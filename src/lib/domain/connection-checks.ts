// The Unity Connection cluster's checks: voice-messaging ports by integration type (UC-15, seed
// table 3-2) and one license per server with its own MAC address (UC-16).

import {UsageError} from '../errors.js'
import type {Role} from './services.js'
import type {Finding} from './finding.js'

// ---------------------------------------------------------------------------------------
// UC-15: voice-messaging ports by integration type (seed table 3-2)

export const INTEGRATIONS = ['sccp', 'sip-trunk', 'pimg-timg', 'sip'] as const
export type Integration = (typeof INTEGRATIONS)[number]

export interface PortRule {
  integration: Integration
  label: string
  phoneSystem: string
  perServer: string
  distribution: string
  phoneSystemPorts(n: number): number
  perServerPorts(n: number): number
  /** PIMG/TIMG: both servers share the same ports. */
  samePortsOnBoth: boolean
}

export const PORT_RULES: readonly PortRule[] = [
  {
    integration: 'sccp',
    label: 'SCCP with CUCM / CUCM Express',
    phoneSystem: '2N',
    perServer: "N (half of the phone system's)",
    distribution: 'subscriber answers most calls',
    phoneSystemPorts: (n) => 2 * n,
    perServerPorts: (n) => n,
    samePortsOnBoth: false,
  },
  {
    integration: 'sip-trunk',
    label: 'SIP trunk with CUCM / CUCM Express',
    phoneSystem: 'N',
    perServer: 'N/2',
    distribution: 'even',
    phoneSystemPorts: (n) => n,
    perServerPorts: (n) => Math.ceil(n / 2),
    samePortsOnBoth: false,
  },
  {
    integration: 'pimg-timg',
    label: 'PIMG/TIMG units',
    phoneSystem: 'N',
    perServer: 'N (the same ports on both)',
    distribution: 'even',
    phoneSystemPorts: (n) => n,
    perServerPorts: (n) => n,
    samePortsOnBoth: true,
  },
  {
    integration: 'sip',
    label: 'other SIP integrations',
    phoneSystem: 'N',
    perServer: 'N/2',
    distribution: 'even',
    phoneSystemPorts: (n) => n,
    perServerPorts: (n) => Math.ceil(n / 2),
    samePortsOnBoth: false,
  },
]

export interface PortFinding extends Finding {
  readonly node?: string
}

export function portRule(integration: Integration): PortRule {
  const r = PORT_RULES.find((p) => p.integration === integration)
  if (!r) throw new UsageError(`unknown integration "${integration}"`, {hint: `one of: ${INTEGRATIONS.join(', ')}`})
  return r
}

/**
 * UC-15: checks a port plan. `perServer` is [publisher, subscriber] ports with their names.
 * In every case one server alone must carry all calls when the other stops.
 */
export function checkPorts(input: {
  integration: Integration
  needed: number
  phoneSystem?: number
  perServer?: ReadonlyArray<{name: string; ports: number}>
}): {ok: boolean; findings: PortFinding[]; expected: {phoneSystem: number; perServer: number; distribution: string}} {
  const r = portRule(input.integration)
  const n = input.needed
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--needed must be a whole number of ports of at least 1, not ${n}`, {rule: 'UC-15'})
  const expected = {phoneSystem: r.phoneSystemPorts(n), perServer: r.perServerPorts(n), distribution: r.distribution}
  const findings: PortFinding[] = []
  const err = (message: string, fix: string, node?: string) =>
    findings.push({rule: 'UC-15', severity: 'error', message, fix, ...(node ? {node} : {})})
  if (input.phoneSystem !== undefined && input.phoneSystem !== expected.phoneSystem) {
    err(
      `${r.label}: the phone system has ${input.phoneSystem} voice-messaging ports; ${r.phoneSystem} = ${expected.phoneSystem} are needed for N = ${n}`,
      `configure ${expected.phoneSystem} ports on the phone system${input.integration === 'sccp' ? ' (twice the ports needed: each server has half of them)' : ''}`,
    )
  }
  const servers = input.perServer ?? []
  for (const s of servers) {
    if (s.ports < expected.perServer) {
      err(
        `${r.label}: ${s.name} has ${s.ports} voice-messaging ports; ${r.perServer} = ${expected.perServer} per server are needed`,
        `assign ${expected.perServer} ports to ${s.name} in Connection Administration`,
        s.name,
      )
    } else if (s.ports > expected.perServer) {
      findings.push({
        rule: 'UC-15',
        severity: 'warning',
        node: s.name,
        message: `${r.label}: ${s.name} has ${s.ports} voice-messaging ports, more than the ${expected.perServer} per server of the table`,
        fix:
          input.integration === 'sccp'
            ? `each server has half of the phone system's ${expected.phoneSystem} ports: ${expected.perServer}`
            : `${expected.perServer} ports per server are enough`,
      })
    }
  }
  if (r.samePortsOnBoth && servers.length === 2 && servers[0].ports !== servers[1].ports) {
    err(
      `${r.label}: the servers must share the same ports (${servers[0].name}: ${servers[0].ports}, ${servers[1].name}: ${servers[1].ports})`,
      `give both servers the phone system's ${expected.phoneSystem} ports`,
    )
  }
  for (const s of servers) {
    const other = servers.find((o) => o !== s)
    if (other && s.ports === 0) {
      err(
        `${s.name} has no voice-messaging ports: when ${other.name} stops, ${s.name} cannot carry the calls (one server alone must carry all calls)`,
        `assign ${expected.perServer} ports to ${s.name}`,
        s.name,
      )
    }
  }
  return {ok: !findings.some((f) => f.severity === 'error'), findings, expected}
}

/** Parses "a,b" of --per-server. */
export function parsePerServer(text: string): [number, number] {
  const parts = text.split(',').map((p) => p.trim())
  const nums = parts.map(Number)
  if (parts.length !== 2 || nums.some((x, i) => parts[i] === '' || !Number.isInteger(x) || x < 0)) {
    throw new UsageError(`--per-server takes two whole numbers "publisher,subscriber" (e.g. 16,16), not "${text}"`, {rule: 'UC-15'})
  }
  return [nums[0], nums[1]]
}

// ---------------------------------------------------------------------------------------
// UC-16: each server needs its own license holding its own MAC address.

export function normalizeMac(mac: string): string | undefined {
  const hex = mac.replaceAll(/[^0-9a-f]/gi, '').toLowerCase()
  if (hex.length !== 12) return undefined
  return hex.match(/../g)!.join(':')
}

export function checkLicenses(servers: ReadonlyArray<{name: string; role: Role; mac?: string | null; licenseMac?: string | null}>): {
  ok: boolean
  findings: PortFinding[]
} {
  const findings: PortFinding[] = []
  for (const s of servers) {
    const own = s.mac ? normalizeMac(s.mac) : undefined
    const lic = s.licenseMac ? normalizeMac(s.licenseMac) : undefined
    const err = (message: string, fix: string) => findings.push({rule: 'UC-16', severity: 'error', node: s.name, message, fix})
    if (!own) {
      err(
        `${s.name}: its own MAC address is not known${s.mac ? ` ("${s.mac}" is not a MAC address)` : ''}`,
        "set the server's MAC address (settings.mac of its agent)",
      )
      continue
    }
    if (!s.licenseMac) {
      err(`${s.name} (${s.role}) has no license installed`, `install on ${s.name} a license holding its own MAC address ${own}`)
      continue
    }
    if (!lic) {
      err(
        `${s.name}: the license MAC "${s.licenseMac}" is not a MAC address`,
        `install on ${s.name} a license holding its own MAC address ${own}`,
      )
      continue
    }
    if (lic !== own) {
      const other = servers.find((o) => o !== s && o.mac && normalizeMac(o.mac) === lic)
      err(
        `${s.name} (${s.role}) holds a license for MAC ${lic}${other ? ` (the MAC of ${other.name})` : ''}, not its own MAC ${own}`,
        `install on ${s.name} the license holding ${own}${other ? `; the license for ${lic} belongs on ${other.name}` : ''}`,
      )
    }
  }
  return {ok: findings.length === 0, findings}
}
