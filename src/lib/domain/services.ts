// Service catalogue per product and the service states of NodeManager (SPEC §1).

export const PRODUCTS = ['cucm', 'imp', 'cuc', 'ctios'] as const
export type Product = (typeof PRODUCTS)[number]

export const PRODUCT_NAMES: Record<Product, string> = {
  cucm: 'Unified CM',
  imp: 'IM and Presence',
  cuc: 'Unity Connection',
  ctios: 'CTI OS',
}

/** "a Unified CM node", "an IM and Presence node": the article by the name's first sound. */
export const withArticle = (name: string) => `${/^[AEIO]/i.test(name) ? 'an' : 'a'} ${name}`

export const ROLES = ['publisher', 'subscriber'] as const
export type Role = (typeof ROLES)[number]

/** SVC-3: Automatic services start with the host (recommended); Manual ones do not. */
export const STARTUP_TYPES = ['Automatic', 'Manual'] as const
export type StartupType = (typeof STARTUP_TYPES)[number]

export const SERVICE_STATES = ['Starting', 'Running', 'Stopping', 'Stopped', 'Restarting', 'Failed'] as const
export type ServiceState = (typeof SERVICE_STATES)[number]

export interface ServiceDefinition {
  readonly name: string
  readonly description: string
  /** SVC-1: whether the process has a console window (closing it counts as abnormal, SVC-4). */
  readonly console: boolean
  readonly startup: StartupType
  /** A critical service in the sense of UC-10/UC-12 or PRG-3. */
  readonly critical: boolean
}

/** SVC-1: the processes of the CTI OS service, as the document lists them. */
export const CTIOS_PROCESSES: readonly ServiceDefinition[] = [
  {
    name: 'CtiosServerNode',
    description: 'main CTI OS server; manages CTI OS objects, listens for client connections',
    console: true,
    startup: 'Automatic',
    critical: true,
  },
  {
    name: 'CTIOSTrace',
    description: 'tracing utility, writes server messages to local logs (EMS format)',
    console: false,
    startup: 'Automatic',
    critical: false,
  },
  {
    name: 'NM',
    description: 'NodeManager: starts every process of the service, restarts abnormally terminated ones',
    console: false,
    startup: 'Automatic',
    critical: false,
  },
  {
    name: 'NMM',
    description: 'NodeManagerManager: system-level faults; restarts the host on an unrecoverable fault',
    console: false,
    startup: 'Automatic',
    critical: false,
  },
]

const svc = (name: string, description: string, critical = false, startup: StartupType = 'Automatic'): ServiceDefinition => ({
  name,
  description,
  console: false,
  startup,
  critical,
})

export const PRODUCT_SERVICES: Record<Product, readonly ServiceDefinition[]> = {
  ctios: CTIOS_PROCESSES,
  cucm: [
    svc('Cisco CallManager', 'call processing (restarted on Code Red, THR-4)', true),
    svc('Cisco CTIManager', 'CTI interface for applications'),
    svc('Cisco Tftp', 'device configuration files'),
    svc('Cisco Database Layer Monitor', 'database layer monitoring', true),
  ],
  imp: [
    // PRG-3: the critical services monitored by the Server Recovery Manager.
    svc('Cisco Client Profile Agent', 'user and device profile distribution', true),
    svc('Cisco Sync Agent', 'user synchronisation with Unified CM', true),
    svc('Cisco XCP Router', 'XMPP routing', true),
    svc('Cisco SIP Proxy', 'SIP proxy', true),
    svc('Cisco Presence Engine', 'presence composition', true),
    svc('Cisco Server Recovery Manager', 'high availability: heartbeats and failover'),
    // Seed 003: AXL, Presence Engine and Proxy must run for valid presence (presence viewer).
    svc('Cisco AXL Web Service', 'administrative XML interface'),
  ],
  cuc: [
    // UC-2 / UC-11: the critical services whose stop triggers status changes.
    svc('Connection DB', 'the Unity Connection database', true),
    svc('Connection Notifier', 'MWI and notifications', true),
    svc('Connection Message Transfer Agent', 'SMTP and VPIM message transfer', true),
    svc('Connection Mailbox Sync', 'single-inbox synchronisation', true),
    svc('Connection Exchange Notification Web Service', 'Exchange notifications', true),
    svc('Connection Conversation Manager', 'call handling and conversations'),
  ],
}

export type ServiceAction = 'start' | 'stop' | 'cycle'

/** What a service action would change and which rules say so (for --dry-run). */
export function planServiceAction(
  s: {name: string; state: ServiceState; startup: StartupType},
  action: ServiceAction,
): {changes: string[]; rules: string[]} {
  const stop = s.state === 'Stopped' ? [] : [`${s.name}: ${s.state} → Stopping → Stopped (SIGTERM, then SIGKILL after the grace period)`]
  const start = [`${s.name}: ${action === 'cycle' ? 'Stopped' : s.state} → Starting → Running (new process)`]
  if (action === 'start') {
    if (s.state === 'Running') return {changes: [], rules: ['SVC-2: already Running; nothing to do']}
    return {changes: start, rules: ['SVC-2: operators start the processes of a service']}
  }
  if (action === 'stop') {
    const rules = [
      'SVC-2: operators stop the processes of a service',
      'SVC-4: a process stopped by an operator is not restarted by NodeManager',
    ]
    if (s.startup === 'Automatic') rules.push('SVC-3: startup type Automatic: it starts again when the host restarts')
    return {changes: stop, rules}
  }
  return {changes: [...stop, ...start], rules: ['SVC-2: cycle is stop then start']}
}

/**
 * SVC-5: NMM's host restart stops every service (in reverse order), then starts the Automatic
 * ones in order, as a host boot would (SVC-3).
 */
export function planNodeRestart(services: ReadonlyArray<{name: string; state: ServiceState; startup: StartupType}>): {
  changes: string[]
  rules: string[]
} {
  return {
    changes: [
      ...services
        .filter((s) => s.state !== 'Stopped')
        .reverse()
        .map((s) => `${s.name}: ${s.state} → Stopped`),
      ...services.filter((s) => s.startup === 'Automatic').map((s) => `${s.name}: Stopped → Running`),
    ],
    rules: ['SVC-5: NMM restarts the whole node (all services)', 'SVC-3: Automatic services start with the host'],
  }
}
