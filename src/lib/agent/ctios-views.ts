// What the CTI OS agent answers of its environment (src/lib/api/routes/ctios.ts): the status of
// its components and softphones, one softphone, and a fault's preview. Pure functions of the
// environment (../domain/cti-failover.ts) and of what the module adds (the process, the records).
import type {Answer, Preview} from '../api/index.js'
import {
  AGENT_STATUSES,
  type CtiEnvironment,
  type CtiRule,
  ctiServerOnline,
  describeFault,
  type Effect,
  type Fault,
  offlineCauses,
  type Pair,
  pgOnline,
} from '../domain/cti-failover.js'
import {causesFailover, mergeEffects, planFault, softphoneConnection} from '../domain/cti-softphones.js'

type CtiosStatus = Answer<'GET /v1/ctios'>

/** SVC-1: the main CTI OS server process, which listens for and manages client connections. */
export const CTIOS_SERVER_PROCESS = 'CtiosServerNode'

const sides = (p: Pair) => ({A: p.up.A ? ('up' as const) : ('down' as const), B: p.up.B ? ('up' as const) : ('down' as const)})

/** GET /v1/ctios: every component, the softphones by connection, the agents by state. */
export function ctiosStatus(
  env: CtiEnvironment,
  m: Pick<CtiosStatus, 'node' | 'lastSnapshot' | 'lastFailover' | 'afterFailover'> & {
    process: CtiosStatus['components'][number]['process'] | null
  },
): CtiosStatus {
  const agents = Object.values(env.agents)
  const byConnection = {connected: 0, Offline: 0, disconnected: 0}
  const byState: Record<string, number> = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0]))
  for (const a of agents) {
    byConnection[softphoneConnection(env, a)]++
    byState[a.state]++
  }
  const phonesOut = Object.keys(env.ipPhones).filter((p) => !env.ipPhones[p].inService)
  const onPeer = agents.filter((a) => a.softphone === 'peer').length
  return {
    node: m.node,
    components: [
      {component: 'pg', id: 'PG', state: pgOnline(env) ? 'online' : 'offline', activeSide: env.pg.active, sides: sides(env.pg)},
      {
        component: 'cti-server',
        id: 'CTI Server',
        state: ctiServerOnline(env) ? 'online' : 'offline',
        activeSide: env.ctiServers.active,
        sides: sides(env.ctiServers),
      },
      {
        component: 'ctios-server',
        id: m.node,
        state: env.ctios.local.online ? 'online' : 'offline',
        ...(m.process ? {process: m.process} : {}),
      },
      {
        component: 'peer',
        id: env.ctios.peer.name,
        state: env.ctios.peer.online ? 'online' : 'offline',
        capacity: env.ctios.peer.capacity,
        softphones: onPeer,
      },
      ...Object.entries(env.switches).map(([id, s]) => ({
        component: 'switch' as const,
        id,
        state: s.inService ? 'in service' : 'out of service',
        agents: agents.filter((a) => a.switch === id).length,
      })),
      ...phonesOut.map((id) => ({component: 'ip-phone' as const, id, state: 'out of service'})),
    ],
    ipPhones: {total: Object.keys(env.ipPhones).length, outOfService: phonesOut.length},
    clients: {softphones: agents.length, ...byConnection, onPeer},
    agents: byState,
    lastSnapshot: m.lastSnapshot,
    lastFailover: m.lastFailover,
    // LOAD-2 (run time): how agents come back after the next failover; LOAD-5: who is held.
    afterFailover: m.afterFailover,
    desktopConnectionProfile: {rejectIfAlreadyLoggedIn: env.rejectIfAlreadyLoggedIn},
    loggedInWithoutDesktop: agents.filter((a) => a.desktopCrashed).map((a) => a.id),
  }
}

/** One softphone: its agent, its connection, the server it is on, why it shows Offline. */
export function softphoneOf(env: CtiEnvironment, id: string): Answer<'GET /v1/ctios/softphones'>['softphones'][number] {
  const a = env.agents[id]
  const server = a.softphone === 'local' ? env.ctios.local.name : a.softphone === 'peer' ? env.ctios.peer.name : null
  return {
    id,
    agentState: a.state,
    phone: a.phone,
    switch: a.switch,
    connection: softphoneConnection(env, a),
    server,
    offline: offlineCauses(env, a).filter(() => a.softphone !== 'none'),
  }
}

/** What softphones get, by kind of event (a fault's preview and its result). */
export const sendSummary = (effects: readonly Effect[]) =>
  mergeEffects(effects).map((e) => ({
    send: e.send,
    ...(e.rule ? {rule: e.rule} : {}),
    ...(e.reason ? {reason: e.reason} : {}),
    softphones: e.softphones.length,
  }))

/** The preview of a fault (its dry run): what would change, the rules, whether softphones fail over. */
export function faultPlan(env: CtiEnvironment, node: string, fault: Fault): Preview<'POST /v1/ctios/faults'> {
  const t = planFault(env, fault)
  const changes = [
    t.message,
    ...t.effects.map(
      (e) => `${e.send} → ${e.softphones.length} softphone(s)${e.reason ? ` (${e.reason})` : ''}${e.rule ? ` [${e.rule}]` : ''}`,
    ),
  ]
  if (fault.component === 'ctios-server')
    changes.unshift(`SIGKILL ${CTIOS_SERVER_PROCESS}; NodeManager restarts it, then a snapshot (CTI-3)`)
  const rules = [...new Set([t.rule, ...t.effects.map((e) => e.rule)].filter((r): r is CtiRule => r !== undefined))]
  return {node, action: `ctios fault ${describeFault(fault)}`, changes, rules, failover: causesFailover(t), sends: sendSummary(t.effects)}
}
