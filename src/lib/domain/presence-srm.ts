// The Server Recovery Manager of one IM and Presence node (SPEC §6, PRG-3, PRG-4, PRG-7) as a pure
// reducer: its own start (Initializing, then Running), the heartbeats with its peer and their
// timeouts, the monitoring of its critical services, and which of the group machine's effects
// this node carries out. Time comes in with the events; what the agent must do comes out as
// effects. The group machine itself is ./presence-machine.ts; the agent keeps its durable replica
// (agent/presence-replica.ts) and reports what it applied as `applied` events.
import {describePair, type GroupState, type HaEffect, type HaEvent, type PresenceNode} from './presence-group.js'
import type {HaTimers} from './presence-tables.js'

export type InitKind = 'boot' | 'restart' | 'planned'

export interface SrmConfig {
  readonly me: string
  readonly peer: string
  readonly timers: HaTimers
  /** The services whose failure fails the node over (PRG-3), and its database service (PRG-7 row 13). */
  readonly critical: readonly string[]
  readonly databaseService?: string
  /** The SRM's own service: while it is not running, the node neither heartbeats nor monitors (PRG-3). */
  readonly srmService: string
}

/** What the node's services show when an event is made (NodeManager). */
export interface Services {
  /** Critical services not Running. */
  readonly down: readonly string[]
  /** Every critical service Running or Starting (told to the peer with each heartbeat). */
  readonly up: boolean
  /** The database service and its state, when the node has one. */
  readonly database: {readonly name: string; readonly state: string} | null
}

/** What the peer says of itself in a heartbeat. */
export interface PeerWord {
  readonly initializing: boolean
  /** Each start of the peer's SRM has its own id; `initKind` says whether the node booted. */
  readonly initId: string
  readonly initKind: InitKind
  /** The last start of this SRM that the peer has handled (PRG-3: the peer records it). */
  readonly seenInit: string | null
  readonly servicesUp: boolean
  /** The version of the users' assignment the peer holds (sent again only when older than ours). */
  readonly tableStamp: number
}

/** A user move this node's SRM performs (agent/presence-users.ts MovePlan). */
export interface MovePlan {
  readonly from: string
  readonly to: string
  /** 'home': only users assigned to `to` (fallback, recovery); 'all': every user on `from` (takeover). */
  readonly select: 'home' | 'all'
  readonly reason: string
}

export interface SrmState {
  readonly config: SrmConfig
  /** The group as this node's replica holds it (after every event it applied or merged). */
  readonly group: GroupState
  readonly srm: 'stopped' | 'initializing' | 'running'
  /** The agent is shutting down: nothing new starts. */
  readonly stopping: boolean
  /** The next SRM start is the node's boot (the agent has just started). */
  readonly bootPending: boolean
  /** The next SRM start is a restart that the group state already accounts for (Recover, HA enable). */
  readonly plannedRestart: boolean
  readonly initId: string
  readonly initKind: InitKind
  readonly initStartedAt: number
  readonly initFinishedAt: number
  readonly peerSeenInit: string | null
  readonly peerTableStamp: number
  readonly lastHeard: number
  /** One heartbeat at a time: 'again' when another is due as soon as the one sent is answered. */
  readonly heartbeat: 'idle' | 'sending' | 'again'
  /** Critical services being started or stopped by the SRM: their states are not failures then. */
  readonly servicesActing: number
  readonly databaseReported: boolean
  /** A move journaled before this agent started has been ended (PRG-7 rows 19, 20). */
  readonly journalChecked: boolean
  /** The last state line shown (progress and PresenceState events say each change once). */
  readonly shown: string
  /** Applied entries whose user move is off: their node's services could not start (PRG-7 row 14). */
  readonly abortedMoves: readonly number[]
}

export type SrmEvent =
  /** The SRM's service changed state, or a critical or database service did. */
  | {
      readonly type: 'serviceChanged'
      readonly now: number
      readonly service: string
      readonly to: string
      readonly initId: string
      readonly services: Services
    }
  /** The keepalive interval: a heartbeat is due (also to push something new to the peer). */
  | {readonly type: 'keepalive'}
  /** The heartbeat sent was answered (peer) or not (null); the answer's entries are merged already. */
  | {
      readonly type: 'heartbeatDone'
      readonly now: number
      readonly peer: PeerWord | null
      readonly group: GroupState
      readonly services: Services
    }
  /** The peer's heartbeat arrived; its entries are merged already. */
  | {readonly type: 'peerHeard'; readonly now: number; readonly peer: PeerWord; readonly group: GroupState}
  /** An event of the group machine applied by this node's replica, here or merged from the peer. */
  | {
      readonly type: 'applied'
      readonly local: boolean
      /** The node whose SRM applied it, and its stamp. */
      readonly node: string
      readonly stamp: number
      readonly effects: readonly HaEffect[]
      readonly group: GroupState
    }
  /** PRG-7 row 17: the peer announced its shutdown (after a grace). */
  | {readonly type: 'peerRebootAnnounced'}
  | {readonly type: 'servicesActing'; readonly delta: 1 | -1}
  | {readonly type: 'servicesFailedToStart'; readonly now: number; readonly stamp: number; readonly message: string}
  | {readonly type: 'srmRestartPlanned'}
  /** A user move this node performed ended. */
  | {readonly type: 'moveEnded'; readonly ok: boolean}
  /** Users to move (PRG-10 rebalance: assigned already). */
  | {readonly type: 'moveRequested'; readonly plan: MovePlan}
  | {readonly type: 'shutdown'}

export interface AgentEventOut {
  readonly type: string
  readonly message: string
  readonly service?: string
  readonly data?: Record<string, unknown>
}

export type SrmEffect =
  // Performed at once, while folding (never behind a long effect):
  | {readonly kind: 'emit'; readonly event: AgentEventOut}
  /** A line for the operations running here (and, unless `quiet`, a PresenceProgress event). */
  | {readonly kind: 'show'; readonly line: string; readonly quiet?: boolean}
  /** Applies events to the replica in order; with `first`, only the first one that changes anything. */
  | {readonly kind: 'apply'; readonly events: readonly HaEvent[]; readonly first?: boolean}
  | {readonly kind: 'heartbeat'}
  | {readonly kind: 'dropPeerLease'; readonly why: string}
  | {readonly kind: 'endInterruptedMove'}
  | {readonly kind: 'stopService'; readonly service: string}
  // Run by the one serial executor, in order:
  | {readonly kind: 'stopCritical'; readonly reason: 'PRG-8' | 'PRG-4'}
  | {readonly kind: 'startCritical'; readonly stamp: number}
  | {readonly kind: 'restartSrm'}
  | {readonly kind: 'moveUsers'; readonly plan: MovePlan; readonly stamp?: number}
  /** Users back on their assigned node in Normal / Normal (each node pulls its own). */
  | {readonly kind: 'moveHome'}

const IMMEDIATE = new Set<SrmEffect['kind']>(['emit', 'show', 'apply', 'heartbeat', 'dropPeerLease', 'endInterruptedMove', 'stopService'])

/** Whether the agent performs the effect at once (short) rather than in its serial executor. */
export const isImmediate = (f: SrmEffect): boolean => IMMEDIATE.has(f.kind)

/** Two waiting effects with one key are one: a second PRG-4 stop or home move replaces the first. */
export function effectKey(f: SrmEffect): string | undefined {
  if (f.kind === 'stopCritical' && f.reason === 'PRG-4') return 'stop-idle'
  if (f.kind === 'moveHome') return 'move-home'
  return undefined
}

export function initialSrm(config: SrmConfig, group: GroupState): SrmState {
  const s: SrmState = {
    config,
    group,
    srm: 'stopped',
    stopping: false,
    bootPending: true,
    plannedRestart: false,
    initId: '',
    initKind: 'boot',
    initStartedAt: 0,
    initFinishedAt: 0,
    peerSeenInit: null,
    peerTableStamp: -1,
    lastHeard: 0,
    heartbeat: 'idle',
    servicesActing: 0,
    databaseReported: false,
    journalChecked: false,
    shown: '',
    abortedMoves: [],
  }
  return {...s, shown: stateLine(s)}
}

const cell = (n: PresenceNode) => `${n.state ?? 'down'} / ${n.reason ?? '-'}`

/** The group in one line (progress of running operations). */
export function stateLine(s: SrmState): string {
  const g = s.group
  const [a, b] = g.nodes
  return `${g.name}: ${a.name} ${cell(a)}, ${b.name} ${cell(b)}${g.haEnabled ? '' : ' (HA disabled)'}`
}

export const nodeOf = (s: SrmState, name: string): PresenceNode => s.group.nodes.find((n) => n.name === name)!

/** PRG-4: with HA on, an Idle (or failing over) node runs no critical service. */
export function mustBeIdle(s: SrmState): boolean {
  const me = nodeOf(s, s.config.me)
  return s.group.haEnabled && s.srm !== 'stopped' && (me.state === 'Idle' || me.state === 'Failing Over')
}

/** Every node's state stable (no failover, fallback or move in progress). */
export const isStable = (s: SrmState, transient: (state: NonNullable<PresenceNode['state']>) => boolean): boolean =>
  s.group.nodes.every((n) => n.state === null || !transient(n.state))

/** Folds an event into the SRM's state (pure); the effects say what the agent does next. */
export function reduceSrm(state: SrmState, event: SrmEvent): {state: SrmState; effects: SrmEffect[]} {
  const step = new Step(state)
  step.on(event)
  return {state: step.s, effects: step.fx}
}

const WHY: Record<InitKind, string> = {boot: 'node start', restart: 'SRM restart', planned: 'SRM restarted by SRM (PRG-8, PRG-9)'}

/** One fold: the state as it changes, and the effects in order. */
class Step {
  readonly fx: SrmEffect[] = []

  constructor(public s: SrmState) {}

  private get c() {
    return this.s.config
  }

  private set(patch: Partial<SrmState>): void {
    this.s = {...this.s, ...patch}
  }

  private emit(type: string, message: string, extra: {service?: string; data?: Record<string, unknown>} = {}): void {
    this.fx.push({kind: 'emit', event: {type, message, ...extra}})
  }

  private apply(...events: HaEvent[]): void {
    this.fx.push({kind: 'apply', events})
  }

  on(e: SrmEvent): void {
    switch (e.type) {
      case 'serviceChanged':
        this.serviceChanged(e)
        break
      case 'keepalive':
        this.beat()
        break
      case 'heartbeatDone': {
        const again = this.s.heartbeat === 'again'
        this.set({heartbeat: 'idle', group: e.group})
        if (this.s.stopping || this.s.srm === 'stopped') break
        if (e.peer) this.receive(e.now, e.peer)
        this.checkTimers(e.now, e.services)
        if (again) this.beat()
        break
      }
      case 'peerHeard':
        this.set({group: e.group})
        this.receive(e.now, e.peer)
        break
      case 'applied':
        this.applied(e)
        break
      case 'peerRebootAnnounced':
        if (!this.s.stopping && this.s.srm !== 'stopped') this.apply({type: 'peerRebootAnnounced', node: this.c.peer})
        break
      case 'servicesActing':
        this.set({servicesActing: this.s.servicesActing + e.delta})
        break
      case 'servicesFailedToStart':
        // The critical services would not start (a takeback: PRG-7 row 14): the move waits no more.
        this.set({abortedMoves: [...this.s.abortedMoves.slice(-7), e.stamp]})
        this.fx.push({kind: 'show', line: `${this.c.me}: critical services could not start: ${e.message}`})
        this.apply({type: 'criticalServiceDown', node: this.c.me, sinceMs: e.now})
        break
      case 'srmRestartPlanned':
        this.set({plannedRestart: true})
        break
      case 'moveEnded':
        if (e.ok) this.fx.push({kind: 'apply', events: [{type: 'takeoverComplete'}, {type: 'takebackComplete'}]})
        else this.apply({type: 'userMoveFailed'})
        break
      case 'moveRequested':
        this.fx.push({kind: 'moveUsers', plan: e.plan})
        break
      case 'shutdown':
        this.set({stopping: true})
        break
    }
  }

  private serviceChanged(e: Extract<SrmEvent, {type: 'serviceChanged'}>): void {
    if (this.s.stopping) return
    const {me, srmService, critical, databaseService} = this.c
    if (e.service === srmService) {
      if (e.to === 'Running') this.srmStarted(e.now, e.initId)
      else if (this.s.srm !== 'stopped') {
        this.set({srm: 'stopped'})
        this.emit('SRM', `${srmService} on ${me} is ${e.to}: no heartbeats, no monitoring (PRG-3)`, {service: srmService})
      }
      return
    }
    if (critical.includes(e.service) && e.to === 'Running' && mustBeIdle(this.s)) {
      // PRG-4: a critical service started on an Idle node goes Starting → Started → Stopped.
      this.emit('PresenceState', `PRG-4: ${e.service} started on ${me}, which is ${nodeOf(this.s, me).state}: SRM stops it`, {
        service: e.service,
        data: {rule: 'PRG-4'},
      })
      this.fx.push({kind: 'stopService', service: e.service})
      return
    }
    if (critical.includes(e.service) || e.service === databaseService) this.checkServices(e.now, e.services)
  }

  private srmStarted(now: number, initId: string): void {
    if (this.s.srm !== 'stopped') return
    const initKind: InitKind = this.s.bootPending ? 'boot' : this.s.plannedRestart ? 'planned' : 'restart'
    this.set({srm: 'initializing', initId, initKind, bootPending: false, plannedRestart: false, initStartedAt: now})
    this.emit('SRM', `${this.c.srmService} on ${this.c.me}: Initializing (${WHY[initKind]})`, {service: this.c.srmService})
    this.beat()
  }

  /** A heartbeat now, or as soon as the one sent is answered (never two at once). */
  private beat(): void {
    if (this.s.stopping || this.s.srm === 'stopped') return
    if (this.s.heartbeat === 'idle') {
      this.set({heartbeat: 'sending'})
      this.fx.push({kind: 'heartbeat'})
    } else this.set({heartbeat: 'again'})
  }

  private receive(now: number, msg: PeerWord): void {
    const {peer} = this.c
    this.set({lastHeard: now, peerTableStamp: msg.tableStamp})
    const P = nodeOf(this.s, peer)
    if (msg.initializing && msg.initId !== this.s.peerSeenInit) {
      // PRG-3: the peer's SRM (this one) records what happened to the node that started.
      this.set({peerSeenInit: msg.initId})
      if (msg.initKind === 'boot') this.fx.push({kind: 'dropPeerLease', why: 'it restarted'})
      if (msg.initKind === 'boot' || !P.up) this.apply({type: 'nodeBoot', node: peer, servicesUp: msg.servicesUp})
      else if (msg.initKind === 'restart') this.apply({type: 'srmRestarted', node: peer})
    } else if (!msg.initializing && !P.up && this.s.srm !== 'initializing') {
      // Heard again after being declared down (network back, SRM started again).
      this.apply({type: 'nodeBoot', node: peer, servicesUp: msg.servicesUp})
    }
    if (this.s.srm === 'initializing' && msg.seenInit === this.s.initId) this.finishInit(now)
    this.afterChange()
  }

  private checkTimers(now: number, services: Services): void {
    const {peer, timers} = this.c
    if (this.s.srm === 'initializing') {
      if (now - this.s.initStartedAt >= timers.initKeepaliveTimeoutMs) this.finishInitAlone(now, services)
      return
    }
    const since = Math.max(this.s.lastHeard, this.s.initFinishedAt)
    if (nodeOf(this.s, peer).up && now - since > timers.keepaliveTimeoutMs) {
      this.emit('SRM', `no heartbeat from ${peer} for ${now - since} ms (keepalive timeout ${timers.keepaliveTimeoutMs} ms)`)
      this.fx.push({kind: 'dropPeerLease', why: 'its heartbeat was lost'})
      this.apply({type: 'peerHeartbeatLost', node: peer})
    }
    this.checkServices(now, services)
    // Critical-service delay and automatic fallback (applied only when they change something).
    this.apply({type: 'tick'})
  }

  private finishInit(now: number): void {
    this.set({srm: 'running', initFinishedAt: now})
    this.emit('SRM', `${this.c.srmService} on ${this.c.me} initialized with ${this.c.peer}: ${describePair(this.s.group)}`, {
      service: this.c.srmService,
    })
    this.endInterruptedMove()
  }

  /** The peer did not answer within the initialization keepalive timeout (PRG-7 row 18). */
  private finishInitAlone(now: number, services: Services): void {
    const {me, peer, timers} = this.c
    this.set({srm: 'running', initFinishedAt: now})
    if (this.s.initKind === 'boot' || !nodeOf(this.s, me).up) this.apply({type: 'nodeBoot', node: me, servicesUp: services.up})
    else if (this.s.initKind === 'restart') this.apply({type: 'srmRestarted', node: me})
    if (nodeOf(this.s, peer).up) {
      this.emit('SRM', `${peer} not seen within the initialization keepalive timeout (${timers.initKeepaliveTimeoutMs} ms)`)
      this.fx.push({
        kind: 'apply',
        events: [
          {type: 'peerNotSeenAtInit', node: peer},
          {type: 'peerHeartbeatLost', node: peer},
        ],
        first: true,
      })
    }
    this.endInterruptedMove()
    this.afterChange()
  }

  /** A move journaled when the agent died: the users stay where they are; the move failed (rows 19, 20). */
  private endInterruptedMove(): void {
    // Only a journal from before this agent started: later ones belong to moves running here.
    if (this.s.journalChecked) return
    this.set({journalChecked: true})
    this.fx.push({kind: 'endInterruptedMove'})
  }

  /** Compares the services with what the group state records of this node, and reports the difference (PRG-3). */
  private checkServices(now: number, services: Services): void {
    if (this.s.srm !== 'running' || this.s.servicesActing > 0 || this.s.stopping) return
    const {me} = this.c
    const self = nodeOf(this.s, me)
    if (!self.up) return
    const db = services.database
    const dbDown = db !== null && db.state !== 'Running'
    if (db && dbDown && !this.s.databaseReported) {
      this.set({databaseReported: true})
      this.emit('SRM', `database failure on ${me}: ${db.name} is ${db.state}`, {service: db.name})
      this.apply({type: 'databaseFailure', node: me})
      return
    }
    if (!dbDown) this.set({databaseReported: false})
    const down = services.down
    if (down.length > 0 && self.criticalServicesRunning) {
      this.emit(
        'SRM',
        `critical service down on ${me}: ${down.join(', ')} (failover after ${this.c.timers.criticalServiceDownDelayMs} ms)`,
        {data: {services: down}},
      )
      this.apply({type: 'criticalServiceDown', node: me, sinceMs: now})
    } else if (down.length === 0 && !dbDown && !self.criticalServicesRunning) this.apply({type: 'servicesBack', node: me})
  }

  /** The machine's effects that name this node, carried out by it (PRG-3: each by the node it names). */
  private applied(e: Extract<SrmEvent, {type: 'applied'}>): void {
    const {me} = this.c
    this.set({group: e.group})
    for (const fx of e.effects) {
      switch (fx.kind) {
        case 'stopCriticalServices':
          if (fx.node === me) this.fx.push({kind: 'stopCritical', reason: 'PRG-8'})
          break
        case 'startCriticalServices':
          if (fx.node === me) this.fx.push({kind: 'startCritical', stamp: e.stamp})
          break
        case 'restartSrm':
          if (fx.node === me) this.fx.push({kind: 'restartSrm'})
          break
        case 'moveUsers': {
          if (fx.by !== me) break
          const g = e.group
          const from = g.nodes.find((n) => n.name === fx.from)!
          const bothNormal = g.nodes.every((n) => n.state === 'Normal')
          const select = from.state === 'Falling Back' || bothNormal ? 'home' : 'all'
          this.fx.push({kind: 'moveUsers', plan: {from: fx.from, to: fx.to, select, reason: describePair(g)}, stamp: e.stamp})
          break
        }
        case 'raiseAlarm':
          if (e.node === me)
            this.emit('Alarm', fx.message, {data: {rule: fx.rule, alarm: 'PresenceRedundancy', ...(fx.node ? {node: fx.node} : {})}})
          break
        case 'haMonitoring':
          break
      }
    }
    this.afterChange()
    if (e.local) this.beat() // push it to the peer now
  }

  /** After any change of the state: the change said once, PRG-4, users home in Normal / Normal. */
  private afterChange(): void {
    const line = stateLine(this.s)
    if (line !== this.s.shown) {
      this.set({shown: line})
      this.fx.push({kind: 'show', line, quiet: true})
      const g = this.s.group
      this.emit('PresenceState', describePair(g), {
        data: {group: g.name, nodes: g.nodes.map((n) => ({name: n.name, state: n.state, reason: n.reason, up: n.up}))},
      })
    }
    if (mustBeIdle(this.s)) this.fx.push({kind: 'stopCritical', reason: 'PRG-4'})
    const g = this.s.group
    if (g.haEnabled && g.nodes.every((n) => n.up && n.state === 'Normal') && this.s.srm !== 'stopped') this.fx.push({kind: 'moveHome'})
  }
}
