// The Cisco Server Recovery Manager of an IM and Presence node (SPEC §6, PRG-2..9): heartbeats
// with the peer of its presence redundancy group, monitoring of the critical services (real
// NodeManager processes), and the group machine (../domain/presence-machine.ts) driving both. The
// SRM itself is the node's "Cisco Server Recovery Manager" process: while it is not running, this
// node neither heartbeats nor monitors (PRG-3), exactly as on a server.
//
// How it is hosted (./reducer-host.ts): the SRM's rules are a pure reducer
// (../domain/presence-srm.ts); this class reads the world into its events and performs its
// effects. Short effects (events, writes to the replica, a heartbeat sent) are performed at once;
// long ones (stopping or starting services, moving users, restarting the SRM) run one at a time
// in the one serial executor, so a long action never holds back the heartbeats that keep the
// peer from declaring this node down (as Patroni's HA loop beside its async executor).
//
// Who does what: each SRM applies what it observes (its own services, the peer's silence, the
// peer's boot as seen in its heartbeats) and operator actions sent to it; both exchange the
// applied events and fold them in the same order (./presence-replica.ts). Each effect is
// carried out by the node it names: critical services by their node, user moves by `by`, the
// peer of the failed node (PRG-3).
import {randomUUID} from 'node:crypto'
import type {FastifyInstance} from 'fastify'
import type {Answer, Preview} from '../api/index.js'
import type {SrmMessage} from '../api/routes/presence.js'
import type {ActionEffect, EffectAction} from '../domain/effects.js'
import {rebalanceMoves} from '../domain/presence-capacity.js'
import {
  actionImpact,
  describePair,
  type GroupAction,
  type GroupState,
  type HaEvent,
  haTimersFromTiming,
  isTransient,
  LEASE_TTL_MS,
  newGroup,
  operatorEvent,
  planAction,
  planRebalance,
} from '../domain/presence-redundancy.js'
import {
  effectKey,
  initialSrm,
  isImmediate,
  isStable,
  type MovePlan,
  mustBeIdle,
  nodeOf,
  reduceSrm,
  type Services,
  type SrmEffect,
  type SrmEvent,
  type SrmState,
} from '../domain/presence-srm.js'
import {NotFoundError, RefusedError, UnreachableError, UsageError} from '../errors.js'
import type {AgentEvent} from './events.js'
import type {AgentContext, AgentModule} from './module.js'
import type {Progress} from './operations.js'
import {type Applied, GroupReplica} from './presence-replica.js'
import {UserTable} from './presence-users.js'
import {ReducerHost} from './reducer-host.js'
import {type PresenceSettings, readSettings} from './srm-settings.js'
import {SrmReads} from './srm-reads.js'
import {srmRoutes} from './srm-routes.js'
import {SyncAgent, syncAgentRoutes} from './sync-agent.js'

export const SRM_SERVICE = 'Cisco Server Recovery Manager'
export type {PresenceSettings} from './srm-settings.js'

const ACTION = 'POST /v1/presence/groups/:group/:action'
const TRANSIENT_WAIT_MS = 10 * 60_000

export async function serverRecoveryManagerModule(ctx: AgentContext): Promise<AgentModule> {
  const raw = ctx.config.settings.presence
  if (raw === undefined || !ctx.config.group) return {}
  const settings = await readSettings(raw, `node ${ctx.config.name}:`)
  if (!ctx.config.peers.some((p) => p.name === settings.peer))
    throw new UsageError(`node ${ctx.config.name}: the presence peer ${settings.peer} is not among the node's peers`)
  return new ServerRecoveryManager(ctx, settings, ctx.config.group)
}

export class ServerRecoveryManager implements AgentModule {
  readonly me: string
  readonly peer: string
  private readonly lockKey: string
  private readonly nodes: [string, string]
  private readonly replica: GroupReplica
  private readonly table: UserTable
  private readonly syncAgent: SyncAgent
  private readonly critical: string[]
  private readonly host: ReducerHost<SrmState, SrmEvent, SrmEffect>
  private readonly reads: SrmReads
  /** Progress lines of the operations running here. */
  private readonly lines = new Set<(line: string) => void>()
  /** Those waiting for a state (operations), woken after each change. */
  private readonly waiters = new Set<() => void>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private unsubscribe?: () => void

  constructor(
    private readonly ctx: AgentContext,
    private readonly settings: PresenceSettings,
    readonly group: string,
  ) {
    this.me = ctx.config.name
    this.lockKey = `group:${group}`
    this.peer = settings.peer
    this.nodes = [this.me, this.peer].sort() as [string, string]
    const timers = haTimersFromTiming(ctx.config.timingValues)
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
    this.replica = new GroupReplica(dir, this.me, initial, timers)
    const names = ctx.nodeManager.names()
    this.critical = ctx.nodeManager
      .list()
      .filter((s) => s.critical && s.name !== settings.databaseService && s.name !== SRM_SERVICE)
      .map((s) => s.name)
    if (!names.includes(SRM_SERVICE)) throw new UsageError(`node ${this.me}: an IM and Presence node needs the ${SRM_SERVICE} service`)
    if (settings.databaseService && !names.includes(settings.databaseService))
      throw new UsageError(`node ${this.me}: settings.presence.databaseService ${settings.databaseService} is not a service of the node`)
    this.reads = new SrmReads(ctx, settings, this.table, this.critical, SRM_SERVICE, group, this.nodes)
    const config = {
      me: this.me,
      peer: this.peer,
      timers,
      critical: this.critical,
      srmService: SRM_SERVICE,
      ...(settings.databaseService ? {databaseService: settings.databaseService} : {}),
    }
    this.host = new ReducerHost(initialSrm(config, this.replica.state), {
      reduce: reduceSrm,
      immediate: isImmediate,
      performNow: (f) => this.performNow(f),
      perform: (f) => this.perform(f),
      failed: (f, error) => {
        this.ctx.log.error({err: error, effect: f.kind}, 'SRM effect failed')
        return undefined
      },
      key: effectKey,
      folded: () => this.wake(),
    })
  }

  get state(): GroupState {
    return this.host.state.group
  }

  private get srm(): SrmState {
    return this.host.state
  }

  // --- lifecycle ---------------------------------------------------------------------------

  start(): void {
    this.unsubscribe = this.ctx.events.subscribe((e) => this.onEvent(e))
    if (this.ctx.nodeManager.isRunning(SRM_SERVICE)) this.host.dispatch(this.serviceChanged(SRM_SERVICE, 'Running'))
    const t = setInterval(() => this.host.dispatch({type: 'keepalive'}), this.srm.config.timers.keepaliveIntervalMs)
    this.timers.add(t)
    this.syncAgent.start()
  }

  async stop(): Promise<void> {
    const running = this.srm.srm !== 'stopped'
    this.host.dispatch({type: 'shutdown'})
    void this.host.close()
    this.syncAgent.stop()
    for (const t of this.timers) clearTimeout(t)
    this.unsubscribe?.()
    this.wake()
    // PRG-7 row 17: a node going down on purpose tells its peer (shutdown, reboot).
    if (running) {
      try {
        await this.ctx
          .peer(this.peer, {timeoutMs: 500})
          .call('POST /v1/presence/groups/:group/reboot', {params: {group: this.group}, body: {from: this.me}})
      } catch {}
    }
  }

  nodeInfo(): Record<string, unknown> {
    const me = nodeOf(this.srm, this.me)
    return {presence: {group: this.group, peer: this.peer, state: me.state, reason: me.reason}}
  }

  private onEvent(e: AgentEvent): void {
    if (e.type !== 'ServiceState' || this.srm.stopping || !e.service) return
    const to = (e.data as {to?: string} | undefined)?.to ?? 'stopped'
    const service = e.service
    // Listeners run inside NodeManager's state change: act after it.
    setImmediate(() => this.host.dispatch(this.serviceChanged(service, to)))
  }

  private serviceChanged(service: string, to: string): SrmEvent {
    return {type: 'serviceChanged', now: Date.now(), service, to, initId: randomUUID(), services: this.services()}
  }

  /** What the node's services show now. */
  private services(): Services {
    const nm = this.ctx.nodeManager
    const db = this.settings.databaseService
    return {
      down: this.critical.filter((n) => !nm.isRunning(n)),
      up: this.critical.every((n) => ['Running', 'Starting'].includes(nm.status(n).state)),
      database: db ? {name: db, state: nm.status(db).state} : null,
    }
  }

  // --- heartbeats --------------------------------------------------------------------------

  private message(): SrmMessage {
    const s = this.srm
    return {
      from: this.me,
      group: this.group,
      initializing: s.srm === 'initializing',
      initId: s.initId,
      initKind: s.initKind,
      seenInit: s.peerSeenInit,
      servicesUp: this.services().up,
      sync: this.replica.syncFor(),
      table: {stamp: this.table.stamp, ...(s.peerTableStamp < this.table.stamp ? {data: this.table.data()} : {})},
    }
  }

  /** The peer's entries and users merged here; what the peer says of itself. */
  private merge(msg: SrmMessage): {applied: SrmEvent[]; word: Extract<SrmEvent, {type: 'peerHeard'}>['peer']} {
    const applied = this.replica.merge(msg.sync, this.peer).map((a) => this.appliedEvent(a, false))
    if (msg.table.data && this.table.adopt(msg.table.data)) this.wake()
    const {initializing, initId, initKind, seenInit, servicesUp} = msg
    return {applied, word: {initializing, initId, initKind, seenInit, servicesUp, tableStamp: msg.table.stamp}}
  }

  /** One heartbeat to the peer (also the push of anything new); its answer comes back as an event. */
  private sendHeartbeat(): void {
    const timeoutMs = Math.max(500, Math.floor(this.srm.config.timers.keepaliveTimeoutMs / 2))
    const done = (answer: SrmMessage | null) => {
      const heard = answer && !this.srm.stopping && this.srm.srm !== 'stopped' ? this.merge(answer) : null
      for (const e of heard?.applied ?? []) this.host.dispatch(e)
      const now = Date.now()
      this.host.dispatch({type: 'heartbeatDone', now, peer: heard?.word ?? null, group: this.replica.state, services: this.services()})
    }
    this.ctx
      .peer(this.peer, {timeoutMs})
      .call('POST /v1/presence/groups/:group/heartbeat', {params: {group: this.group}, body: this.message()})
      .then(done, () => done(null)) // not heard: the keepalive timeout decides
  }

  /** The peer's heartbeat: what it carries is received, and this SRM's own is the answer. */
  heartbeat(msg: SrmMessage): SrmMessage {
    this.requireSrm()
    if (msg.from !== this.peer || msg.group !== this.group) throw new UsageError(`${msg.from} is not the presence peer of ${this.me}`)
    const heard = this.merge(msg)
    for (const e of heard.applied) this.host.dispatch(e)
    this.host.dispatch({type: 'peerHeard', now: Date.now(), peer: heard.word, group: this.replica.state})
    return this.message()
  }

  /** PRG-7 row 17: the peer goes down on purpose. */
  rebootAnnounced(from: string): void {
    this.requireSrm()
    if (from !== this.peer) throw new UsageError(`${from} is not the presence peer of ${this.me}`)
    // Applied after a short grace: when the whole lab shuts down, this node is stopping too.
    const t = setTimeout(
      () => {
        this.timers.delete(t)
        this.host.dispatch({type: 'peerRebootAnnounced'})
      },
      Math.min(this.srm.config.timers.keepaliveIntervalMs, 500),
    )
    this.timers.add(t)
  }

  // --- effects -----------------------------------------------------------------------------

  private appliedEvent(a: Applied, local: boolean): SrmEvent {
    return {type: 'applied', local, node: a.entry.node, stamp: a.entry.stamp, effects: a.effects, group: this.replica.state}
  }

  /** Applies an event here (an operator action may be refused: it throws); the SRM folds what it did. */
  private applyHere(event: HaEvent): void {
    const a = this.replica.apply(event)
    if (a) this.host.dispatch(this.appliedEvent(a, true))
  }

  private performNow(f: SrmEffect): SrmEvent | SrmEvent[] | undefined {
    switch (f.kind) {
      case 'emit':
        this.ctx.events.emit(f.event)
        return
      case 'show':
        return this.show(f.line, !f.quiet)
      case 'apply': {
        const out: SrmEvent[] = []
        for (const e of f.events) {
          const a = this.replica.apply(e)
          if (!a) continue
          out.push(this.appliedEvent(a, true))
          if (f.first) break
        }
        return out
      }
      case 'heartbeat':
        this.sendHeartbeat()
        return
      case 'dropPeerLease': {
        // A peer that died while acting on the group no longer holds it.
        const l = this.ctx.operations.lockOf(this.lockKey)
        if (l?.holder !== this.peer) return
        this.ctx.operations.release(this.lockKey, l.owner)
        this.ctx.events.emit({type: 'SRM', message: `the group action of ${this.peer} ended: ${f.why}`})
        return
      }
      case 'endInterruptedMove': {
        const j = this.table.abandonJournal()
        if (!j) return
        this.ctx.events.emit({
          type: 'Alarm',
          message: `move of users ${j.from} → ${j.to} was interrupted at ${j.done}/${j.users.length}: each user stays on the node it was on; select Recover (PRG-7 rows 19, 20)`,
          data: {rule: 'PRG-7', alarm: 'UserMoveInterrupted', moved: j.done, total: j.users.length},
        })
        return {type: 'moveEnded', ok: false}
      }
      case 'stopService':
        void this.ctx.nodeManager.stop(f.service).catch(() => {})
        return
      default:
        throw new Error(`${f.kind} is not an immediate effect`)
    }
  }

  private async perform(f: SrmEffect): Promise<SrmEvent | SrmEvent[] | undefined> {
    switch (f.kind) {
      case 'stopCritical': {
        // PRG-4 is checked when it runs: the node may no longer be Idle.
        if (f.reason === 'PRG-4' && !mustBeIdle(this.srm)) return
        const running = this.critical.filter((n) => !this.ctx.nodeManager.isStopped(n))
        if (running.length === 0) return
        return this.acting(`${this.me}: SRM stops the critical services (PRG-8)`, () =>
          Promise.all(running.map((n) => this.ctx.nodeManager.stop(n))),
        )
      }
      case 'startCritical':
        try {
          await this.acting(`${this.me}: SRM starts the critical services`, () =>
            Promise.all(this.critical.map((n) => this.ctx.nodeManager.start(n))),
          )
          return
        } catch (error) {
          return {type: 'servicesFailedToStart', now: Date.now(), stamp: f.stamp, message: (error as Error).message}
        }
      case 'restartSrm':
        this.host.dispatch({type: 'srmRestartPlanned'})
        await this.ctx.nodeManager.cycle(SRM_SERVICE).catch(() => {})
        return
      case 'moveUsers':
        if (f.stamp !== undefined && this.srm.abortedMoves.includes(f.stamp)) return
        return this.moveUsers(f.plan)
      case 'moveHome': {
        const plan: MovePlan = {from: this.peer, to: this.me, select: 'home', reason: 'users back on their assigned node'}
        return this.table.select(plan).length > 0 ? this.moveUsers(plan) : undefined
      }
      default:
        return this.performNow(f)
    }
  }

  /** Services started or stopped by the SRM: while it acts, their states are not failures. */
  private async acting(line: string, act: () => Promise<unknown>): Promise<undefined> {
    this.host.dispatch({type: 'servicesActing', delta: 1})
    try {
      this.show(line)
      await act()
      return undefined
    } finally {
      this.host.dispatch({type: 'servicesActing', delta: -1})
    }
  }

  private async moveUsers(plan: MovePlan): Promise<SrmEvent | undefined> {
    const stopping = () => this.srm.stopping
    try {
      const r = await this.table.move(plan, {
        stamp: () => this.replica.stamp(),
        batchSize: this.settings.moveBatchSize,
        pauseMs: this.settings.moveBatchPauseMs,
        stopping,
        onProgress: (n, total) =>
          this.show(
            `users moved ${n}/${total} (${plan.from} → ${plan.to})`,
            n === total || n === Math.min(total, this.settings.moveBatchSize),
          ),
        afterBatch: () => this.host.dispatch({type: 'keepalive'}),
      })
      if (r.total > 0)
        this.ctx.events.emit({
          type: 'PresenceUsers',
          message: `${r.moved} users moved ${plan.from} → ${plan.to} by the SRM of ${this.me}`,
          data: {from: plan.from, to: plan.to, users: r.moved},
        })
    } catch (error) {
      if (stopping()) return // the journal stays: an interrupted move, handled at the next start
      const j = this.table.abandonJournal()
      this.ctx.events.emit({
        type: 'Alarm',
        message: `users could not move ${plan.from} → ${plan.to} (${j?.done ?? 0}/${j?.users.length ?? 0} moved, each user stays on the node it is on): ${(error as Error).message}`,
        data: {rule: 'PRG-7', alarm: 'UserMoveFailed'},
      })
      return {type: 'moveEnded', ok: false}
    }
    return {type: 'moveEnded', ok: true}
  }

  /** Progress of running operations (and, for milestones, an event). */
  private show(line: string, asEvent = true): undefined {
    for (const l of this.lines) l(line)
    if (asEvent && !this.srm.stopping) this.ctx.events.emit({type: 'PresenceProgress', message: line})
    return undefined
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }

  private until(pred: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t)
        this.timers.delete(t)
        this.waiters.delete(check)
        resolve()
      }
      const check = () => {
        if (pred() || this.srm.stopping) done()
      }
      const t = setTimeout(done, timeoutMs)
      this.timers.add(t)
      this.waiters.add(check)
      check()
    })
  }

  // --- the API ------------------------------------------------------------------------------

  routes(app: FastifyInstance): void {
    srmRoutes(app, this.ctx, this)
    syncAgentRoutes(app, this.table, () => ({maxContacts: this.settings.maxContacts, maxWatchers: this.settings.maxWatchers}))
  }

  view(): Answer<'GET /v1/presence'> {
    return this.reads.view(this.state, this.srm, this.replica.version)
  }

  users(node: string | undefined): Answer<'GET /v1/presence/groups/:group/users'> {
    return this.reads.users(node)
  }

  presenceViewer(user: string, as: string | undefined): Promise<Answer<'GET /v1/presence/users/:id'>> {
    return this.reads.presenceViewer(user, as)
  }

  /** PRG-2/3: the users a stop of critical services would fail over (in the previews of actions). */
  effects(action: EffectAction): ActionEffect[] {
    return this.reads.effects(action, this.view())
  }

  checkGroup(name: string): void {
    if (name !== this.group)
      throw new NotFoundError(`${this.me} is not in presence redundancy group ${name}`, {hint: `${this.me} is in ${this.group}`})
  }

  private requireSrm(): void {
    if (this.srm.srm === 'stopped' || this.srm.stopping)
      throw new RefusedError(`the ${SRM_SERVICE} is not running on ${this.me}`, {
        rule: 'PRG-3',
        hint: `start it: ucctl service start "${SRM_SERVICE}" --node ${this.me}`,
      })
  }

  /** The peer's group action holds this node's lock of the group too (the local half of its lease). */
  takeLease(token: string, holder: string, ttlMs = LEASE_TTL_MS): void {
    this.requireSrm()
    this.ctx.operations.hold(this.lockKey, token, holder, ttlMs)
  }

  releaseLease(token: string): void {
    this.ctx.operations.release(this.lockKey, token)
  }

  /** PRG-10: the moves that balance the assigned users over both nodes, or a refusal. */
  private rebalancePlan(): {from: string; to: string; users: number}[] {
    const s = this.state
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
      this.host.dispatch({type: 'moveRequested', plan: {from: m.from, to: m.to, select: 'home', reason: 'PRG-10 rebalance'}})
      await this.host.idle()
    }
  }

  private async runAction(action: GroupAction, node: string | undefined, progress: Progress): Promise<Record<string, unknown>> {
    const show = (line: string) => progress(line)
    this.lines.add(show)
    try {
      const event = operatorEvent(action, node)
      if (event === null) await this.rebalance()
      else {
        this.applyHere(event)
        await this.host.idle()
        if (event.type === 'haDisable') this.table.assignWhereTheyAre(this.replica.stamp())
        await this.until(() => isStable(this.srm, isTransient), TRANSIENT_WAIT_MS)
        if (event.type === 'recover' || event.type === 'haEnable') {
          // Both nodes take their users home (each pulls its own); wait for this replica to show it.
          await this.until(
            () => this.table.counts().every((c) => c.users === c.assignedUsers) || !this.state.nodes.every((n) => n.state === 'Normal'),
            TRANSIENT_WAIT_MS,
          )
        }
      }
      await this.host.idle()
      return {groupStatus: this.view().status}
    } finally {
      this.lines.delete(show)
    }
  }

  // --- what the routes ask -------------------------------------------------------------------

  /** The dry run of a group action this SRM performs: what would change, under which rules. */
  async previewAction(action: GroupAction, node: string | undefined): Promise<Preview<typeof ACTION>> {
    this.requireSrm()
    this.checkNode(node)
    const event = operatorEvent(action, node)
    // Another operator's action running on the group: that is the answer (409), as for the action.
    this.ctx.operations.check([this.lockKey])
    const s = this.state
    const plan = event ? planAction(s, event, Date.now()) : planRebalance(this.rebalancePlan())
    return {
      group: this.group,
      action,
      ...(node ? {node} : {}),
      currentState: describePair(s),
      ...plan,
      ...actionImpact(action, node),
    }
  }

  /** A group action this SRM performs: its operation (202), or done at once (200). */
  async groupAction(action: GroupAction, node: string | undefined): Promise<{status: 200 | 202; body: Answer<typeof ACTION>}> {
    const group = this.group
    this.requireSrm()
    this.checkNode(node)
    const event = operatorEvent(action, node)
    // One operator action per group: the lock here, then the peer's (both agents refuse a second one: 409).
    const token = randomUUID()
    this.ctx.operations.hold(this.lockKey, token, this.me, LEASE_TTL_MS)
    const peer = this.ctx.peer(this.peer, {timeoutMs: 2000})
    let peerLeased = false
    // The operation ends once the peer has released the group too: an action right after it is not refused.
    const release = async () => {
      this.ctx.operations.release(this.lockKey, token)
      if (peerLeased)
        await peer.call('POST /v1/presence/groups/:group/lease/release', {params: {group}, body: {token}}).catch(() => undefined)
    }
    try {
      try {
        await peer.call('POST /v1/presence/groups/:group/lease', {params: {group}, body: {token, holder: this.me, ttlMs: LEASE_TTL_MS}})
        peerLeased = true
      } catch (error) {
        // A peer that is down (or whose SRM is) takes no action of its own: nothing to exclude.
        if (!(error instanceof UnreachableError || error instanceof RefusedError)) throw error
      }
      // PRG-8 / PRG-9: only in a state that allows it (checked under the lock).
      if (event) this.replica.preview(event)
      const plan = event ? null : this.rebalancePlan()
      if (plan && plan.length === 0) {
        void release()
        return {
          status: 200,
          body: this.ctx.operations.done(action, {group}, `group ${group} is already balanced (PRG-10)`, {groupStatus: this.view().status}),
        }
      }
      const target = {group, ...(node ? {node} : {})}
      const work = async (progress: Progress) => {
        try {
          return await this.runAction(action, node, progress)
        } finally {
          await release()
        }
      }
      const op = this.ctx.operations.start(action, target, [this.lockKey], work, {owner: token})
      return {status: 202, body: {...op, group}}
    } catch (error) {
      void release()
      throw error
    }
  }

  private checkNode(node: string | undefined): void {
    if (node && !this.nodes.includes(node))
      throw new NotFoundError(`${node} is not in presence redundancy group ${this.group}`, {hint: `nodes: ${this.nodes.join(', ')}`})
  }
}
