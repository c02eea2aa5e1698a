// A whole deployment as plain data, and one step of a runbook applied to it (issue 17): the
// simulation behind `ucctl runbook check`. Every rule comes from the product modules (upgrade
// order, presence redundancy state machine, Unity Connection manual actions, services); this
// file only routes an action to them and records what they say. Pure: time is passed in.

import {NotFoundError, RefusedError, UcctlError, UsageError} from '../errors.js'
import {type CtiEnvironment, ctiosServerOnline, type Fault, type Transition} from './cti-failover.js'
import {mergeEffects, planFault, softphoneConnection} from './cti-softphones.js'
import {type ManualAction, planManualAction} from './connection-cluster.js'
import {criticalStopEffect, type ServerStatus} from './connection-statuses.js'
import {checkCapacity, checkRedundancyGroups, type PresenceFinding} from './presence-capacity.js'
import {
  applyEvent,
  classifyGroup,
  describeAction,
  DOCUMENTED_HA_TIMERS,
  type GroupState,
  type HaEffect,
  type HaEvent,
  type OperatorAction,
  recommendedActionFor,
} from './presence-redundancy.js'
import {
  CTIOS_PROCESSES,
  planNodeRestart,
  planServiceAction,
  type Product,
  type Role,
  type ServiceState,
  type StartupType,
} from './services.js'
import {type HistoryEntry, planUpgrade, type UpgradeAction} from './upgrade.js'
import {checkNodeAction, clusterFromPartitions, switchVersionTarget} from './upgrade-guards.js'
import {installableVersion, parseVersion} from './version.js'
import type {Finding} from './finding.js'

// ---------------------------------------------------------------------------------------
// The deployment (the content of a Snapshot document)

export interface SimService {
  name: string
  state: ServiceState
  startup: StartupType
  critical: boolean
}

export interface SimConnection {
  status: ServerStatus
  takingCalls: boolean
  callsInProgress: number
  peer: string
  degraded: string[]
}

export interface SimNode {
  name: string
  product: Product
  role: Role
  cluster: string
  group: string | null
  /** The active partition's version (every product has one). */
  version: string
  /** Unified CM and IM and Presence: the inactive partition and the node's upgrade history. */
  inactive: string | null
  history: HistoryEntry[]
  services: SimService[]
  /** Unity Connection: the server's status (UC-2). */
  connection: SimConnection | null
  /** IM and Presence: what PRG-10 checks (users come from the group). */
  facts: {capacity?: number; cpuPercent?: number}
  /** CTI OS: the related components and the softphones (CTI-1..7). */
  ctios: CtiEnvironment | null
}

export interface Deployment {
  nodes: SimNode[]
  groups: GroupState[]
}

// ---------------------------------------------------------------------------------------
// Actions: what a runbook line does, in the domain's terms

export type SimAction =
  | {kind: 'upgrade'; node: string; version: string}
  | {kind: 'switch-version'; node: string}
  | {kind: 'node-restart'; node: string}
  | {kind: 'service'; action: 'start' | 'stop' | 'cycle'; node: string; service: string}
  | {kind: 'service-startup'; node: string; service: string; startup: StartupType}
  | {kind: 'cluster'; action: ManualAction; node: string; drain: boolean}
  | {kind: 'pcluster'; event: OperatorAction; group?: string}
  | {kind: 'pcluster-check'; group?: string}
  | {kind: 'upgrade-plan'; to: string}
  | {kind: 'ctios-fault'; node: string; fault: Fault}
  /** A read that changes nothing and checks nothing (status, … list, … status). */
  | {kind: 'read'}

export interface UsersMoved {
  from: string
  to: string
  users: number
}

export interface StepEffects {
  usersMoved: UsersMoved[]
  callsDropped: {node: string; calls: number}[]
  /** Softphones that get an Offline event (CTI-1..5), by rule. */
  offline: {node: string; rule: string; reason?: string; softphones: number}[]
  alarms: string[]
}

export type StepFinding = Finding

export interface StepOutcome {
  ok: boolean
  rule?: string
  message: string
  fix?: string
  /** What changes, and the rules that allow it. */
  changes: string[]
  rules: string[]
  effects: StepEffects
  /** A check's findings (pcluster check). */
  findings: StepFinding[]
  deployment: Deployment
}

const clone = (d: Deployment): Deployment => structuredClone(d)

function nodeOf(d: Deployment, name: string): SimNode {
  const n = d.nodes.find((x) => x.name === name)
  if (!n) throw new NotFoundError(`no node "${name}"`, {hint: `nodes: ${d.nodes.map((x) => x.name).join(', ')}`})
  return n
}

function serviceOf(n: SimNode, name: string): SimService {
  const s = n.services.find((x) => x.name.toLowerCase() === name.toLowerCase())
  if (!s) throw new NotFoundError(`no service "${name}" on ${n.name}`, {hint: `services: ${n.services.map((x) => x.name).join(', ')}`})
  return s
}

/** SVC-1: CtiosServerNode, the main CTI OS server process (CTI-3 when it fails). */
const CTIOS_SERVER = CTIOS_PROCESSES[0].name
const criticalRunning = (n: SimNode) => n.services.filter((s) => s.critical).every((s) => s.state === 'Running')
const groupIndex = (d: Deployment, node: string) => d.groups.findIndex((g) => g.nodes.some((n) => n.name === node))

class Step {
  readonly changes: string[] = []
  readonly rules: string[] = []
  readonly effects: StepEffects = {usersMoved: [], callsDropped: [], offline: [], alarms: []}
  readonly findings: StepFinding[] = []
  message = ''
  constructor(
    readonly d: Deployment,
    readonly now: number,
  ) {}

  /** Applies a presence redundancy event (the SRM's own reducer) and its effects on services and users. */
  ha(gi: number, event: HaEvent): void {
    const before = this.d.groups[gi]
    const {group, effects} = applyEvent(before, event, this.now, DOCUMENTED_HA_TIMERS)
    this.d.groups[gi] = group
    this.haEffects(effects)
  }

  haEffects(effects: readonly HaEffect[]): void {
    for (const fx of effects) {
      switch (fx.kind) {
        case 'moveUsers':
          if (fx.users > 0) this.effects.usersMoved.push({from: fx.from, to: fx.to, users: fx.users})
          break
        case 'stopCriticalServices':
        case 'startCriticalServices':
          for (const s of nodeOf(this.d, fx.node).services)
            if (s.critical) s.state = fx.kind === 'stopCriticalServices' ? 'Stopped' : 'Running'
          break
        case 'raiseAlarm':
          this.effects.alarms.push(`${fx.rule}: ${fx.message}`)
          break
        default:
          break
      }
    }
  }

  /** A transient pair settles (the SRM completes what it started), as `pcluster` actions wait for. */
  settle(gi: number): void {
    for (const type of ['takeoverComplete', 'takebackComplete'] as const) this.ha(gi, {type})
  }

  /** The IM and Presence SRM sees the node's critical services after a change (PRG-3, PRG-4). */
  presenceAfterServices(n: SimNode, wereRunning: boolean): void {
    const gi = groupIndex(this.d, n.name)
    if (gi < 0 || n.product !== 'imp') return
    const running = criticalRunning(n)
    if (wereRunning && !running) {
      // The runbook's next line comes after the critical service down delay: SRM has acted.
      this.ha(gi, {type: 'criticalServiceDown', node: n.name, sinceMs: this.now - DOCUMENTED_HA_TIMERS.criticalServiceDownDelayMs})
      this.rules.push('PRG-3: SRM acts on a critical service down after the critical service down delay')
    } else if (!wereRunning && running) {
      this.ha(gi, {type: 'servicesBack', node: n.name})
      this.rules.push('PRG-3: SRM sees the critical services running again')
    }
  }

  /** A CTI OS transition (the agent's own reducers): the environment, and who gets Offline. */
  cti(n: SimNode, t: Transition): void {
    n.ctios = t.env
    this.changes.push(t.message)
    if (t.rule) this.rules.push(t.rule)
    for (const e of mergeEffects(t.effects)) {
      if (e.send === 'Offline' && e.softphones.length > 0)
        this.effects.offline.push({
          node: n.name,
          rule: e.rule ?? 'CTI-3',
          ...(e.reason ? {reason: e.reason} : {}),
          softphones: e.softphones.length,
        })
    }
  }

  /** CTI-3: CtiosServerNode stopped (softphones reconnect elsewhere or get Offline) or back (snapshot). */
  ctiosAfterServices(n: SimNode): void {
    const env = n.ctios
    const s = n.services.find((x) => x.name === CTIOS_SERVER)
    if (!env || !s) return
    const running = s.state === 'Running'
    if (running === env.ctios.local.online) return
    this.cti(n, running ? ctiosServerOnline(env, 'local') : planFault(env, {component: 'ctios-server', action: 'down'}))
  }

  /** UC-10: a Unity Connection critical service stopped or back. */
  connectionAfterServices(n: SimNode): void {
    const c = n.connection
    if (!c || n.product !== 'cuc') return
    const down = n.services.filter((s) => s.critical && s.state !== 'Running').map((s) => s.name)
    const added = down.filter((x) => !c.degraded.includes(x))
    c.degraded = down
    if (added.length > 0) {
      const peer = this.d.nodes.find((x) => x.name === c.peer)?.connection
      const effect = criticalStopEffect(n.role, c.status, peer?.status)
      this.rules.push(`${effect.rule}: ${effect.why}`)
      if (effect.effect === 'status-change' && peer) {
        this.changes.push(`${n.name}: ${c.status} → Secondary`, `${c.peer}: ${peer.status} → Primary`)
        c.status = 'Secondary'
        peer.status = 'Primary'
      } else this.changes.push(`${n.name}: degraded (${down.join(', ')}); status stays ${c.status}`)
    }
  }
}

function upgradeCluster(d: Deployment, node: SimNode) {
  return clusterFromPartitions(
    d.nodes
      .filter((n) => (n.product === 'cucm' || n.product === 'imp') && n.cluster === node.cluster)
      .map((n) => ({
        node: n.name,
        product: n.product as 'cucm' | 'imp',
        role: n.role,
        cluster: n.cluster,
        active: n.version,
        inactive: n.inactive,
        history: n.history,
      })),
  )
}

function partitionAction(st: Step, node: SimNode, action: UpgradeAction, version: string): void {
  if (node.product !== 'cucm' && node.product !== 'imp') {
    throw new UsageError(
      `${node.name} is a ${node.product} node: only Unified CM and IM and Presence nodes have partitions to upgrade (SPEC §5)`,
    )
  }
  const {cluster, history} = upgradeCluster(st.d, node)
  const refusal = checkNodeAction(cluster, history, node.name, action, version)
  if (refusal) throw new RefusedError(refusal.message, {rule: refusal.rule, hint: refusal.hint})
  const time = new Date(st.now).toISOString()
  if (action === 'upgrade') {
    st.changes.push(`${node.name}: inactive partition ${node.inactive ?? 'empty'} → ${version}`)
    node.inactive = version
    node.history.push({node: node.name, action, version, time})
    st.message = `${node.name}: ${version} installed on the inactive partition (active: ${node.version})`
    return
  }
  st.changes.push(`${node.name}: active partition ${node.version} → ${version}`)
  node.inactive = node.version
  node.version = version
  node.history.push({node: node.name, action, version, time})
  restartServices(st, node)
  st.message = `${node.name} runs ${version} (inactive: ${node.inactive})`
}

/** SVC-5, switch version: every service stopped, the Automatic ones started, as a boot does. */
function restartServices(st: Step, node: SimNode): void {
  const wereRunning = criticalRunning(node)
  const plan = planNodeRestart(node.services)
  st.rules.push(...plan.rules)
  // CTI-3: while CtiosServerNode is down its softphones reconnect to the peer (or wait, Offline).
  if (node.ctios?.ctios.local.online) st.cti(node, planFault(node.ctios, {component: 'ctios-server', action: 'down'}))
  for (const s of node.services) s.state = s.startup === 'Automatic' ? 'Running' : 'Stopped'
  const gi = groupIndex(st.d, node.name)
  const state = gi >= 0 ? st.d.groups[gi].nodes.find((n) => n.name === node.name)?.state : null
  if (node.product === 'imp' && (state === 'Idle' || state === 'Failing Over')) {
    // PRG-4: the SRM stops them again on an Idle node.
    for (const s of node.services) if (s.critical) s.state = 'Stopped'
    st.rules.push('PRG-4: SRM does not let critical services run on an Idle node')
  }
  // Within the critical service down delay the SRM and the role manager see no failure.
  st.presenceAfterServices(node, wereRunning)
  st.connectionAfterServices(node)
  st.ctiosAfterServices(node)
}

function serviceAction(st: Step, node: SimNode, name: string, action: 'start' | 'stop' | 'cycle'): void {
  const s = serviceOf(node, name)
  const plan = planServiceAction(s, action)
  st.changes.push(...plan.changes)
  st.rules.push(...plan.rules)
  const wereRunning = criticalRunning(node)
  if (action === 'cycle') {
    s.state = 'Running' // back within the critical service down delay: no failover
    st.message = `${node.name}: ${s.name} restarted`
    return
  }
  s.state = action === 'stop' ? 'Stopped' : 'Running'
  st.message = `${node.name}: ${s.name} ${s.state}`
  if (s.name === 'Cisco Server Recovery Manager') {
    const gi = groupIndex(st.d, node.name)
    if (gi >= 0 && action === 'stop') {
      // PRG-7 row 16: the peer loses the heartbeat of a node whose SRM is not running.
      st.ha(gi, {type: 'peerHeartbeatLost', node: node.name})
    } else if (gi >= 0) st.ha(gi, {type: 'nodeBoot', node: node.name, servicesUp: criticalRunning(node)})
  }
  st.presenceAfterServices(node, wereRunning)
  st.connectionAfterServices(node)
  st.ctiosAfterServices(node)
}

function clusterAction(st: Step, node: SimNode, action: ManualAction, drain: boolean): void {
  const c = node.connection
  if (!c) throw new UsageError(`${node.name} is not a Unity Connection server`)
  const peerNode = st.d.nodes.find((x) => x.name === c.peer)
  const peer =
    peerNode?.connection && peerNode.connection.status !== 'Not Functioning'
      ? {name: peerNode.name, status: peerNode.connection.status}
      : undefined
  const plan = planManualAction(
    action,
    {name: node.name, role: node.role, status: c.status, takingCalls: c.takingCalls, callsInProgress: c.callsInProgress},
    peer,
  )
  st.changes.push(...plan.changes)
  st.rules.push(...plan.rules)
  st.message = plan.noop ? `${node.name}: nothing to do` : `${node.name}: ${action}`
  if (plan.noop) return
  switch (action) {
    case 'make-primary':
      c.status = 'Primary'
      if (peerNode?.connection) peerNode.connection.status = 'Secondary'
      break
    case 'deactivate':
      if (drain) {
        st.changes.unshift(`${node.name}: stops taking calls; its ${c.callsInProgress} call(s) end first (UC-8)`)
        c.takingCalls = false
      } else if (plan.dropsCalls > 0) st.effects.callsDropped.push({node: node.name, calls: plan.dropsCalls})
      c.callsInProgress = 0
      c.status = 'Deactivated'
      break
    case 'activate':
      // UC-2: Starting lasts a few minutes, then the fitting status.
      c.takingCalls = true
      c.status = peer?.status === 'Primary' ? 'Secondary' : 'Primary'
      break
    case 'stop-taking-calls':
      c.takingCalls = false
      break
    case 'take-calls':
      c.takingCalls = true
      break
  }
}

function presenceAction(st: Step, event: OperatorAction, group: string | undefined): void {
  let gi: number
  if ('node' in event) {
    nodeOf(st.d, event.node)
    gi = groupIndex(st.d, event.node)
    if (gi < 0) throw new NotFoundError(`${event.node} is not in a presence redundancy group`)
  } else if (group !== undefined) {
    gi = st.d.groups.findIndex((g) => g.name === group)
    if (gi < 0)
      throw new NotFoundError(`no presence redundancy group ${group}`, {hint: `groups: ${st.d.groups.map((g) => g.name).join(', ')}`})
  } else {
    if (st.d.groups.length !== 1) throw new UsageError('name the presence redundancy group: there are several or none')
    gi = 0
  }
  const before = st.d.groups[gi]
  const from = classifyGroup(before)?.row.row
  st.ha(gi, event)
  st.settle(gi)
  const g = st.d.groups[gi]
  const to = classifyGroup(g)?.row.row
  const cell = (n: GroupState['nodes'][number]) => `${n.state ?? 'down'} / ${n.reason ?? '-'}`
  for (const i of [0, 1] as const)
    if (cell(before.nodes[i]) !== cell(g.nodes[i])) st.changes.push(`${g.nodes[i].name}: ${cell(before.nodes[i])} → ${cell(g.nodes[i])}`)
  st.rules.push(
    `${event.type === 'haEnable' || event.type === 'haDisable' ? 'PRG-9' : 'PRG-8'}: ${describeAction(event)} is allowed in this state`,
  )
  if (g.haEnabled) st.rules.push(`PRG-7: row ${from ?? '-'} → row ${to ?? '-'}`)
  st.message = `${g.name}: ${g.nodes.map((n) => `${n.name} ${n.state ?? 'down'} / ${n.reason ?? '-'}`).join(', ')}`
}

/** PRG-1 and PRG-10 on the simulated deployment, as `pcluster check` reads them from the agents. */
export function checkPresence(d: Deployment, only?: string): PresenceFinding[] {
  const groups = d.groups.filter((g) => !only || g.name === only)
  if (only && groups.length === 0) throw new NotFoundError(`no presence redundancy group ${only}`)
  const imp = d.nodes.filter((n) => n.product === 'imp')
  const publisherOf = (n: SimNode) => imp.find((p) => p.cluster === n.cluster && p.role === 'publisher')?.name ?? '(none)'
  const findings: PresenceFinding[] = [
    ...checkRedundancyGroups(
      groups.map((g) => ({name: g.name, nodes: g.nodes.map((n) => n.name)})),
      imp.map((n) => ({name: n.name, version: n.version, cluster: n.cluster, databasePublisher: publisherOf(n)})),
    ).findings,
  ]
  for (const cluster of [...new Set(imp.filter((n) => groups.some((g) => g.nodes.some((x) => x.name === n.name))).map((n) => n.cluster))]) {
    const loads = d.groups
      .filter((g) => g.nodes.some((x) => imp.find((n) => n.name === x.name)?.cluster === cluster))
      .map((g) => ({
        name: g.name,
        nodes: g.nodes.map((x) => ({name: x.name, users: x.assignedUsers, ...imp.find((n) => n.name === x.name)?.facts})),
      }))
    findings.push(...checkCapacity(cluster, loads).findings)
  }
  return findings
}

function apply(st: Step, a: SimAction): void {
  switch (a.kind) {
    case 'upgrade':
      partitionAction(st, nodeOf(st.d, a.node), 'upgrade', installableVersion(a.version))
      return
    case 'switch-version': {
      const n = nodeOf(st.d, a.node)
      partitionAction(st, n, 'switch-version', switchVersionTarget({node: n.name, inactive: n.inactive, history: n.history}))
      return
    }
    case 'node-restart': {
      const n = nodeOf(st.d, a.node)
      st.changes.push(...planNodeRestart(n.services).changes)
      restartServices(st, n)
      st.message = `${n.name}: every service restarted`
      return
    }
    case 'service':
      serviceAction(st, nodeOf(st.d, a.node), a.service, a.action)
      return
    case 'service-startup': {
      const s = serviceOf(nodeOf(st.d, a.node), a.service)
      st.changes.push(`${s.name}: startup ${s.startup} → ${a.startup}`)
      st.rules.push('SVC-3: Automatic services start with the host (recommended)')
      s.startup = a.startup
      st.message = `${a.node}: ${s.name} startup ${a.startup}`
      return
    }
    case 'cluster':
      clusterAction(st, nodeOf(st.d, a.node), a.action, a.drain)
      return
    case 'pcluster':
      presenceAction(st, a.event, a.group)
      return
    case 'pcluster-check': {
      const findings = checkPresence(st.d, a.group)
      st.findings.push(...findings)
      const errors = findings.filter((f) => f.severity === 'error')
      st.message = errors.length
        ? `pcluster check would fail: ${errors.map((f) => `${f.rule} ${f.message}`).join('; ')}`
        : `pcluster check passes${findings.length ? ' with warnings' : ''}`
      if (errors.length) throw new CheckFinding(errors[0])
      return
    }
    case 'upgrade-plan': {
      const pub = st.d.nodes.find((n) => n.product === 'cucm' && n.role === 'publisher')
      if (!pub) throw new NotFoundError('no Unified CM publisher')
      const plan = planUpgrade(upgradeCluster(st.d, pub).cluster, parseVersion(a.to).text)
      st.message = `${plan.type} upgrade (${plan.rule}): ${plan.steps.map((s) => `${s.number} ${s.action} ${s.nodes.join(', ')}`).join('; ')}`
      return
    }
    case 'ctios-fault': {
      const n = nodeOf(st.d, a.node)
      if (!n.ctios) throw new UsageError(`${n.name} is not a CTI OS node`)
      const t = planFault(n.ctios, a.fault)
      st.cti(n, t)
      // CTI-3: NodeManager restarts the failed CtiosServerNode; the waiting softphones come back to it.
      if (a.fault.component === 'ctios-server' && a.fault.action === 'down') st.cti(n, ctiosServerOnline(n.ctios!, 'local'))
      st.message = `${n.name}: ${t.message}`
      return
    }
    case 'read':
      st.message = 'read only: changes nothing'
      return
  }
}

/** A check that finds an error: the step fails (exit 3) as the command would. */
class CheckFinding extends Error {
  constructor(readonly finding: PresenceFinding) {
    super(finding.message)
  }
}

/**
 * One runbook step on the deployment: allowed (the state after it, its effects) or refused
 * (the rule, why, and the fix; the deployment unchanged). Pure: `d` is not modified.
 */
export function simulateStep(d: Deployment, action: SimAction, nowMs: number): StepOutcome {
  const st = new Step(clone(d), nowMs)
  const base = {changes: st.changes, rules: st.rules, effects: st.effects, findings: st.findings}
  try {
    apply(st, action)
  } catch (error) {
    if (error instanceof CheckFinding) {
      return {...base, ok: false, rule: error.finding.rule, message: st.message, fix: error.finding.fix, deployment: st.d}
    }
    if (error instanceof UcctlError) {
      return {
        ...base,
        ok: false,
        ...(error.rule ? {rule: error.rule} : {}),
        message: error.message,
        ...(error.hint ? {fix: error.hint} : {}),
        deployment: d,
      }
    }
    throw error
  }
  return {...base, ok: true, message: st.message, deployment: st.d}
}

// ---------------------------------------------------------------------------------------
// The state a step reaches, as a runbook report shows it and a run compares it

export interface StateView {
  nodes: {
    name: string
    version: string
    inactive?: string | null
    status?: ServerStatus
    presence?: {state: string; reason: string | null}
    users?: number
    /** CTI OS: softphones by connection (Offline: CTI-1..5). */
    softphones?: {connected: number; Offline: number; disconnected: number}
    stopped: string[]
  }[]
  groups: {name: string; haEnabled: boolean; row: number | null; recommendedAction: string}[]
}

export function stateView(d: Deployment): StateView {
  const presence = new Map(d.groups.flatMap((g) => g.nodes.map((n) => [n.name, n] as const)))
  return {
    nodes: d.nodes.map((n) => {
      const p = presence.get(n.name)
      return {
        name: n.name,
        version: n.version,
        ...(n.product === 'cucm' || n.product === 'imp' ? {inactive: n.inactive} : {}),
        ...(n.connection ? {status: n.connection.status} : {}),
        ...(p ? {presence: {state: p.state ?? 'down', reason: p.reason}, users: p.users} : {}),
        ...(n.ctios ? {softphones: softphoneCounts(n.ctios)} : {}),
        stopped: n.services.filter((s) => s.state !== 'Running').map((s) => s.name),
      }
    }),
    groups: d.groups.map((g) => ({
      name: g.name,
      haEnabled: g.haEnabled,
      row: g.haEnabled ? (classifyGroup(g)?.row.row ?? null) : null,
      recommendedAction: recommendedActionFor(g),
    })),
  }
}

function softphoneCounts(env: CtiEnvironment): {connected: number; Offline: number; disconnected: number} {
  const out = {connected: 0, Offline: 0, disconnected: 0}
  for (const a of Object.values(env.agents)) out[softphoneConnection(env, a)]++
  return out
}

/** The differences between two views (none when they match), for a run against its prediction. */
export function stateDifferences(predicted: StateView, reached: StateView): string[] {
  const out: string[] = []
  const flat = (v: StateView) =>
    new Map<string, string>([
      ...v.nodes.flatMap((n) =>
        Object.entries(n)
          .filter(([k]) => k !== 'name')
          .map(([k, x]) => [`${n.name}.${k}`, JSON.stringify(x)] as [string, string]),
      ),
      ...v.groups.flatMap((g) =>
        Object.entries(g)
          .filter(([k]) => k !== 'name')
          .map(([k, x]) => [`${g.name}.${k}`, JSON.stringify(x)] as [string, string]),
      ),
    ])
  const a = flat(predicted)
  const b = flat(reached)
  for (const k of new Set([...a.keys(), ...b.keys()]))
    if (a.get(k) !== b.get(k)) out.push(`${k}: predicted ${a.get(k) ?? 'nothing'}, reached ${b.get(k) ?? 'nothing'}`)
  return out
}
