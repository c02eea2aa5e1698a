// The Cisco Server Recovery Manager of an IM and Presence node (SPEC §6, PRG-2..9): heartbeats
// with the peer of its presence redundancy group, monitoring of the critical services (real
// NodeManager processes), and the pure group machine of ../domain/presence-redundancy.ts
// driving both. The SRM itself is the node's "Cisco Server Recovery Manager" process: while it
// is not running, this node neither heartbeats nor monitors (PRG-3), exactly as on a server.
//
// Who does what: each SRM applies what it observes (its own services, the peer's silence, the
// peer's boot as seen in its heartbeats) and operator actions sent to it; both exchange the
// applied events and fold them in the same order (./presence-replica.ts). Each effect is
// carried out by the node it names: critical services by their node, user moves by `by`, the
// peer of the failed node (PRG-3).
import {type ActionEffect, type EffectAction, presenceStopEffect, stopsService} from '../domain/effects.js'
import {randomUUID} from 'node:crypto'
import type {FastifyInstance} from 'fastify'
import {ConflictError, NotFoundError, RefusedError, UnreachableError, UsageError} from '../errors.js'
import {documentValidator} from '../compiled-validators.js'
import {
  type GroupState,
  type HaEffect,
  type HaEvent,
  type OperatorAction,
  describePair,
  groupStatus,
  haTimersFromTiming,
  isTransient,
  newGroup,
} from '../domain/presence-redundancy.js'
import {rebalanceMoves} from '../domain/presence-capacity.js'
import type {AgentContext, AgentModule} from './module.js'
import type {AgentEvent} from './events.js'
import type {Progress} from './operations.js'
import {type Applied, GroupReplica, type ReplicaSync} from './presence-replica.js'
import {type MovePlan, UserTable, type UserTableData} from './presence-users.js'
import {DEFAULT_PRESENCE_LIMITS, type PresenceView, viewPresence} from '../domain/presence-viewer.js'
import {directoryOf, SyncAgent, syncAgentRoutes} from './sync-agent.js'

export const SRM_SERVICE = 'Cisco Server Recovery Manager'

/** node.yaml `settings.presence` of an IM and Presence node. */
export interface PresenceSettings {
  /** The other node of this node's presence redundancy group. */
  peer: string
  /** Users of the group (the lab: 15,000, half assigned to each node). */
  users: number
  haEnabled: boolean
  autoFallback: boolean
  /** PRG-9: replication is set up in the IM and Presence cluster. */
  replicationReady: boolean
  /** A service whose failure is the node's database failure (PRG-7 row 13). */
  databaseService?: string
  /** PRG-10: users the node can hold, and its CPU load. */
  capacity?: number
  cpuPercent?: number
  /** PRG-1: the WAN link of the IM and Presence cluster, when it spans one. */
  wan?: {bandwidthMbps: number; roundTripMs: number}
  /** Presence viewer warnings: Maximum Contact List Size and Maximum Watchers per user. */
  maxContacts: number
  maxWatchers: number
  /** Users moved per durable batch, and a pause between batches (tests slow a move down with it). */
  moveBatchSize: number
  moveBatchPauseMs: number
}

const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['peer'],
  properties: {
    peer: {type: 'string', minLength: 1},
    users: {type: 'integer', minimum: 0, maximum: 99_999},
    haEnabled: {type: 'boolean'},
    autoFallback: {type: 'boolean'},
    replicationReady: {type: 'boolean'},
    databaseService: {type: 'string', minLength: 1},
    capacity: {type: 'integer', minimum: 1},
    cpuPercent: {type: 'number', minimum: 0, maximum: 100},
    wan: {
      type: 'object',
      additionalProperties: false,
      required: ['bandwidthMbps', 'roundTripMs'],
      properties: {bandwidthMbps: {type: 'number', minimum: 0}, roundTripMs: {type: 'number', minimum: 0}},
    },
    maxContacts: {type: 'integer', minimum: 1},
    maxWatchers: {type: 'integer', minimum: 1},
    moveBatchSize: {type: 'integer', minimum: 1},
    moveBatchPauseMs: {type: 'integer', minimum: 0},
  },
} as const

async function readSettings(raw: unknown, where: string): Promise<PresenceSettings> {
  const validate = await documentValidator(SETTINGS_SCHEMA)
  if (!validate(raw))
    throw new UsageError(
      `${where} settings.presence is invalid: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`,
    )
  const r = raw as Partial<PresenceSettings> & {peer: string}
  return {
    users: 0,
    // PRG-9/ADM-9 (run time): HA is off unless the configuration says it is on.
    haEnabled: false,
    autoFallback: false,
    replicationReady: true,
    moveBatchSize: 1000,
    moveBatchPauseMs: 0,
    ...DEFAULT_PRESENCE_LIMITS,
    ...r,
  }
}

/** What two SRMs tell each other with every heartbeat. */
export interface SrmMessage {
  from: string
  group: string
  initializing: boolean
  /** Each start of the sender's SRM has its own id; `initKind` says whether the node booted. */
  initId: string
  initKind: 'boot' | 'restart' | 'planned'
  /** The last start of the receiver's SRM that the sender has handled (PRG-3: the peer records it). */
  seenInit: string | null
  servicesUp: boolean
  sync: ReplicaSync
  table: {stamp: number; data?: UserTableData}
}

const HA_ACTIONS = ['failover', 'fallback', 'recover', 'ha-enable', 'ha-disable', 'rebalance'] as const
type GroupAction = (typeof HA_ACTIONS)[number]

const LEASE_TTL_MS = 5 * 60_000
const TRANSIENT_WAIT_MS = 10 * 60_000

const entrySchema = {
  type: 'object',
  required: ['stamp', 'node', 'event'],
  properties: {
    stamp: {type: 'number'},
    node: {type: 'string'},
    event: {type: 'object', required: ['type'], properties: {type: {type: 'string'}}},
  },
} as const

const tableDataSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['stamp', 'home', 'at'],
  properties: {
    stamp: {type: 'number'},
    home: {type: 'string', pattern: '^[01]*$'},
    at: {type: 'string', pattern: '^[01]*$'},
    revision: {type: 'number'},
  },
} as const

const MESSAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'group', 'initializing', 'initId', 'initKind', 'seenInit', 'servicesUp', 'sync', 'table'],
  properties: {
    from: {type: 'string', minLength: 1},
    group: {type: 'string', minLength: 1},
    initializing: {type: 'boolean'},
    initId: {type: 'string'},
    initKind: {enum: ['boot', 'restart', 'planned']},
    seenInit: {type: ['string', 'null']},
    servicesUp: {type: 'boolean'},
    sync: {
      type: 'object',
      additionalProperties: false,
      required: ['entries', 'maxFrom'],
      properties: {
        entries: {type: 'array', items: entrySchema},
        base: {type: 'object', required: ['group', 'stamp'], properties: {group: {type: 'object'}, stamp: {type: 'number'}}},
        maxFrom: {type: 'object', additionalProperties: {type: 'number'}},
      },
    },
    table: {type: 'object', additionalProperties: false, required: ['stamp'], properties: {stamp: {type: 'number'}, data: tableDataSchema}},
  },
} as const

const groupParams = {
  type: 'object',
  required: ['group'],
  properties: {group: {type: 'string', minLength: 1, maxLength: 200}},
} as const

const cell = (n: GroupState['nodes'][number]) => `${n.state ?? 'down'} / ${n.reason ?? '-'}`

export async function serverRecoveryManagerModule(ctx: AgentContext): Promise<AgentModule> {
  const raw = ctx.config.settings.presence
  if (raw === undefined || !ctx.config.group) return {}
  const settings = await readSettings(raw, `node ${ctx.config.name}:`)
  if (!ctx.config.peers.some((p) => p.name === settings.peer))
    throw new UsageError(`node ${ctx.config.name}: the presence peer ${settings.peer} is not among the node's peers`)
  return new ServerRecoveryManager(ctx, settings, ctx.config.group)
}

class ServerRecoveryManager implements AgentModule {
  private readonly me: string
  private readonly peer: string
  private readonly nodes: [string, string]
  private readonly timers
  private readonly replica: GroupReplica
  private readonly table: UserTable
  private readonly syncAgent: SyncAgent
  private readonly critical: string[]

  private srmRunning = false
  private bootPending = true
  private journalChecked = false
  /** The next SRM start is a restart that the group state already accounts for (Recover, HA enable). */
  private plannedRestart = false
  private initializing = false
  private initId = ''
  private initKind: 'boot' | 'restart' | 'planned' = 'boot'
  private initStartedAt = 0
  private initFinishedAt = 0
  private peerSeenInit: string | null = null
  private lastHeard = 0
  private peerTableStamp = -1
  private hbInFlight = false
  private hbAgain = false
  private servicesBusy = 0
  private dbReported = false
  private stopping = false
  private lease: {token: string; holder: string; expiresAt: number} | null = null
  private queue: Promise<void> = Promise.resolve()
  private stopQueued = false
  private homeQueued = false
  private lastShown = ''
  private readonly lines = new Set<(line: string) => void>()
  private readonly waiters = new Set<() => void>()
  private readonly pendingTimers = new Set<NodeJS.Timeout>()
  private interval: NodeJS.Timeout | null = null
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly ctx: AgentContext,
    private readonly settings: PresenceSettings,
    private readonly group: string,
  ) {
    this.me = ctx.config.name
    this.peer = settings.peer
    this.nodes = [this.me, this.peer].sort() as [string, string]
    this.timers = haTimersFromTiming(ctx.config.timingValues)
    const dir = ctx.stateDir('presence')
    this.table = new UserTable(dir, this.nodes, settings.users)
    this.syncAgent = new SyncAgent(ctx, this.table, () => this.wake())
    const counts = this.table.counts()
    const initial = newGroup({
      name: group,
      nodes: [
        {name: this.nodes[0], users: counts[0].users},
        {name: this.nodes[1], users: counts[1].users},
      ],
      haEnabled: settings.haEnabled,
      autoFallback: settings.autoFallback,
      replicationReady: settings.replicationReady,
    })
    this.replica = new GroupReplica(dir, this.me, initial, this.timers)
    const names = ctx.nodeManager.names()
    this.critical = ctx.nodeManager
      .list()
      .filter((s) => s.critical && s.name !== settings.databaseService && s.name !== SRM_SERVICE)
      .map((s) => s.name)
    if (!names.includes(SRM_SERVICE)) throw new UsageError(`node ${this.me}: an IM and Presence node needs the ${SRM_SERVICE} service`)
    if (settings.databaseService && !names.includes(settings.databaseService))
      throw new UsageError(`node ${this.me}: settings.presence.databaseService ${settings.databaseService} is not a service of the node`)
    this.lastShown = this.stateLine()
  }

  // --- lifecycle ---------------------------------------------------------------------------

  start(): void {
    this.unsubscribe = this.ctx.events.subscribe((e) => this.onEvent(e))
    if (this.ctx.nodeManager.isRunning(SRM_SERVICE)) this.srmStarted()
    this.interval = setInterval(() => void this.beat(), this.timers.keepaliveIntervalMs)
    this.syncAgent.start()
  }

  async stop(): Promise<void> {
    this.stopping = true
    this.syncAgent.stop()
    if (this.interval) clearInterval(this.interval)
    for (const t of this.pendingTimers) clearTimeout(t)
    this.unsubscribe?.()
    for (const w of this.waiters) w()
    // PRG-7 row 17: a node going down on purpose tells its peer (shutdown, reboot).
    if (this.srmRunning) {
      try {
        await this.ctx.peer(this.peer, {timeoutMs: 500}).post(`/v1/presence/groups/${this.group}/reboot`, {from: this.me})
      } catch {}
    }
  }

  nodeInfo(): Record<string, unknown> {
    const me = this.replica.state.nodes.find((n) => n.name === this.me)!
    return {presence: {group: this.group, peer: this.peer, state: me.state, reason: me.reason}}
  }

  private onEvent(e: AgentEvent): void {
    if (e.type !== 'ServiceState' || this.stopping || !e.service) return
    const to = (e.data as {to?: string} | undefined)?.to
    const service = e.service
    // Listeners run inside NodeManager's state change: act after it.
    setImmediate(() => {
      if (this.stopping) return
      if (service === SRM_SERVICE) {
        if (to === 'Running') this.srmStarted()
        else if (this.srmRunning) this.srmStopped(to ?? 'stopped')
        return
      }
      if (this.critical.includes(service) && to === 'Running' && this.mustBeIdle()) {
        // PRG-4: a critical service started on an Idle node goes Starting → Started → Stopped.
        this.ctx.events.emit({
          type: 'PresenceState',
          service,
          message: `PRG-4: ${service} started on ${this.me}, which is ${this.myNode().state}: SRM stops it`,
          data: {rule: 'PRG-4'},
        })
        void this.ctx.nodeManager.stop(service).catch(() => {})
        return
      }
      if (this.critical.includes(service) || service === this.settings.databaseService) this.checkServices()
    })
  }

  private srmStarted(): void {
    if (this.srmRunning) return
    this.srmRunning = true
    this.initializing = true
    this.initId = randomUUID()
    this.initKind = this.bootPending ? 'boot' : this.plannedRestart ? 'planned' : 'restart'
    this.bootPending = false
    this.plannedRestart = false
    this.initStartedAt = Date.now()
    const why = {boot: 'node start', restart: 'SRM restart', planned: 'SRM restarted by SRM (PRG-8, PRG-9)'}[this.initKind]
    this.ctx.events.emit({type: 'SRM', service: SRM_SERVICE, message: `${SRM_SERVICE} on ${this.me}: Initializing (${why})`})
    void this.beat()
  }

  private srmStopped(to: string): void {
    this.srmRunning = false
    this.initializing = false
    this.ctx.events.emit({
      type: 'SRM',
      service: SRM_SERVICE,
      message: `${SRM_SERVICE} on ${this.me} is ${to}: no heartbeats, no monitoring (PRG-3)`,
    })
  }

  // --- heartbeats --------------------------------------------------------------------------

  private message(): SrmMessage {
    return {
      from: this.me,
      group: this.group,
      initializing: this.initializing,
      initId: this.initId,
      initKind: this.initKind,
      seenInit: this.peerSeenInit,
      servicesUp: this.servicesUp(),
      sync: this.replica.syncFor(),
      table: {stamp: this.table.stamp, ...(this.peerTableStamp < this.table.stamp ? {data: this.table.data()} : {})},
    }
  }

  /** One heartbeat to the peer (also the push of anything new), then the timers. */
  private async beat(): Promise<void> {
    if (this.stopping || !this.srmRunning) return
    if (this.hbInFlight) {
      this.hbAgain = true
      return
    }
    this.hbInFlight = true
    try {
      const timeoutMs = Math.max(500, Math.floor(this.timers.keepaliveTimeoutMs / 2))
      const {body} = await this.ctx
        .peer(this.peer, {timeoutMs})
        .post<SrmMessage>(`/v1/presence/groups/${this.group}/heartbeat`, this.message())
      if (!this.stopping && this.srmRunning) this.receive(body)
    } catch {
      // Not heard: the keepalive timeout decides.
    } finally {
      this.hbInFlight = false
    }
    if (this.stopping || !this.srmRunning) return
    this.checkTimers()
    if (this.hbAgain) {
      this.hbAgain = false
      setImmediate(() => void this.beat())
    }
  }

  private receive(msg: SrmMessage): void {
    this.lastHeard = Date.now()
    const applied = this.replica.merge(msg.sync, this.peer)
    for (const a of applied) void this.runEffects(a)
    if (msg.table.data && this.table.adopt(msg.table.data)) this.wake()
    this.peerTableStamp = msg.table.stamp
    const P = this.peerNode()
    if (msg.initializing && msg.initId !== this.peerSeenInit) {
      // PRG-3: the peer's SRM (this one) records what happened to the node that started.
      this.peerSeenInit = msg.initId
      if (msg.initKind === 'boot') this.dropPeerLease('it restarted')
      if (msg.initKind === 'boot' || !P.up) this.applyLocal({type: 'nodeBoot', node: this.peer, servicesUp: msg.servicesUp})
      else if (msg.initKind === 'restart') this.applyLocal({type: 'srmRestarted', node: this.peer})
    } else if (!msg.initializing && !P.up && !this.initializing) {
      // Heard again after being declared down (network back, SRM started again).
      this.applyLocal({type: 'nodeBoot', node: this.peer, servicesUp: msg.servicesUp})
    }
    if (this.initializing && msg.seenInit === this.initId) this.finishInit()
    this.afterChange()
  }

  private checkTimers(): void {
    const now = Date.now()
    if (this.initializing) {
      if (now - this.initStartedAt >= this.timers.initKeepaliveTimeoutMs) this.finishInitAlone()
      return
    }
    const P = this.peerNode()
    if (P.up && now - Math.max(this.lastHeard, this.initFinishedAt) > this.timers.keepaliveTimeoutMs) {
      this.ctx.events.emit({
        type: 'SRM',
        message: `no heartbeat from ${this.peer} for ${now - Math.max(this.lastHeard, this.initFinishedAt)} ms (keepalive timeout ${this.timers.keepaliveTimeoutMs} ms)`,
      })
      this.dropPeerLease('its heartbeat was lost')
      this.applyLocal({type: 'peerHeartbeatLost', node: this.peer})
    }
    this.checkServices()
    // Critical-service delay and automatic fallback: only when they would do something.
    const t = this.replica.preview({type: 'tick'})
    if (t.effects.length > 0 || JSON.stringify(t.group) !== JSON.stringify(this.replica.state)) this.applyLocal({type: 'tick'})
  }

  private finishInit(): void {
    this.initializing = false
    this.initFinishedAt = Date.now()
    this.ctx.events.emit({
      type: 'SRM',
      service: SRM_SERVICE,
      message: `${SRM_SERVICE} on ${this.me} initialized with ${this.peer}: ${describePair(this.replica.state)}`,
    })
    this.endInterruptedMove()
    this.afterChange()
  }

  /** The peer did not answer within the initialization keepalive timeout (PRG-7 row 18). */
  private finishInitAlone(): void {
    this.initializing = false
    this.initFinishedAt = Date.now()
    const servicesUp = this.servicesUp()
    const me = this.myNode()
    if (this.initKind === 'boot' || !me.up) this.applyLocal({type: 'nodeBoot', node: this.me, servicesUp})
    else if (this.initKind === 'restart') this.applyLocal({type: 'srmRestarted', node: this.me})
    if (this.peerNode().up) {
      this.ctx.events.emit({
        type: 'SRM',
        message: `${this.peer} not seen within the initialization keepalive timeout (${this.timers.initKeepaliveTimeoutMs} ms)`,
      })
      if (!this.applyLocal({type: 'peerNotSeenAtInit', node: this.peer})) this.applyLocal({type: 'peerHeartbeatLost', node: this.peer})
    }
    this.endInterruptedMove()
    this.afterChange()
  }

  /** A move journaled when the agent died: the users stay where they are; the move failed (rows 19, 20). */
  private endInterruptedMove(): void {
    // Only a journal from before this agent started: later ones belong to moves running here.
    if (this.journalChecked) return
    this.journalChecked = true
    const j = this.table.abandonJournal()
    if (!j) return
    this.ctx.events.emit({
      type: 'Alarm',
      message: `move of users ${j.from} → ${j.to} was interrupted at ${j.done}/${j.users.length}: each user stays on the node it was on; select Recover (PRG-7 rows 19, 20)`,
      data: {rule: 'PRG-7', alarm: 'UserMoveInterrupted', moved: j.done, total: j.users.length},
    })
    this.applyLocal({type: 'userMoveFailed'})
  }

  // --- critical services (PRG-3) -----------------------------------------------------------

  private servicesUp(): boolean {
    return this.critical.every((n) => ['Running', 'Starting'].includes(this.ctx.nodeManager.status(n).state))
  }

  /** Compares the processes with what the group state records of this node, and reports the difference. */
  private checkServices(): void {
    if (!this.srmRunning || this.initializing || this.servicesBusy > 0 || this.stopping) return
    const me = this.myNode()
    if (!me.up) return
    const down = this.critical.filter((n) => !this.ctx.nodeManager.isRunning(n))
    const db = this.settings.databaseService
    const dbDown = db !== undefined && !this.ctx.nodeManager.isRunning(db)
    if (dbDown && !this.dbReported) {
      this.dbReported = true
      this.ctx.events.emit({
        type: 'SRM',
        service: db,
        message: `database failure on ${this.me}: ${db} is ${this.ctx.nodeManager.status(db!).state}`,
      })
      this.applyLocal({type: 'databaseFailure', node: this.me})
      return
    }
    if (!dbDown) this.dbReported = false
    if (down.length > 0 && me.criticalServicesRunning) {
      this.ctx.events.emit({
        type: 'SRM',
        message: `critical service down on ${this.me}: ${down.join(', ')} (failover after ${this.timers.criticalServiceDownDelayMs} ms)`,
        data: {services: down},
      })
      this.applyLocal({type: 'criticalServiceDown', node: this.me, sinceMs: Date.now()})
    } else if (down.length === 0 && !dbDown && !me.criticalServicesRunning) {
      this.applyLocal({type: 'servicesBack', node: this.me})
    }
  }

  private mustBeIdle(): boolean {
    const s = this.replica.state
    const me = this.myNode()
    return s.haEnabled && this.srmRunning && (me.state === 'Idle' || me.state === 'Failing Over')
  }

  private async stopCritical(): Promise<void> {
    const running = this.critical.filter((n) => !this.ctx.nodeManager.isStopped(n))
    if (running.length === 0) return
    this.servicesBusy++
    try {
      this.show(`${this.me}: SRM stops the critical services (PRG-8)`)
      await Promise.all(running.map((n) => this.ctx.nodeManager.stop(n)))
    } finally {
      this.servicesBusy--
    }
  }

  private async startCritical(): Promise<void> {
    this.servicesBusy++
    try {
      this.show(`${this.me}: SRM starts the critical services`)
      await Promise.all(this.critical.map((n) => this.ctx.nodeManager.start(n)))
    } finally {
      this.servicesBusy--
    }
  }

  // --- applying events and carrying out effects -------------------------------------------

  private myNode() {
    return this.replica.state.nodes.find((n) => n.name === this.me)!
  }

  private peerNode() {
    return this.replica.state.nodes.find((n) => n.name === this.peer)!
  }

  /** Applies an event here; returns its effects' completion (null: nothing changed). */
  private applyLocal(event: HaEvent): Promise<void> | null {
    const a = this.replica.apply(event)
    if (!a) return null
    const done = this.runEffects(a)
    this.afterChange()
    void this.beat() // push it to the peer now
    return done
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const p = this.queue.then(() => (this.stopping ? undefined : job()))
    this.queue = p.catch(() => {})
    return p
  }

  /** Carries out the effects that name this node; resolves when they are done. */
  private runEffects(a: Applied): Promise<void> {
    const jobs: Promise<void>[] = []
    let aborted = false
    for (const fx of a.effects) {
      const job = this.effectJob(
        fx,
        a,
        () => aborted,
        () => (aborted = true),
      )
      if (job) jobs.push(this.enqueue(job))
    }
    return Promise.all(jobs).then(() => undefined)
  }

  private effectJob(fx: HaEffect, a: Applied, aborted: () => boolean, abort: () => void): (() => Promise<void>) | null {
    switch (fx.kind) {
      case 'stopCriticalServices':
        return fx.node === this.me ? () => this.stopCritical() : null
      case 'startCriticalServices':
        if (fx.node !== this.me) return null
        return async () => {
          try {
            await this.startCritical()
          } catch (error) {
            // The critical services would not start (a takeback: PRG-7 row 14).
            abort()
            this.show(`${this.me}: critical services could not start: ${(error as Error).message}`)
            this.applyLocal({type: 'criticalServiceDown', node: this.me, sinceMs: Date.now()})
          }
        }
      case 'restartSrm':
        if (fx.node !== this.me) return null
        return async () => {
          this.plannedRestart = true
          await this.ctx.nodeManager.cycle(SRM_SERVICE).catch(() => {})
        }
      case 'moveUsers': {
        if (fx.by !== this.me) return null
        const s = this.replica.state
        const from = s.nodes.find((n) => n.name === fx.from)!
        const bothNormal = s.nodes.every((n) => n.state === 'Normal')
        const plan: MovePlan = {
          from: fx.from,
          to: fx.to,
          select: from.state === 'Falling Back' || bothNormal ? 'home' : 'all',
          reason: describePair(s),
        }
        return async () => {
          if (!aborted()) await this.moveUsers(plan)
        }
      }
      case 'raiseAlarm':
        if (a.entry.node === this.me)
          this.ctx.events.emit({
            type: 'Alarm',
            message: fx.message,
            data: {rule: fx.rule, alarm: 'PresenceRedundancy', ...(fx.node ? {node: fx.node} : {})},
          })
        return null
      case 'haMonitoring':
        return null
    }
  }

  private async moveUsers(plan: MovePlan): Promise<void> {
    try {
      const r = await this.table.move(plan, {
        stamp: () => this.replica.stamp(),
        batchSize: this.settings.moveBatchSize,
        pauseMs: this.settings.moveBatchPauseMs,
        stopping: () => this.stopping,
        onProgress: (n, total) =>
          this.show(
            `users moved ${n}/${total} (${plan.from} → ${plan.to})`,
            n === total || n === Math.min(total, this.settings.moveBatchSize),
          ),
        afterBatch: () => void this.beat(),
      })
      if (r.total > 0)
        this.ctx.events.emit({
          type: 'PresenceUsers',
          message: `${r.moved} users moved ${plan.from} → ${plan.to} by the SRM of ${this.me}`,
          data: {from: plan.from, to: plan.to, users: r.moved},
        })
    } catch (error) {
      if (this.stopping) return // the journal stays: an interrupted move, handled at the next start
      const j = this.table.abandonJournal()
      this.ctx.events.emit({
        type: 'Alarm',
        message: `users could not move ${plan.from} → ${plan.to} (${j?.done ?? 0}/${j?.users.length ?? 0} moved, each user stays on the node it is on): ${(error as Error).message}`,
        data: {rule: 'PRG-7', alarm: 'UserMoveFailed'},
      })
      this.applyLocal({type: 'userMoveFailed'})
      return
    }
    this.applyLocal({type: 'takeoverComplete'})
    this.applyLocal({type: 'takebackComplete'})
  }

  private stateLine(): string {
    const s = this.replica.state
    const [a, b] = s.nodes
    return `${s.name}: ${a.name} ${cell(a)}, ${b.name} ${cell(b)}${s.haEnabled ? '' : ' (HA disabled)'}`
  }

  /** Progress of running operations (and, for milestones, an event). */
  private show(line: string, asEvent = true): void {
    for (const l of this.lines) l(line)
    if (asEvent && !this.stopping) this.ctx.events.emit({type: 'PresenceProgress', message: line})
  }

  /** After any change of the state: events, PRG-4, users home in Normal / Normal. */
  private afterChange(): void {
    const line = this.stateLine()
    if (line !== this.lastShown) {
      this.lastShown = line
      for (const l of this.lines) l(line)
      this.ctx.events.emit({
        type: 'PresenceState',
        message: describePair(this.replica.state),
        data: {group: this.group, nodes: this.replica.state.nodes.map((n) => ({name: n.name, state: n.state, reason: n.reason, up: n.up}))},
      })
    }
    if (this.mustBeIdle() && !this.stopQueued && this.critical.some((n) => !this.ctx.nodeManager.isStopped(n))) {
      this.stopQueued = true
      void this.enqueue(async () => {
        this.stopQueued = false
        if (this.mustBeIdle()) await this.stopCritical()
      })
    }
    const s = this.replica.state
    if (s.haEnabled && s.nodes.every((n) => n.up && n.state === 'Normal') && !this.homeQueued && this.srmRunning) {
      const plan: MovePlan = {from: this.peer, to: this.me, select: 'home', reason: 'users back on their assigned node'}
      if (this.table.select(plan).length > 0) {
        this.homeQueued = true
        void this.enqueue(async () => {
          this.homeQueued = false
          await this.moveUsers(plan)
        })
      }
    }
    this.wake()
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }

  private until(pred: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t)
        this.pendingTimers.delete(t)
        this.waiters.delete(check)
        resolve()
      }
      const check = () => {
        if (pred() || this.stopping) done()
      }
      const t = setTimeout(done, timeoutMs)
      this.pendingTimers.add(t)
      this.waiters.add(check)
      check()
    })
  }

  // --- the API ------------------------------------------------------------------------------

  /** The group as this node sees it, with user counts from its replica of the assignment. */
  private withCounts(): GroupState {
    const s = this.replica.state
    const counts = this.table.counts()
    return {
      ...s,
      nodes: [
        {...s.nodes[0], users: counts[0].users, assignedUsers: counts[0].assignedUsers},
        {...s.nodes[1], users: counts[1].users, assignedUsers: counts[1].assignedUsers},
      ],
    }
  }

  private view() {
    const state = this.withCounts()
    const status = groupStatus(state)
    const j = this.table.journal
    return {
      node: this.me,
      group: this.group,
      peer: this.peer,
      version: this.replica.version,
      srm: {running: this.srmRunning, initializing: this.initializing},
      state,
      status: {
        ...status,
        autoFallback: state.autoFallback,
        nodes: status.nodes.map((n, i) => ({...n, up: state.nodes[i].up, assignedUsers: state.nodes[i].assignedUsers})),
      },
      criticalServices: [...this.critical, ...(this.settings.databaseService ? [this.settings.databaseService] : []), SRM_SERVICE].map(
        (n) => {
          const s = this.ctx.nodeManager.status(n)
          return {name: n, state: s.state, critical: n !== SRM_SERVICE}
        },
      ),
      move: j ? {from: j.from, to: j.to, moved: j.done, total: j.users.length} : null,
      facts: {
        ...(this.settings.capacity !== undefined ? {capacity: this.settings.capacity} : {}),
        ...(this.settings.cpuPercent !== undefined ? {cpuPercent: this.settings.cpuPercent} : {}),
        ...(this.settings.wan ? {wan: this.settings.wan} : {}),
      },
    }
  }

  private checkGroup(name: string): void {
    if (name !== this.group)
      throw new NotFoundError(`${this.me} is not in presence redundancy group ${name}`, {hint: `${this.me} is in ${this.group}`})
  }

  private requireSrm(): void {
    if (!this.srmRunning || this.stopping)
      throw new RefusedError(`the ${SRM_SERVICE} is not running on ${this.me}`, {
        rule: 'PRG-3',
        hint: `start it: ucctl service start "${SRM_SERVICE}" --node ${this.me}`,
      })
  }

  private takeLease(token: string, holder: string, ttlMs: number): void {
    const l = this.lease
    if (l && l.token !== token && l.expiresAt > Date.now())
      throw new ConflictError(`another operator action is running on group ${this.group} (from ${l.holder})`, {
        hint: `wait for it: ucctl events --node ${l.holder}`,
        details: {group: this.group, holder: l.holder},
      })
    this.lease = {token, holder, expiresAt: Date.now() + ttlMs}
  }

  /** A peer that died while acting on the group no longer holds it. */
  private dropPeerLease(why: string): void {
    if (this.lease?.holder !== this.peer) return
    this.lease = null
    this.ctx.events.emit({type: 'SRM', message: `the group action of ${this.peer} ended: ${why}`})
  }

  private releaseLease(token: string): void {
    if (this.lease?.token === token) this.lease = null
  }

  private eventFor(action: GroupAction, node: string | undefined): OperatorAction | null {
    const needNode = () => {
      if (!node) throw new UsageError(`${action} needs the node: {"node": "..."}`)
      return node
    }
    switch (action) {
      case 'failover':
        return {type: 'failover', node: needNode()}
      case 'fallback':
        return {type: 'fallback', node: needNode()}
      case 'recover':
        return {type: 'recover'}
      case 'ha-enable':
        return {type: 'haEnable'}
      case 'ha-disable':
        return {type: 'haDisable'}
      case 'rebalance':
        return null
    }
  }

  /** PRG-10: the moves that balance the assigned users over both nodes, or a refusal. */
  private rebalancePlan(): {from: string; to: string; users: number}[] {
    const s = this.replica.state
    if (s.haEnabled && !s.nodes.every((n) => n.up && n.state === 'Normal'))
      throw new RefusedError(
        `rebalance refused: group ${this.group} is ${describePair(s)}; users are rebalanced when both nodes are Normal`,
        {rule: 'PRG-10', hint: 'fall back or recover first'},
      )
    const counts = this.table.counts()
    const moves = [...rebalanceMoves(counts.map((c) => ({node: c.name, users: c.assignedUsers})))]
    const without = moves.map((m) => s.nodes.find((n) => n.name === m.to)!).find((n) => !n.up || !n.criticalServicesRunning)
    if (without)
      throw new RefusedError(
        `rebalance refused: the critical services of ${without.name} are not running; users moved there would have no service`,
        {rule: 'PRG-10', hint: `start them first (ucctl service list --node ${without.name})`},
      )
    return moves
  }

  private async rebalance(): Promise<void> {
    for (const m of this.rebalancePlan()) {
      const n = this.table.reassign(m.from, m.to, m.users, this.replica.stamp())
      this.show(`PRG-10: ${n} users assigned ${m.from} → ${m.to}`)
      await this.enqueue(() => this.moveUsers({from: m.from, to: m.to, select: 'home', reason: 'PRG-10 rebalance'}))
    }
  }

  private stable(): boolean {
    return this.replica.state.nodes.every((n) => n.state === null || !isTransient(n.state))
  }

  private async runAction(action: GroupAction, node: string | undefined, progress: Progress): Promise<Record<string, unknown>> {
    const show = (line: string) => progress(line)
    this.lines.add(show)
    try {
      const event = this.eventFor(action, node)
      if (event === null) await this.rebalance()
      else {
        const done = this.applyLocal(event)
        await done
        if (event.type === 'haDisable') this.table.assignWhereTheyAre(this.replica.stamp())
        await this.until(() => this.stable(), TRANSIENT_WAIT_MS)
        if (event.type === 'recover' || event.type === 'haEnable') {
          // Both nodes take their users home (each pulls its own); wait for this replica to show it.
          await this.until(
            () =>
              this.table.counts().every((c) => c.users === c.assignedUsers) || !this.replica.state.nodes.every((n) => n.state === 'Normal'),
            TRANSIENT_WAIT_MS,
          )
        }
      }
      await this.queue
      return {groupStatus: this.view().status}
    } finally {
      this.lines.delete(show)
    }
  }

  /** The end user presence viewer (seed 003) for one user, from this node's replica. */
  private async presenceViewer(user: string, as: string | undefined): Promise<PresenceView & {group: string}> {
    const assignment = this.table.placeOf(user)
    if (!assignment) throw new NotFoundError(`no user ${user} in presence redundancy group ${this.group}`)
    let services: Record<string, string | undefined>
    if (assignment.signedInTo === this.me) {
      services = Object.fromEntries(this.ctx.nodeManager.list().map((s) => [s.name, s.state]))
    } else {
      try {
        const r = await this.ctx.peer(assignment.signedInTo).get<{services: Array<{name: string; state: string}>}>('/v1/services')
        services = Object.fromEntries(r.services.map((s) => [s.name, s.state]))
      } catch {
        services = {}
      }
    }
    const view = viewPresence({
      directory: directoryOf(this.table),
      user,
      as,
      assignment,
      services,
      limits: {maxContacts: this.settings.maxContacts, maxWatchers: this.settings.maxWatchers},
    })
    return {group: this.group, ...view}
  }

  /** PRG-2/3: the users a stop of critical services would fail over (GET /v1/effects). */
  effects(action: EffectAction): ActionEffect[] {
    const stopped = this.critical.filter((n) => stopsService(action, n) && this.ctx.nodeManager.isRunning(n))
    if (stopped.length === 0) return []
    const v = this.view()
    const me = v.status.nodes.find((n) => n.name === this.me)
    const peer = v.status.nodes.find((n) => n.name === this.peer)
    return presenceStopEffect({
      node: this.me,
      peer: this.peer || null,
      services: stopped,
      users: me?.users ?? 0,
      haEnabled: v.status.haEnabled,
      peerUp: peer?.up ?? false,
    })
  }

  routes(app: FastifyInstance): void {
    const base = '/v1/presence/groups/:group'
    app.get('/v1/presence', async () => this.view())
    syncAgentRoutes(app, this.table, () => ({maxContacts: this.settings.maxContacts, maxWatchers: this.settings.maxWatchers}))
    app.get<{Params: {id: string}; Querystring: {as?: string}}>(
      '/v1/presence/users/:id',
      {
        schema: {
          params: {type: 'object', required: ['id'], properties: {id: {type: 'string', minLength: 1, maxLength: 256}}},
          querystring: {type: 'object', additionalProperties: false, properties: {as: {type: 'string', minLength: 1, maxLength: 256}}},
        },
      },
      async (req) => this.presenceViewer(req.params.id, req.query.as),
    )
    app.get<{Params: {group: string}}>(base, {schema: {params: groupParams}}, async (req) => {
      this.checkGroup(req.params.group)
      return this.view()
    })

    app.get<{Params: {group: string}; Querystring: {node?: string}}>(
      `${base}/users`,
      {
        schema: {
          params: groupParams,
          querystring: {type: 'object', additionalProperties: false, properties: {node: {type: 'string', minLength: 1}}},
        },
      },
      async (req) => {
        this.checkGroup(req.params.group)
        const {node} = req.query
        if (node && !this.nodes.includes(node))
          throw new NotFoundError(`${node} is not in presence redundancy group ${this.group}`, {hint: `nodes: ${this.nodes.join(', ')}`})
        return {
          node: this.me,
          group: this.group,
          version: this.table.stamp,
          nodes: this.table.counts(),
          ...(node ? {users: this.table.usersOn(node)} : {}),
        }
      },
    )

    app.post<{Params: {group: string}; Body: SrmMessage}>(
      `${base}/heartbeat`,
      {schema: {params: groupParams, body: MESSAGE_SCHEMA}, bodyLimit: 4 * 1024 * 1024},
      async (req) => {
        this.checkGroup(req.params.group)
        this.requireSrm()
        if (req.body.from !== this.peer || req.body.group !== this.group)
          throw new UsageError(`${req.body.from} is not the presence peer of ${this.me}`)
        this.receive(req.body)
        return this.message()
      },
    )

    app.post<{Params: {group: string}; Body: {from: string}}>(
      `${base}/reboot`,
      {
        schema: {
          params: groupParams,
          body: {type: 'object', additionalProperties: false, required: ['from'], properties: {from: {type: 'string'}}},
        },
      },
      async (req) => {
        this.checkGroup(req.params.group)
        this.requireSrm()
        if (req.body.from !== this.peer) throw new UsageError(`${req.body.from} is not the presence peer of ${this.me}`)
        // Applied after a short grace: when the whole lab shuts down, this node is stopping too.
        const t = setTimeout(
          () => {
            this.pendingTimers.delete(t)
            if (!this.stopping && this.srmRunning) this.applyLocal({type: 'peerRebootAnnounced', node: this.peer})
          },
          Math.min(this.timers.keepaliveIntervalMs, 500),
        )
        this.pendingTimers.add(t)
        return {accepted: true}
      },
    )

    const leaseBody = {
      type: 'object',
      additionalProperties: false,
      required: ['token', 'holder'],
      properties: {
        token: {type: 'string', minLength: 1, maxLength: 100},
        holder: {type: 'string', minLength: 1},
        ttlMs: {type: 'integer', minimum: 1, maximum: LEASE_TTL_MS},
      },
    } as const
    app.post<{Params: {group: string}; Body: {token: string; holder: string; ttlMs?: number}}>(
      `${base}/lease`,
      {schema: {params: groupParams, body: leaseBody}},
      async (req) => {
        this.checkGroup(req.params.group)
        this.requireSrm()
        this.takeLease(req.body.token, req.body.holder, req.body.ttlMs ?? LEASE_TTL_MS)
        return {group: this.group, holder: req.body.holder}
      },
    )
    app.post<{Params: {group: string}; Body: {token: string}}>(
      `${base}/lease/release`,
      {
        schema: {
          params: groupParams,
          body: {type: 'object', additionalProperties: false, required: ['token'], properties: {token: {type: 'string'}}},
        },
      },
      async (req) => {
        this.checkGroup(req.params.group)
        this.releaseLease(req.body.token)
        return {group: this.group}
      },
    )

    app.post<{Params: {group: string; action: GroupAction}; Body: {node?: string} | undefined}>(
      `${base}/:action`,
      {
        schema: {
          params: {
            type: 'object',
            required: ['group', 'action'],
            properties: {group: groupParams.properties.group, action: {enum: [...HA_ACTIONS]}},
          },
          body: {type: 'object', additionalProperties: false, properties: {node: {type: 'string', minLength: 1}}},
        },
      },
      async (req, reply) => {
        const {group, action} = req.params
        this.checkGroup(group)
        this.requireSrm()
        const node = req.body?.node
        if (node && !this.nodes.includes(node))
          throw new NotFoundError(`${node} is not in presence redundancy group ${this.group}`, {hint: `nodes: ${this.nodes.join(', ')}`})
        const event = this.eventFor(action, node)
        // One operator action per group: a lease here, then one on the peer (both agents refuse a second one: 409).
        const token = randomUUID()
        this.takeLease(token, this.me, LEASE_TTL_MS)
        const peer = this.ctx.peer(this.peer, {timeoutMs: 2000})
        let peerLeased = false
        const release = () => {
          this.releaseLease(token)
          if (peerLeased) void peer.post(`/v1/presence/groups/${this.group}/lease/release`, {token}).catch(() => {})
        }
        try {
          try {
            await peer.post(`/v1/presence/groups/${this.group}/lease`, {token, holder: this.me, ttlMs: LEASE_TTL_MS})
            peerLeased = true
          } catch (error) {
            // A peer that is down (or whose SRM is) takes no action of its own: nothing to exclude.
            if (!(error instanceof UnreachableError || error instanceof RefusedError)) throw error
          }
          // PRG-8 / PRG-9: only in a state that allows it (checked under the lease).
          if (event) this.replica.preview(event)
          const plan = event ? null : this.rebalancePlan()
          if (plan && plan.length === 0) {
            release()
            return reply
              .status(200)
              .send(
                this.ctx.operations.done(action, {group}, `group ${group} is already balanced (PRG-10)`, {groupStatus: this.view().status}),
              )
          }
          const op = this.ctx.operations.start(action, {group, ...(node ? {node} : {})}, [`group:${group}`], async (progress) => {
            try {
              return await this.runAction(action, node, progress)
            } finally {
              release()
            }
          })
          return reply.status(202).send({...op, group})
        } catch (error) {
          release()
          throw error
        }
      },
    )
  }
}
