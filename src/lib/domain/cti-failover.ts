// CTI OS failover of related components (SPEC §2, CTI-1..7; seeds 000 and 001 "Failover of CTI
// OS Related Components"). The environment a CTI OS node depends on — IP phones, switches, the
// Peripheral Gateway pair, the CTI Server pair, this CTI OS server and its peer — and the agents
// with their softphones. Pure: a fault (or a softphone connecting, or a request) goes in, the new
// environment and what each softphone gets come out as effects; the agent does the I/O.
import {RefusedError, UsageError} from '../errors.js'
import type {FailoverAgentState} from './load-parameter.js'

export const CTI_RULES = ['CTI-1', 'CTI-2', 'CTI-3', 'CTI-4', 'CTI-5', 'CTI-6', 'CTI-7', 'LOAD-2', 'LOAD-5'] as const
export type CtiRule = (typeof CTI_RULES)[number]

/** CTI-7's agent states. */
export const AGENT_STATES = ['Available', 'Not Ready', 'Reserved', 'Wrap-up', 'Talking'] as const
export type AgentState = (typeof AGENT_STATES)[number]
/** CTI-4/5: "agents must log in manually again": not logged in. */
export const LOGGED_OUT = 'Logged Out'
export type AgentStatus = AgentState | typeof LOGGED_OUT
export const AGENT_STATUSES: readonly AgentStatus[] = [...AGENT_STATES, LOGGED_OUT]
/** The states a log-in request may ask for. */
export const LOGIN_STATES: readonly AgentState[] = ['Available', 'Not Ready']

export const SIDES = ['A', 'B'] as const
export type Side = (typeof SIDES)[number]

/** A fault-tolerant pair (PG: CTI-1; CTI Servers: CTI-2): which sides are up, which is active. */
export interface Pair {
  up: Record<Side, boolean>
  active: Side
}

export type CtiosServerId = 'local' | 'peer'
/**
 * Where a softphone is: on this node's CTI OS server, on the peer, `waiting` (connected but no
 * CTI OS server could take it: it shows Offline, CTI-3), or `none` (no connection).
 */
export type Attachment = CtiosServerId | 'waiting' | 'none'

export interface CtiAgent {
  /** The agent's id, also the id of its softphone. */
  id: string
  /** Associated IP phone (CTI-4) and switch (CTI-5). */
  phone: string
  switch: string
  state: AgentStatus
  /** The state before the current call (CTI-7's Wrap-up row); null when not in a call. */
  beforeCall: 'Available' | 'Not Ready' | null
  softphone: Attachment
  /**
   * LOAD-5: its desktop went away (crashed) while it was logged in, with RejectIfAlreadyLoggedIn
   * = 1: it stays logged in on the server and a new login is refused until a supervisor logs it out.
   */
  desktopCrashed?: boolean
}

export interface CtiEnvironment {
  ipPhones: Record<string, {inService: boolean}>
  switches: Record<string, {inService: boolean}>
  pg: Pair
  ctiServers: Pair
  /** This node's CTI OS server (the CtiosServerNode process) and the peer CTI OS server. */
  ctios: {local: {name: string; online: boolean}; peer: {name: string; online: boolean; capacity: number}}
  agents: Record<string, CtiAgent>
  /**
   * LOAD-2 (run time): agent state after a failover, from the /LOAD in effect on the peripheral
   * (`failoverAgentState` of load-parameter.ts): Not Ready with /LOAD 0, CTI-7's table with /LOAD 1.
   */
  afterFailover: FailoverAgentState
  /** LOAD-5: RejectIfAlreadyLoggedIn of the CTI OS server's desktop connection profile. */
  rejectIfAlreadyLoggedIn: 0 | 1
}

export interface EnvironmentSettings {
  node: string
  agents: number
  switches: number
  peer: {name: string; capacity: number}
  afterFailover?: FailoverAgentState
  rejectIfAlreadyLoggedIn?: 0 | 1
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** N agents, each with its own IP phone, spread over the switches; everything up, nobody logged in. */
export function initialEnvironment(s: EnvironmentSettings): CtiEnvironment {
  const width = String(s.agents).length
  const env: CtiEnvironment = {
    ipPhones: {},
    switches: {},
    pg: {up: {A: true, B: true}, active: 'A'},
    ctiServers: {up: {A: true, B: true}, active: 'A'},
    ctios: {local: {name: s.node, online: true}, peer: {name: s.peer.name, online: true, capacity: s.peer.capacity}},
    agents: {},
    afterFailover: s.afterFailover ?? 'Not Ready',
    rejectIfAlreadyLoggedIn: s.rejectIfAlreadyLoggedIn ?? 0,
  }
  for (let k = 1; k <= s.switches; k++) env.switches[`switch-${k}`] = {inService: true}
  for (let i = 1; i <= s.agents; i++) {
    const id = `agent-${pad(i, width)}`
    const phone = `phone-${pad(i, width)}`
    env.ipPhones[phone] = {inService: true}
    env.agents[id] = {id, phone, switch: `switch-${((i - 1) % s.switches) + 1}`, state: LOGGED_OUT, beforeCall: null, softphone: 'none'}
  }
  return env
}

// ---------------------------------------------------------------------------------------
// CTI-7: agent state after a CTI OS or desktop failover with automatic re-login.

export interface Cti7Row {
  before: AgentState
  /** Only for Wrap-up: the state before the call ('otherwise': anything but Available). */
  beforeCall?: 'Available' | 'otherwise'
  after: AgentState
}

export const CTI7_TABLE: readonly Cti7Row[] = [
  {before: 'Available', after: 'Available'},
  {before: 'Not Ready', after: 'Not Ready'},
  {before: 'Reserved', after: 'Available'},
  {before: 'Wrap-up', beforeCall: 'Available', after: 'Available'},
  {before: 'Wrap-up', beforeCall: 'otherwise', after: 'Not Ready'},
]

/**
 * CTI-7. Talking is not in the published table: the call is on the IP phone, not on CTI OS, so
 * it is left as it is and the snapshot re-establishes it. A logged-out agent stays logged out.
 */
export function stateAfterFailover(agent: Pick<CtiAgent, 'state' | 'beforeCall'>): AgentStatus {
  const row = CTI7_TABLE.find(
    (r) =>
      r.before === agent.state && (r.beforeCall === undefined || (r.beforeCall === 'Available') === (agent.beforeCall === 'Available')),
  )
  return row ? row.after : agent.state
}

// ---------------------------------------------------------------------------------------
// Faults and effects.

export const COMPONENTS = ['ip-phone', 'switch', 'pg', 'cti-server', 'ctios-server', 'peer'] as const
export type Component = (typeof COMPONENTS)[number]
export const FAULT_ACTIONS = ['down', 'up', 'switch-side'] as const
export type FaultAction = (typeof FAULT_ACTIONS)[number]

export interface Fault {
  component: Component
  action: FaultAction
  /** IP phone or switch id; A or B for a side of a pair (none: the whole pair). */
  id?: string
}

/** What a softphone gets: an event on its connection, or its connection closed (Disconnect). */
export type Send = 'Offline' | 'Snapshot' | 'Connected' | 'AgentState' | 'Disconnect'

export interface Effect {
  send: Send
  softphones: string[]
  rule?: CtiRule
  reason?: string
}

export interface Transition {
  env: CtiEnvironment
  /**
   * Set when the transition changed one agent only (a softphone's own connection or request):
   * the caller may put it in place of the old one instead of taking `env`, which is then built
   * only when read (a thousand reconnecting softphones must not copy a thousand agents each).
   */
  agent?: CtiAgent
  effects: Effect[]
  /** What happened, in words, for the event log. */
  message: string
  rule?: CtiRule
}

export const pgOnline = (env: CtiEnvironment) => env.pg.up.A || env.pg.up.B
export const ctiServerOnline = (env: CtiEnvironment) => env.ctiServers.up.A || env.ctiServers.up.B

/** Softphones with a connection (on a CTI OS server or waiting). */
const connected = (env: CtiEnvironment) => Object.values(env.agents).filter((a) => a.softphone !== 'none')
const ids = (agents: CtiAgent[]) => agents.map((a) => a.id)
const onPeer = (env: CtiEnvironment) => Object.values(env.agents).filter((a) => a.softphone === 'peer').length

function clone(env: CtiEnvironment): CtiEnvironment {
  return structuredClone(env)
}

/** A copy of one agent, to change. */
function ownAgent(env0: CtiEnvironment, id: string): CtiAgent {
  const a0 = env0.agents[id]
  if (!a0) throw new UsageError(`no softphone "${id}"`)
  return {...a0}
}

/** A transition of one agent: the new environment is built when (and if) it is read. */
function single(env0: CtiEnvironment, a: CtiAgent, rest: Omit<Transition, 'env' | 'agent'>): Transition {
  let env: CtiEnvironment | undefined
  return {
    ...rest,
    agent: a,
    get env() {
      return (env ??= {...env0, agents: {...env0.agents, [a.id]: a}})
    },
  }
}

/** Why a softphone shows "Offline" now, with the rule; empty when it does not. */
export function offlineCauses(env: CtiEnvironment, agent: CtiAgent): Array<{rule: CtiRule; reason: string}> {
  const out: Array<{rule: CtiRule; reason: string}> = []
  if (agent.softphone === 'waiting') out.push({rule: 'CTI-3', reason: 'no CTI OS server could take the softphone'})
  if (!pgOnline(env)) out.push({rule: 'CTI-1', reason: 'PG offline'})
  if (!ctiServerOnline(env)) out.push({rule: 'CTI-2', reason: 'no CTI Server'})
  if (!env.ipPhones[agent.phone]?.inService) out.push({rule: 'CTI-4', reason: `IP phone ${agent.phone} out of service`})
  if (!env.switches[agent.switch]?.inService) out.push({rule: 'CTI-5', reason: `switch ${agent.switch} out of service`})
  return out
}

function checkSide(fault: Fault): Side | undefined {
  if (fault.id === undefined) return undefined
  if (fault.id !== 'A' && fault.id !== 'B') throw new UsageError(`${fault.component} side must be A or B, not "${fault.id}"`)
  return fault.id
}

/** The fault as a phrase ("switch switch-2 down"). */
export function describeFault(f: Fault): string {
  return [f.component, f.id, f.action].filter(Boolean).join(' ')
}

/**
 * Applies a fault to the environment. CTI OS server failures (CTI-3) are not injected here: the
 * agent kills the real CtiosServerNode process and reports it with `ctiosServerDown`/`Online`.
 */
export function applyFault(env0: CtiEnvironment, fault: Fault): Transition {
  switch (fault.component) {
    case 'ip-phone':
    case 'switch':
      return deviceFault(env0, fault)
    case 'pg':
      return pairFault(env0, fault, 'pg')
    case 'cti-server':
      return pairFault(env0, fault, 'ctiServers')
    case 'peer':
      if (fault.action === 'switch-side') throw new UsageError('switch-side is for the PG and the CTI Server pairs')
      if (fault.id !== undefined && fault.id !== env0.ctios.peer.name)
        throw new UsageError(`the peer CTI OS server is ${env0.ctios.peer.name}, not "${fault.id}"`)
      return fault.action === 'down' ? ctiosServerDown(env0, 'peer') : ctiosServerOnline(env0, 'peer')
    case 'ctios-server':
      throw new UsageError('a CTI OS server failure is a real failure of the CtiosServerNode process (CTI-3), not a model fault')
  }
}

function deviceFault(env0: CtiEnvironment, fault: Fault): Transition {
  const phone = fault.component === 'ip-phone'
  const rule: CtiRule = phone ? 'CTI-4' : 'CTI-5'
  const what = phone ? 'IP phone' : 'switch'
  const table = phone ? env0.ipPhones : env0.switches
  if (fault.action === 'switch-side') throw new UsageError(`switch-side is for the PG and the CTI Server pairs, not a ${what}`)
  if (fault.id === undefined) throw new UsageError(`which ${what}? (e.g. ${Object.keys(table)[0] ?? '?'})`)
  if (!table[fault.id]) {
    throw new UsageError(`no ${what} "${fault.id}"`, {
      hint: `${what}s here: ${Object.keys(table).slice(0, 5).join(', ')}${Object.keys(table).length > 5 ? ', ...' : ''}`,
    })
  }
  const env = clone(env0)
  const device = (phone ? env.ipPhones : env.switches)[fault.id]
  const associated = Object.values(env.agents).filter((a) => (phone ? a.phone : a.switch) === fault.id)
  const down = fault.action === 'down'
  if (device.inService === !down) {
    return {env: env0, effects: [], rule, message: `${what} ${fault.id} is already ${down ? 'out of service' : 'in service'}`}
  }
  device.inService = !down
  if (!down) {
    const out = associated.filter((a) => a.state === LOGGED_OUT).length
    return {
      env,
      effects: [],
      rule,
      message: `${what} ${fault.id} back in service; its ${out} agent(s) stay logged out until they log in again (${rule})`,
    }
  }
  // Out of service: an event to exactly the associated softphones, which show Offline; the
  // agents are logged out and must log in manually when it is back (CTI-4, CTI-5).
  for (const a of associated) {
    a.state = LOGGED_OUT
    a.beforeCall = null
  }
  const reason = `${what} ${fault.id} out of service`
  return {
    env,
    effects: [{send: 'Offline', softphones: ids(associated.filter((a) => a.softphone !== 'none')), rule, reason}],
    rule,
    message: `${reason}: Offline to its softphones; ${associated.length} agent(s) logged out (${rule})`,
  }
}

function pairFault(env0: CtiEnvironment, fault: Fault, key: 'pg' | 'ctiServers'): Transition {
  const isPg = key === 'pg'
  const rule: CtiRule = isPg ? 'CTI-1' : 'CTI-2'
  const name = isPg ? 'PG' : 'CTI Server'
  const side = checkSide(fault)
  const env = clone(env0)
  const pair = env[key]
  const wasOnline = pair.up.A || pair.up.B
  const other = (s: Side): Side => (s === 'A' ? 'B' : 'A')

  if (fault.action === 'switch-side') {
    if (side !== undefined) throw new UsageError(`switch-side takes no side: the ${name} switches to its other side`)
    const to = other(pair.active)
    if (!pair.up[to]) throw new RefusedError(`the ${name}'s side ${to} is down: switching to it would take the ${name} offline`, {rule})
    pair.active = to
    if (isPg)
      return {
        env,
        effects: [],
        rule,
        message: `PG switched active side ${other(to)} → ${to}: CTI OS and its clients are not affected (CTI-1)`,
      }
    return ctiServerReconnect(env, `CTI OS reconnected to the redundant CTI Server ${to} (CTI-2)`)
  }

  const sides: Side[] = side ? [side] : ['A', 'B']
  if (fault.action === 'down') {
    for (const s of sides) pair.up[s] = false
    if (pair.up.A || pair.up.B) {
      if (!pair.up[pair.active]) {
        const from = pair.active
        pair.active = other(from)
        if (isPg)
          return {
            env,
            effects: [],
            rule,
            message: `PG side ${from} down: the PG switched active side ${from} → ${pair.active}; CTI OS and its clients are not affected (CTI-1)`,
          }
        return ctiServerReconnect(
          env,
          `CTI Server ${from} down: CTI OS reconnected at once to the redundant CTI Server ${pair.active} (CTI-2)`,
        )
      }
      return {env, effects: [], rule, message: `${name} side ${sides.join(', ')} down; side ${pair.active} stays active: nothing affected`}
    }
    if (!wasOnline) return {env, effects: [], rule, message: `the ${name} is already offline`}
    const reason = isPg ? 'PG offline' : 'no CTI Server'
    return {
      env,
      effects: [{send: 'Offline', softphones: ids(connected(env)), rule, reason}],
      rule,
      message: isPg
        ? 'PG offline: Offline to every softphone (CTI-1)'
        : 'CTI Server failure and no redundant CTI Server: requests get a failure response, Offline to every softphone (CTI-2)',
    }
  }

  // up
  for (const s of sides) pair.up[s] = true
  if (wasOnline) return {env, effects: [], rule, message: `${name} side ${sides.join(', ')} up; side ${pair.active} stays active`}
  pair.active = sides[0]
  // Back online: CTI OS takes a snapshot of all agents, devices and calls (CTI-2). For the PG
  // the documents say nothing more: the same snapshot re-establishes the state, with the
  // agents Not Ready where /LOAD 0 is in effect (LOAD-2 run time).
  const notReady = notReadyOnFailover(env).length
  return {
    env,
    effects: [{send: 'Snapshot', softphones: ids(connected(env)), rule}],
    rule,
    message: `${name} back online (side ${pair.active}): snapshot of all agents, devices and calls (${rule})${notReady ? `; ${notReady} agent(s) set Not Ready (LOAD-2)` : ''}`,
  }
}

/** CTI-2: CTI OS reconnected to the redundant CTI Server; with /LOAD 0 its agents are set Not Ready (LOAD-2). */
function ctiServerReconnect(env: CtiEnvironment, message: string): Transition {
  const changed = notReadyOnFailover(env)
  if (changed.length === 0) return {env, effects: [], rule: 'CTI-2', message}
  return {
    env,
    effects: [
      {
        send: 'AgentState',
        softphones: ids(changed.filter((a) => a.softphone === 'local' || a.softphone === 'peer')),
        rule: 'LOAD-2',
        reason: 'set Not Ready on failover (/LOAD 0)',
      },
    ],
    rule: 'CTI-2',
    message: `${message}; ${changed.length} agent(s) set Not Ready (LOAD-2)`,
  }
}

/**
 * CTI-3: a CTI OS server failed (this node's CtiosServerNode, or the peer). Its softphones are
 * disconnected; each then tries to reconnect to another CTI OS server (`connectSoftphone`).
 */
export function ctiosServerDown(env0: CtiEnvironment, server: CtiosServerId): Transition {
  const name = env0.ctios[server].name
  if (!env0.ctios[server].online) return {env: env0, effects: [], rule: 'CTI-3', message: `CTI OS server ${name} is already offline`}
  const env = clone(env0)
  env.ctios[server].online = false
  const dropped = Object.values(env.agents).filter((a) => a.softphone === server)
  for (const a of dropped) a.softphone = 'none'
  return {
    env,
    effects: [{send: 'Disconnect', softphones: ids(dropped), rule: 'CTI-3', reason: `CTI OS server ${name} failed`}],
    rule: 'CTI-3',
    message: `CTI OS server ${name} failed: its ${dropped.length} softphone(s) disconnected; they reconnect to another CTI OS server (CTI-3)`,
  }
}

/**
 * CTI-3: a CTI OS server is back online (NodeManager restarted it): the softphones that could
 * not reconnect anywhere move onto it, re-logged in (CTI-7), and get the snapshot.
 */
export function ctiosServerOnline(env0: CtiEnvironment, server: CtiosServerId): Transition {
  const name = env0.ctios[server].name
  if (env0.ctios[server].online) return {env: env0, effects: [], rule: 'CTI-3', message: `CTI OS server ${name} is already online`}
  const env = clone(env0)
  env.ctios[server].online = true
  let room = server === 'peer' ? env.ctios.peer.capacity - onPeer(env) : Infinity
  const moved: CtiAgent[] = []
  for (const a of Object.values(env.agents)) {
    if (a.softphone !== 'waiting' || room <= 0) continue
    relogin(a, server, env.afterFailover)
    moved.push(a)
    room--
  }
  return {
    env,
    effects: [{send: 'Snapshot', softphones: ids(moved), rule: 'CTI-3'}],
    rule: 'CTI-3',
    message: `CTI OS server ${name} online: snapshot of all agents, devices and calls; ${moved.length} waiting softphone(s) reconnected (CTI-3)`,
  }
}

/**
 * The agent's state after a failover: LOAD-2 with /LOAD 0 in effect (Not Ready, so no call is
 * routed to it; a call in progress stays on its IP phone and the agent is Not Ready after it),
 * CTI-7's table with /LOAD 1. Changes `a`; returns the rule that decided, when the state changed.
 */
function afterFailover(a: CtiAgent, mode: FailoverAgentState): 'LOAD-2' | 'CTI-7' | undefined {
  if (mode === 'CTI-7') {
    const after = stateAfterFailover(a)
    if (after === a.state) return undefined
    a.state = after
    if (after === 'Available' || after === 'Not Ready') a.beforeCall = null
    return 'CTI-7'
  }
  if (a.state === LOGGED_OUT || a.state === 'Not Ready') return undefined
  if (a.state === 'Talking') {
    a.beforeCall = 'Not Ready'
    return undefined
  }
  a.state = 'Not Ready'
  a.beforeCall = null
  return 'LOAD-2'
}

/** A softphone lands on a CTI OS server: automatic re-login, with LOAD-2's or CTI-7's state. */
function relogin(a: CtiAgent, server: CtiosServerId, mode: FailoverAgentState): 'LOAD-2' | 'CTI-7' | undefined {
  a.softphone = server
  return afterFailover(a, mode)
}

/** LOAD-2 (run time) on a CTI-2 reconnect or a snapshot: every logged-in agent Not Ready (with /LOAD 0). */
function notReadyOnFailover(env: CtiEnvironment): CtiAgent[] {
  if (env.afterFailover !== 'Not Ready') return []
  return Object.values(env.agents).filter((a) => afterFailover(a, 'Not Ready') === 'LOAD-2')
}

/**
 * A softphone connects (first time or reconnecting): to this node's CTI OS server if online,
 * else to the peer while it has room, else it waits and gets Offline (CTI-3). A logged-in agent
 * is re-logged in automatically with CTI-7's state (a CTI OS or desktop failover).
 */
export function connectSoftphone(env0: CtiEnvironment, id: string): Transition {
  const a = ownAgent(env0, id)
  if (a.desktopCrashed && env0.rejectIfAlreadyLoggedIn === 1) throw alreadyLoggedIn(a)
  const before = a.state
  const peerTaken = onPeer(env0) - (a.softphone === 'peer' ? 1 : 0)
  a.softphone = 'none'
  const server: CtiosServerId | undefined = env0.ctios.local.online
    ? 'local'
    : env0.ctios.peer.online && peerTaken < env0.ctios.peer.capacity
      ? 'peer'
      : undefined
  if (!server) {
    a.softphone = 'waiting'
    return single(env0, a, {
      effects: [{send: 'Offline', softphones: [id], rule: 'CTI-3', reason: 'no CTI OS server could take the softphone'}],
      rule: 'CTI-3',
      message: `softphone ${id} could not reconnect to any CTI OS server: Offline (CTI-3)`,
    })
  }
  const rule = relogin(a, server, env0.afterFailover)
  const effects: Effect[] = [{send: 'Connected', softphones: [id], ...(rule ? {rule} : {})}]
  // A softphone that connects while a component is down shows Offline at once.
  for (const c of offlineCauses(env0, a)) effects.push({send: 'Offline', softphones: [id], rule: c.rule, reason: c.reason})
  return single(env0, a, {
    effects,
    message: `softphone ${id} connected to ${env0.ctios[server].name}${rule ? `; ${before} → ${a.state} (${rule})` : ''}`,
  })
}

/**
 * A softphone's connection ended (its desktop went away): the agent stays as it is, logged in on
 * the server. With RejectIfAlreadyLoggedIn = 1 that is LOAD-5's desktop crash: the next login
 * is refused until a supervisor logs the agent out (`logoutAgent`). With 0 (the seed says
 * nothing; ucctl's choice) the restarted desktop is re-logged in automatically, as after any
 * desktop failover (LOAD-2 / CTI-7 state).
 */
export function disconnectSoftphone(env0: CtiEnvironment, id: string): Transition {
  const a = ownAgent(env0, id)
  a.softphone = 'none'
  if (env0.rejectIfAlreadyLoggedIn === 1 && a.state !== LOGGED_OUT) {
    a.desktopCrashed = true
    return single(env0, a, {
      effects: [],
      rule: 'LOAD-5',
      message: `softphone ${id} disconnected while agent ${id} is ${a.state}: the agent stays logged in on the server; its next login is refused until a supervisor logs it out (LOAD-5)`,
    })
  }
  return single(env0, a, {effects: [], message: `softphone ${id} disconnected`})
}

/** LOAD-5: the refusal of a login with an agent ID already logged in. */
export function alreadyLoggedIn(a: Pick<CtiAgent, 'id' | 'state'>): RefusedError {
  return new RefusedError(`agent ${a.id} is already logged in (${a.state}): login refused, RejectIfAlreadyLoggedIn = 1 (LOAD-5)`, {
    rule: 'LOAD-5',
    hint: `a supervisor logs the agent out first: ucctl ctios agent logout ${a.id}; then the agent restarts the desktop and logs in by hand`,
  })
}

/** LOAD-5: a supervisor logs an agent out (its desktop, if connected, sees it Logged Out). */
export function logoutAgent(env0: CtiEnvironment, id: string): Transition {
  const a = ownAgent(env0, id)
  if (a.state === LOGGED_OUT && !a.desktopCrashed) return single(env0, a, {effects: [], message: `agent ${id} is already logged out`})
  const from = a.state
  a.state = LOGGED_OUT
  a.beforeCall = null
  a.desktopCrashed = false
  const attached = a.softphone === 'local' || a.softphone === 'peer'
  return single(env0, a, {
    effects: attached ? [{send: 'AgentState', softphones: [id], rule: 'LOAD-5'}] : [],
    rule: 'LOAD-5',
    message: `supervisor logged agent ${id} out (${from} → ${LOGGED_OUT}); the agent logs in by hand (LOAD-5)`,
  })
}

/**
 * An agent state request from a softphone. Refused (the failure response) when its path to the
 * CTI Server is gone (CTI-2; CTI-1, CTI-3 alike), when its IP phone or switch is out of service
 * (CTI-4, CTI-5), or when a logged-out agent asks for anything but logging in.
 */
export function requestState(env0: CtiEnvironment, id: string, state: AgentStatus): Transition {
  const a0 = env0.agents[id]
  if (!a0) throw new UsageError(`no softphone "${id}"`)
  if (a0.softphone === 'none' || a0.softphone === 'waiting') {
    throw new RefusedError(`softphone ${id} is not connected to a CTI OS server`, {rule: 'CTI-3'})
  }
  if (!ctiServerOnline(env0)) throw new RefusedError(`failure response to ${id}: no CTI Server is online`, {rule: 'CTI-2'})
  if (!pgOnline(env0)) throw new RefusedError(`failure response to ${id}: the PG is offline`, {rule: 'CTI-1'})
  const logIn = a0.state === LOGGED_OUT && state !== LOGGED_OUT
  if (logIn) {
    for (const c of offlineCauses(env0, a0)) throw new RefusedError(`agent ${id} cannot log in: ${c.reason}`, {rule: c.rule})
    if (!LOGIN_STATES.includes(state as AgentState)) {
      throw new RefusedError(`agent ${id} is logged out: log in first (${LOGIN_STATES.join(' or ')}), not ${state}`)
    }
  }
  if (a0.state === state) return {env: env0, effects: [], message: `agent ${id} is already ${state}`}
  const a = ownAgent(env0, id)
  const from = a.state
  a.state = state
  // CTI-7's Wrap-up row needs the state the agent had before the call.
  if ((state === 'Reserved' || state === 'Talking') && (from === 'Available' || from === 'Not Ready')) a.beforeCall = from
  else if (state !== 'Reserved' && state !== 'Talking' && state !== 'Wrap-up') a.beforeCall = null
  return single(env0, a, {effects: [{send: 'AgentState', softphones: [id]}], message: `agent ${id} ${from} → ${state}`})
}
