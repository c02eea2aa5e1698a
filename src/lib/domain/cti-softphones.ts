// What CTI OS softphones receive (SPEC §2, CTI-1..7): the event a softphone gets for an effect,
// its connection as `ctios clients` shows it, and a fault's plan (its dry run) and summaries.
// Pure, like ./cti-failover.ts whose transitions these read.
import {
  type AgentStatus,
  applyFault,
  type CtiAgent,
  type CtiEnvironment,
  type CtiRule,
  connectSoftphone,
  ctiosServerDown,
  type Effect,
  type Fault,
  offlineCauses,
  type Transition,
} from './cti-failover.js'
export interface AgentView {
  id: string
  state: AgentStatus
  phone: string
  switch: string
}

export type SoftphoneEvent =
  | {type: 'Connected'; server: string; agent: AgentView; rule?: CtiRule}
  | {type: 'Offline'; rule?: CtiRule; reason: string; agent: AgentView}
  | {
      type: 'Snapshot'
      rule?: CtiRule
      server: string
      agent: AgentView
      devices: Array<{device: string; kind: 'IP phone' | 'switch'; inService: boolean}>
      calls: Array<{agent: string; phone: string}>
    }
  | {type: 'AgentState'; agent: AgentView; rule?: CtiRule}

export function agentView(a: CtiAgent): AgentView {
  return {id: a.id, state: a.state, phone: a.phone, switch: a.switch}
}

/** The event one softphone gets for an effect (Disconnect is not an event: its connection closes). */
export function softphoneEvent(env: CtiEnvironment, effect: Effect, id: string): SoftphoneEvent | undefined {
  const a = env.agents[id]
  if (!a) return undefined
  const server = a.softphone === 'peer' ? env.ctios.peer.name : env.ctios.local.name
  switch (effect.send) {
    case 'Connected':
      return {type: 'Connected', server, agent: agentView(a), ...(effect.rule ? {rule: effect.rule} : {})}
    case 'Offline':
      return {type: 'Offline', ...(effect.rule ? {rule: effect.rule} : {}), reason: effect.reason ?? 'Offline', agent: agentView(a)}
    case 'Snapshot':
      return {
        type: 'Snapshot',
        ...(effect.rule ? {rule: effect.rule} : {}),
        server,
        agent: agentView(a),
        devices: [
          {device: a.phone, kind: 'IP phone', inService: env.ipPhones[a.phone]?.inService ?? false},
          {device: a.switch, kind: 'switch', inService: env.switches[a.switch]?.inService ?? false},
        ],
        calls: a.state === 'Talking' ? [{agent: a.id, phone: a.phone}] : [],
      }
    case 'AgentState':
      return {type: 'AgentState', agent: agentView(a), ...(effect.rule ? {rule: effect.rule} : {})}
    case 'Disconnect':
      return undefined
  }
}

/** What a snapshot covers: all agents, devices and calls (CTI-2, CTI-3). */
export function snapshotCounts(env: CtiEnvironment): {agents: number; devices: number; calls: number} {
  const agents = Object.values(env.agents)
  return {
    agents: agents.length,
    devices: Object.keys(env.ipPhones).length + Object.keys(env.switches).length,
    calls: agents.filter((a) => a.state === 'Talking').length,
  }
}

export type Connection = 'connected' | 'Offline' | 'disconnected'

/** A softphone as `ctios clients` shows it. */
export function softphoneConnection(env: CtiEnvironment, a: CtiAgent): Connection {
  if (a.softphone === 'none') return 'disconnected'
  return offlineCauses(env, a).length > 0 ? 'Offline' : 'connected'
}

/**
 * Dry run of a fault: its transition, and for a CTI OS server failure where each of its
 * softphones would land when it reconnects (CTI-3), as the agent would do it.
 */
export function planFault(env: CtiEnvironment, fault: Fault): Transition {
  const t = fault.component === 'ctios-server' ? ctiosServerDown(env, 'local') : applyFault(env, fault)
  const dropped = t.effects.find((e) => e.send === 'Disconnect')?.softphones ?? []
  let after = t.env
  const effects = [...t.effects]
  for (const id of dropped) {
    const c = connectSoftphone(after, id)
    after = c.env
    effects.push(...c.effects)
  }
  return {...t, env: after, effects: mergeEffects(effects)}
}

/** Effects of the same kind, rule and reason, as one (for summaries). */
export function mergeEffects(effects: readonly Effect[]): Effect[] {
  const out = new Map<string, Effect>()
  for (const e of effects) {
    const key = `${e.send}|${e.rule ?? ''}|${e.reason ?? ''}`
    const m = out.get(key)
    if (m) m.softphones.push(...e.softphones)
    else out.set(key, {...e, softphones: [...e.softphones]})
  }
  return [...out.values()]
}

/** Whether a fault makes softphones fail over (CTI-6: agents must not click meanwhile). */
export function causesFailover(t: Transition): boolean {
  return t.effects.some((e) => (e.send === 'Offline' || e.send === 'Disconnect') && e.softphones.length > 0)
}
