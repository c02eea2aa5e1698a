// NodeManager (SPEC §1): supervises the node's service processes as real OS child processes.
// SVC-4: an abnormal exit is restarted (backoff); a process the operator stopped is never
// restarted. SVC-5: NMM's host restart stops and starts everything; past the burst limit NMM
// restarts the node once per window (SVC-4/5 run time), then the process is Failed + alarm.
import {type ChildProcess, spawn} from 'node:child_process'
import {closeSync, mkdirSync, openSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {NotFoundError, RefusedError, UsageError} from '../errors.js'
import {decideRestart, FRESH_TRACKER, type RestartTracker} from '../domain/restart-policy.js'
import type {ServiceState, StartupType} from '../domain/services.js'
import type {Timing} from '../domain/timing.js'
import type {EventLog} from './events.js'
import {JsonStore} from '../durable.js'
import {matchName, nearest} from '../suggest.js'
import type {ServiceStatus} from '../api/schemas.js'

export interface ServiceConfig {
  name: string
  description?: string
  command: string[]
  /** What `ps` shows as the process name (lab stand-ins use the service's name). */
  argv0?: string
  startup: StartupType
  console: boolean
  critical: boolean
}

/** A service's status on the wire (the contract's ServiceStatus). */
export type {ServiceStatus}

interface Persisted {
  services: Record<string, {startup?: StartupType; stoppedByOperator?: boolean}>
}

type Listener = (s: Supervised) => void

class Supervised {
  state: ServiceState = 'Stopped'
  child: ChildProcess | null = null
  startedAt = 0
  restarts = 0
  tracker: RestartTracker = FRESH_TRACKER
  restartTimer: NodeJS.Timeout | null = null
  killTimer: NodeJS.Timeout | null = null
  lastExit: ServiceStatus['lastExit'] = null
  failure: string | undefined
  /** When NMM last restarted the node because this process kept failing (SVC-5), or null. */
  nodeRestartAt: number | null = null
  /** Set while the operator (or NMM) is stopping it: the exit is then not abnormal. */
  stopping = false
  readonly listeners = new Set<Listener>()

  constructor(
    readonly config: ServiceConfig,
    public startup: StartupType,
  ) {}
}

export class NodeManager {
  private readonly services = new Map<string, Supervised>()
  private readonly store: JsonStore<Persisted>
  private readonly logDir: string
  private closed = false
  private restartingNode = false
  /**
   * SVC-5: how NMM restarts the node on an unrecoverable fault (the agent runs it as its node
   * restart operation, under the services' locks); throws when it cannot. Unset: no escalation.
   */
  nodeRestarter: ((why: string) => void) | null = null

  constructor(
    configs: ServiceConfig[],
    private readonly opts: {stateDir: string; timing: Timing; events: EventLog; now?: () => number},
  ) {
    this.store = new JsonStore<Persisted>(opts.stateDir, 'services.json', {services: {}})
    this.logDir = join(opts.stateDir, 'logs')
    mkdirSync(this.logDir, {recursive: true})
    for (const c of configs) {
      const saved = this.store.data.services[c.name]
      this.services.set(c.name, new Supervised(c, saved?.startup ?? c.startup))
    }
  }

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  names(): string[] {
    return [...this.services.keys()]
  }

  private get(name: string): Supervised {
    // "cisco presence engine" finds "Cisco Presence Engine" when no other name folds the same.
    const found = matchName(name, this.names(), (n) => n)
    const s = found === undefined ? undefined : this.services.get(found)
    if (!s) {
      const guess = nearest(name, this.names())
      throw new NotFoundError(`no service "${name}" on this node`, {
        hint: guess ? `did you mean "${guess}"?` : `services here: ${this.names().join(', ')}`,
      })
    }
    return s
  }

  status(name: string): ServiceStatus {
    const s = this.get(name)
    const running = s.state === 'Running' && s.child
    return {
      name: s.config.name,
      ...(s.config.description ? {description: s.config.description} : {}),
      state: s.state,
      pid: s.child?.pid ?? null,
      restarts: s.restarts,
      startup: s.startup,
      console: s.config.console,
      critical: s.config.critical,
      uptimeMs: running ? this.now() - s.startedAt : null,
      lastExit: s.lastExit,
      ...(s.failure ? {failure: s.failure} : {}),
    }
  }

  list(): ServiceStatus[] {
    return this.names().map((n) => this.status(n))
  }

  /** Boot: start the Automatic services (SVC-3) that the operator has not stopped. */
  boot(): void {
    for (const s of this.services.values()) {
      if (s.startup === 'Automatic' && !this.store.data.services[s.config.name]?.stoppedByOperator) this.spawn(s, 'boot')
    }
  }

  setStartup(name: string, startup: StartupType): ServiceStatus {
    const s = this.get(name)
    if (s.startup !== startup) {
      const from = s.startup
      s.startup = startup
      this.persist(name, {startup})
      this.opts.events.emit({
        type: 'ServiceStartup',
        service: name,
        message: `${name} startup type ${from} → ${startup}`,
        data: {from, to: startup},
      })
    }
    return this.status(name)
  }

  isRunning(name: string): boolean {
    return this.get(name).state === 'Running'
  }

  isStopped(name: string): boolean {
    return this.get(name).state === 'Stopped'
  }

  /**
   * Operator start: resolves once the process has stayed Running for the settle time (as
   * supervisord's startsecs); rejects if NodeManager gives up on it (Failed).
   */
  async start(name: string, onChange?: (st: ServiceStatus) => void): Promise<ServiceStatus> {
    const s = this.get(name)
    if (s.state === 'Stopping') await this.until(s, (x) => x.state === 'Stopped', onChange)
    this.persist(name, {stoppedByOperator: false})
    if (s.state === 'Running') return this.status(name)
    if (s.state === 'Stopped' || s.state === 'Failed') {
      // An operator start is a fresh start: the crash history no longer applies.
      s.tracker = FRESH_TRACKER
      s.restarts = 0
      this.spawn(s, 'operator')
    }
    for (;;) {
      await this.until(s, (x) => x.state === 'Running' || x.state === 'Failed' || x.state === 'Stopped', onChange)
      if (s.state === 'Failed') {
        throw new RefusedError(`${name} could not be started: ${s.failure ?? 'it kept terminating'}`, {rule: 'SVC-4'})
      }
      if (s.state === 'Stopped') throw new RefusedError(`${name} was stopped while starting`, {rule: 'SVC-2'})
      const child = s.child
      await sleep(this.opts.timing.startSettleMs)
      // The state may have changed while we slept: read it afresh.
      if ((s.state as ServiceState) === 'Running' && s.child === child) return this.status(name)
    }
  }

  /** Operator stop: SIGTERM, then SIGKILL after the grace period; never restarted (SVC-4). */
  async stop(name: string, onChange?: (st: ServiceStatus) => void): Promise<ServiceStatus> {
    const s = this.get(name)
    this.persist(name, {stoppedByOperator: true})
    this.halt(s, 'operator')
    await this.until(s, (x) => x.state === 'Stopped', onChange)
    return this.status(name)
  }

  /** SVC-2: cycle is stop then start. */
  async cycle(name: string, onChange?: (st: ServiceStatus) => void): Promise<ServiceStatus> {
    await this.stop(name, onChange)
    return this.start(name, onChange)
  }

  /**
   * SVC-5: NMM's host restart. Every service is stopped (reverse order), then the Automatic ones
   * start again in order, as a host boot would; operator stops do not survive a reboot.
   */
  async restartNode(progress: (message: string) => void): Promise<ServiceStatus[]> {
    this.restartingNode = true
    try {
      return await this.restartAll(progress)
    } finally {
      this.restartingNode = false
    }
  }

  private async restartAll(progress: (message: string) => void): Promise<ServiceStatus[]> {
    const all = [...this.services.values()]
    for (const s of [...all].reverse()) {
      this.halt(s, 'NMM host restart')
      await this.until(s, (x) => x.state === 'Stopped')
      progress(`${s.config.name} Stopped`)
    }
    for (const s of all) {
      this.persist(s.config.name, {stoppedByOperator: false})
      if (s.startup !== 'Automatic') continue
      s.tracker = FRESH_TRACKER
      s.restarts = 0
      this.spawn(s, 'NMM host restart')
      await this.until(s, (x) => x.state === 'Running' || x.state === 'Failed')
      progress(`${s.config.name} ${s.state}`)
    }
    return this.list()
  }

  /** Agent shutdown: stop every child (SIGTERM, then SIGKILL), no restarts, keep operator intent. */
  async shutdown(): Promise<void> {
    this.closed = true
    await Promise.all(
      [...this.services.values()].map(async (s) => {
        this.halt(s, 'agent shutdown')
        await this.until(s, (x) => x.state === 'Stopped')
      }),
    )
  }

  /** Resolves when `pred` holds, reporting every state change on the way. */
  private until(s: Supervised, pred: (s: Supervised) => boolean, onChange?: (st: ServiceStatus) => void): Promise<void> {
    onChange?.(this.status(s.config.name))
    if (pred(s)) return Promise.resolve()
    return new Promise((resolve) => {
      const l: Listener = (x) => {
        onChange?.(this.status(x.config.name))
        if (pred(x)) {
          s.listeners.delete(l)
          resolve()
        }
      }
      s.listeners.add(l)
    })
  }

  private setState(s: Supervised, state: ServiceState, why: string, data: Record<string, unknown> = {}): void {
    if (s.state === state) return
    const from = s.state
    s.state = state
    const pid = s.child?.pid
    this.opts.events.emit({
      type: 'ServiceState',
      service: s.config.name,
      message: `${s.config.name} ${from} → ${state} (${why})`,
      data: {from, to: state, ...(pid ? {pid} : {}), ...data},
    })
    for (const l of [...s.listeners]) l(s)
  }

  private spawn(s: Supervised, why: string): void {
    if (this.closed) return
    s.failure = undefined
    s.stopping = false
    const [cmd, ...args] = s.config.command
    const log = openSync(join(this.logDir, `${s.config.name.replaceAll(/[^\w.-]+/g, '_')}.log`), 'a', 0o600)
    let child: ChildProcess
    try {
      // stdin stays an open pipe: lab stand-ins exit on its EOF, so they die with their agent.
      child = spawn(cmd, args, {stdio: ['pipe', log, log], argv0: s.config.argv0, detached: false})
    } finally {
      closeSync(log)
    }
    s.child = child
    s.startedAt = this.now()
    this.setState(s, 'Starting', why, {pid: child.pid})
    child.once('spawn', () => {
      if (s.child === child && s.state === 'Starting') this.setState(s, 'Running', 'process started', {pid: child.pid})
    })
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) will not get better by retrying: Failed at once.
      if (s.child !== child || child.pid !== undefined) return
      s.child = null
      this.fail(s, `cannot start ${cmd}: ${error.code ?? error.message}`)
    })
    child.stdin?.on('error', () => {})
    child.once('exit', (code, signal) => this.onExit(s, child, code, signal))
  }

  private onExit(s: Supervised, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.child !== child) return
    s.child = null
    if (s.killTimer) clearTimeout(s.killTimer)
    s.killTimer = null
    const abnormal = !s.stopping
    s.lastExit = {code, signal, time: new Date(this.now()).toISOString(), abnormal}
    const how = signal ? `signal ${signal}` : `exit code ${code}`
    if (!abnormal) {
      s.stopping = false
      this.setState(s, 'Stopped', `stopped, ${how}`, {code, signal})
      return
    }
    const escalation = {automatic: s.startup === 'Automatic' && this.nodeRestarter !== null, nodeRestartAtMs: s.nodeRestartAt}
    const {tracker, decision} = decideRestart(s.tracker, {startedAtMs: s.startedAt, nowMs: this.now()}, this.opts.timing, escalation)
    s.tracker = tracker
    if (decision.action === 'fail') {
      this.fail(s, `terminated abnormally (${how}); ${decision.reason}`)
      return
    }
    if (decision.action === 'restart-node') {
      this.escalate(s, `${s.config.name} terminated abnormally (${how}); ${decision.reason}`)
      return
    }
    s.restarts += 1
    this.setState(s, 'Restarting', `terminated abnormally (${how}); restart ${s.restarts} in ${decision.delayMs} ms`, {
      code,
      signal,
      delayMs: decision.delayMs,
      restarts: s.restarts,
    })
    s.restartTimer = setTimeout(() => {
      s.restartTimer = null
      this.spawn(s, `NodeManager restart ${s.restarts}`)
    }, decision.delayMs)
  }

  /** SVC-5: NMM restarts the node for a process that keeps failing; if it cannot, the process is Failed. */
  private escalate(s: Supervised, reason: string): void {
    if (this.restartingNode || !this.nodeRestarter) {
      this.fail(s, `${reason}; a node restart is already under way`)
      return
    }
    s.nodeRestartAt = this.now()
    this.setState(s, 'Restarting', reason)
    this.opts.events.emit({
      type: 'Alarm',
      service: s.config.name,
      message: `NodeRestart: unrecoverable fault of ${s.config.name}, NMM restarts the node: ${reason}`,
      data: {alarm: 'NodeRestart', rule: 'SVC-5'},
    })
    try {
      this.nodeRestarter(reason)
    } catch (error) {
      this.fail(s, `${reason}; NMM could not restart the node: ${(error as Error).message}`)
    }
  }

  private fail(s: Supervised, reason: string): void {
    s.failure = reason
    this.setState(s, 'Failed', reason)
    this.opts.events.emit({
      type: 'Alarm',
      service: s.config.name,
      message: `ServiceFailed: NodeManager gave up on ${s.config.name}: ${reason}`,
      data: {alarm: 'ServiceFailed', rule: s.nodeRestartAt === null ? 'SVC-4' : 'SVC-5'},
    })
  }

  /** Stops whatever the process is doing; the coming exit is a requested one. */
  private halt(s: Supervised, why: string): void {
    if (s.restartTimer) {
      clearTimeout(s.restartTimer)
      s.restartTimer = null
    }
    if (!s.child) {
      if (s.state !== 'Stopped') this.setState(s, 'Stopped', why)
      return
    }
    if (s.stopping) return
    s.stopping = true
    this.setState(s, 'Stopping', why)
    const child = s.child
    child.kill('SIGTERM')
    s.killTimer = setTimeout(() => {
      if (s.child === child) child.kill('SIGKILL')
    }, this.opts.timing.stopGraceMs)
  }

  private persist(name: string, patch: Persisted['services'][string]): void {
    const cur = this.store.data.services[name] ?? {}
    const next = {...cur, ...patch}
    if (JSON.stringify(cur) === JSON.stringify(next)) return
    this.store.data.services[name] = next
    this.store.save()
  }

  /** Validates a startup type given on the wire. */
  static parseStartup(value: string): StartupType {
    if (value === 'Automatic' || value === 'Manual') return value
    throw new UsageError(`startup type must be Automatic or Manual, not "${value}"`, {rule: 'SVC-3'})
  }
}
