// Long-running actions as operations (DESIGN.md "Long operations"): 202 + id, polled or
// long-polled until they reach a stable state. One running operation per lock key (a service,
// a node, a group), whether an operation of this node or a peer's group action holds it: a second
// one gets 409 Busy.
import {randomUUID} from 'node:crypto'
import {ConflictError, NotFoundError, PartialFailureError, RefusedError, UcctlError, type WireError} from '../errors.js'
import {JsonStore} from '../durable.js'

export type OperationState = 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface Transition {
  time: string
  message: string
}

export interface Operation {
  id: string
  node: string
  action: string
  target?: Record<string, string>
  state: OperationState
  createdAt: string
  updatedAt: string
  transitions: Transition[]
  result?: Record<string, unknown>
  error?: WireError
}

export type Progress = (message: string) => void

export interface StartOptions {
  /**
   * Whether the operation can stop safely now: undefined when it can (its work then sees its
   * signal aborted and undoes what it began), else why not. Without it, cancel always refuses.
   */
  cancellable?: () => string | undefined
  /** The owner of locks already held for this work (hold()): the operation takes them over. */
  owner?: string
}

/**
 * A lock key's holder: an operation of this node, or a peer's group action (its lease here).
 * One mechanism for both, so an action of either kind excludes the other.
 */
export interface Lock {
  readonly owner: string
  /** The node acting. */
  readonly holder: string
  readonly operation?: string
  /** A lease ends by itself (its holder may die without releasing it). */
  readonly expiresAt?: number
  /** Held while this action is validated, before its operation exists (reserve). */
  readonly validating?: string
}

/** Lock keys held while an action is validated (see reserve): its operation takes them over. */
export interface Reservation {
  /** The owner to start the operation as (StartOptions.owner). */
  readonly id: string
  /** Frees the keys no operation took over (idempotent). */
  release(): void
}

const KEEP = 200

export class OperationRegistry {
  private readonly store: JsonStore<{operations: Operation[]}>
  private readonly locks = new Map<string, Lock>()
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly running = new Map<string, {abort: AbortController; cancellable?: () => string | undefined}>()

  constructor(
    stateDir: string,
    private readonly node: string,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new JsonStore(stateDir, 'operations.json', {operations: []})
    // Operations that were running when the agent died were interrupted: say so durably.
    let interrupted = false
    for (const op of this.store.data.operations) {
      if (op.state !== 'running') continue
      op.state = 'failed'
      op.error = {code: 'Interrupted', message: 'the agent stopped while the operation was running'}
      op.updatedAt = this.iso()
      interrupted = true
    }
    if (interrupted) this.store.save()
  }

  private iso(): string {
    return new Date(this.now()).toISOString()
  }

  get(id: string): Operation {
    const op = this.store.data.operations.find((o) => o.id === id)
    if (!op) throw new NotFoundError(`no operation ${id} on node ${this.node}`)
    return op
  }

  /** The operations this agent remembers, oldest first. */
  list(): Operation[] {
    return this.store.data.operations.slice()
  }

  /** A finished operation for an action that had nothing to do (HTTP 200). */
  done(action: string, target: Record<string, string>, message: string, result: Record<string, unknown>): Operation {
    const op = this.create(action, target)
    op.transitions.push({time: op.createdAt, message})
    op.state = 'succeeded'
    op.result = result
    this.save(op)
    return op
  }

  /**
   * Holds `key` for `owner` (a group action of a peer: the local half of its lease) until it is
   * released or `ttlMs` has passed; refuses (409 Busy) while another owner holds it.
   */
  hold(key: string, owner: string, holder: string, ttlMs: number): void {
    this.check([key], owner)
    this.locks.set(key, {owner, holder, expiresAt: this.now() + ttlMs})
  }

  /**
   * Holds `lockKeys` for `action` while it is validated (an upgrade asks every peer first): a
   * second action on them is 409 Busy; start(..., {owner: reservation.id}) takes them over.
   */
  reserve(action: string, lockKeys: readonly string[]): Reservation {
    const id = `reservation-${randomUUID()}`
    this.check(lockKeys, id)
    for (const key of lockKeys) this.locks.set(key, {owner: id, holder: this.node, validating: action})
    return {
      id,
      release: () => {
        for (const key of lockKeys) {
          const l = this.locks.get(key)
          if (l?.owner === id && l.operation === undefined) this.locks.delete(key)
        }
      },
    }
  }

  /** Releases `key` if `owner` holds it. */
  release(key: string, owner: string): void {
    if (this.locks.get(key)?.owner === owner) this.locks.delete(key)
  }

  /** Who holds `key` now (an operation of this node, or a peer's lease), if anyone. */
  lockOf(key: string): Lock | undefined {
    const l = this.locks.get(key)
    if (l?.expiresAt !== undefined && l.expiresAt <= this.now()) this.locks.delete(key)
    return this.locks.get(key)
  }

  /** Refuses (409 Busy) when another owner than `owner` holds one of `keys`. */
  check(keys: readonly string[], owner?: string): void {
    for (const key of keys) {
      const l = this.lockOf(key)
      if (!l || l.owner === owner) continue
      throw l.operation
        ? new ConflictError(`another operation (${this.get(l.operation).action}, ${l.operation}) is running on ${key}`, {
            hint: `wait for it: ucctl events --node ${this.node}`,
            details: {operation: l.operation},
          })
        : l.validating
          ? new ConflictError(`another ${l.validating} is being validated on ${key}`, {
              hint: `wait for it: ucctl events --node ${this.node}`,
            })
          : new ConflictError(`another operator action is running on ${key} (from ${l.holder})`, {
              hint: `wait for it: ucctl events --node ${l.holder}`,
              details: {holder: l.holder},
            })
    }
  }

  /**
   * Starts `work` under `lockKeys` unless another operation (or a peer's lease) holds one of them.
   * The returned operation is already durable; `work` reports progress and resolves with the result.
   */
  start(
    action: string,
    target: Record<string, string>,
    lockKeys: string[],
    work: (progress: Progress, signal: AbortSignal) => Promise<Record<string, unknown>>,
    opts: StartOptions = {},
  ): Operation {
    this.check(lockKeys, opts.owner)
    const op = this.create(action, target)
    const owner = opts.owner ?? op.id
    for (const key of lockKeys) this.locks.set(key, {owner, holder: this.node, operation: op.id})
    this.save(op)
    const progress: Progress = (message) => {
      op.transitions.push({time: this.iso(), message})
      this.save(op)
    }
    const abort = new AbortController()
    this.running.set(op.id, {abort, cancellable: opts.cancellable})
    work(progress, abort.signal)
      .then((result) => {
        op.state = 'succeeded'
        op.result = result
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) {
          op.state = 'cancelled'
          op.error = {code: 'Cancelled', message: `cancelled by an operator${error instanceof Error ? `: ${error.message}` : ''}`}
          return
        }
        op.state = 'failed'
        // Exit 5 means nothing changed: a refusal after the operation reported a transition
        // comes after a change, so it is a failure part-way (exit 1) with the state reached.
        const partWay = error instanceof RefusedError && op.transitions.length > 0
        const typed = partWay ? new PartialFailureError(error.message, {rule: error.rule, hint: error.hint, details: error.details}) : error
        op.error =
          typed instanceof UcctlError ? typed.toWire() : {code: 'Internal', message: error instanceof Error ? error.message : String(error)}
      })
      .finally(() => {
        this.running.delete(op.id)
        for (const key of lockKeys) this.release(key, owner)
        this.save(op)
      })
    return op
  }

  /**
   * Asks a running operation to stop where it can do so safely (its work undoes what it began);
   * refuses (exit 5, nothing changed) when it has finished or cannot stop safely now.
   */
  cancel(id: string): Operation {
    const op = this.get(id)
    const ctl = this.running.get(id)
    if (op.state !== 'running' || !ctl)
      throw new RefusedError(`operation ${id} (${op.action}) is already ${op.state === 'running' ? 'ending' : op.state}: nothing to cancel`)
    const why = ctl.cancellable ? ctl.cancellable() : `${op.action} cannot stop safely once it has started`
    if (why)
      throw new RefusedError(`operation ${id} (${op.action}) cannot be cancelled: ${why}`, {
        hint: `wait for it: ucctl operation wait ${id}`,
      })
    if (!ctl.abort.signal.aborted) {
      op.transitions.push({time: this.iso(), message: 'cancel requested by an operator'})
      ctl.abort.abort()
      this.save(op)
    }
    return op
  }

  /** Resolves when the operation has more than `seen` transitions, is finished, or after `waitMs`. */
  async waitForChange(id: string, seen: number, waitMs: number): Promise<Operation> {
    const op = this.get(id)
    if (op.state !== 'running' || op.transitions.length > seen || waitMs <= 0) return op
    await new Promise<void>((resolve) => {
      const set = this.waiters.get(id) ?? new Set()
      this.waiters.set(id, set)
      const wake = () => {
        clearTimeout(timer)
        set.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, waitMs)
      set.add(wake)
    })
    return this.get(id)
  }

  /** Wakes every long-poll (agent shutdown). */
  wakeAll(): void {
    for (const set of this.waiters.values()) for (const wake of [...set]) wake()
  }

  private create(action: string, target: Record<string, string>): Operation {
    const time = this.iso()
    const op: Operation = {
      id: randomUUID(),
      node: this.node,
      action,
      target,
      state: 'running',
      createdAt: time,
      updatedAt: time,
      transitions: [],
    }
    this.store.data.operations.push(op)
    if (this.store.data.operations.length > KEEP) {
      this.store.data.operations = this.store.data.operations.filter((o, i, all) => o.state === 'running' || i >= all.length - KEEP)
    }
    return op
  }

  private save(op: Operation): void {
    op.updatedAt = this.iso()
    this.store.save()
    for (const wake of [...(this.waiters.get(op.id) ?? [])]) wake()
  }
}
