// How the agent hosts a stateful domain machine (the IM&P Server Recovery Manager, the Unity
// Connection role manager): a pure reducer folds each event into the state and says which effects
// follow; one serial executor runs those effects in order, one at a time (as Patroni's one async
// executor), and what an effect learns comes back as events. Short effects the host marks
// immediate (an event, a write, a heartbeat sent) are performed as the fold makes them, so a long
// one never holds them back (as Patroni's HA loop beside its executor). Nothing else holds state:
// no flags beside the reducer's state, no long effect run outside the executor.
export interface Step<S, F> {
  state: S
  effects: readonly F[]
}

export interface ReducerHostOptions<S, E, F> {
  /** Folds an event into the state (pure; time comes in the event). */
  reduce(state: S, event: E): Step<S, F>
  /** Performs an effect; its outcome, if any, is dispatched as events (in order). */
  perform(effect: F): Promise<E | readonly E[] | undefined>
  /** An effect that threw: the event that says so, or nothing (then it is only logged). */
  failed(effect: F, error: unknown): E | undefined
  /** Two queued effects with the same key are one: the later replaces the earlier, in its place. */
  key?(effect: F): string | undefined
  /**
   * Whether an effect is short and performed at once, as the fold makes it (an event emitted, a
   * write, a request sent whose answer comes back as an event), rather than queued: a long effect
   * in the executor never delays it (as Patroni's HA loop keeps its heartbeat while its one async
   * executor runs a long action, and sees that the action is in progress).
   */
  immediate?(effect: F): boolean
  /** Performs an immediate effect (synchronously); what it returns is folded next, before any other event. */
  performNow?(effect: F): E | readonly E[] | undefined
  /** Called after each fold with the state reached (e.g. to wake those waiting on it). */
  folded?(state: S): void
}

export class ReducerHost<S, E, F> {
  private current: S
  private readonly events: E[] = []
  private readonly queue: F[] = []
  private folding = false
  private running: Promise<void> = Promise.resolve()
  private runningEffect: F | undefined
  /** An effect runs or waits (set before the first one starts: an effect that dispatches never starts a second drain). */
  private draining = false
  private closed = false

  constructor(
    initial: S,
    private readonly opts: ReducerHostOptions<S, E, F>,
  ) {
    this.current = initial
  }

  get state(): S {
    return this.current
  }

  /** The long effect the executor runs now. */
  get performing(): F | undefined {
    return this.runningEffect
  }

  /** Whether an effect is running or waiting. */
  get busy(): boolean {
    return this.draining
  }

  /** Folds `event` (and any it causes while folding) and schedules the effects, in order. */
  dispatch(event: E): void {
    if (this.closed) return
    this.events.push(event)
    if (this.folding) return
    this.folding = true
    try {
      for (let e = this.events.shift(); e !== undefined; e = this.events.shift()) {
        const step = this.opts.reduce(this.current, e)
        this.current = step.state
        const next: E[] = []
        for (const f of step.effects) {
          if (this.opts.immediate?.(f)) next.push(...this.performNow(f))
          else this.enqueue(f)
        }
        this.events.unshift(...next)
      }
    } finally {
      this.folding = false
    }
    this.opts.folded?.(this.current)
    if (!this.draining && this.queue.length > 0) {
      this.draining = true
      this.running = this.drain()
    }
  }

  /** Resolves once no effect runs or waits. */
  async idle(): Promise<void> {
    while (this.draining) await this.running
  }

  /** Takes no more events; waits for the effect that runs, drops those that wait. */
  async close(): Promise<void> {
    this.closed = true
    this.queue.length = 0
    await this.idle()
  }

  private performNow(f: F): readonly E[] {
    let out: E | readonly E[] | undefined
    try {
      out = this.opts.performNow?.(f)
    } catch (error) {
      out = this.opts.failed(f, error)
    }
    return out === undefined ? [] : Array.isArray(out) ? (out as readonly E[]) : [out as E]
  }

  private enqueue(f: F): void {
    const k = this.opts.key?.(f)
    const same = k === undefined ? -1 : this.queue.findIndex((q) => this.opts.key?.(q) === k)
    if (same >= 0) this.queue[same] = f
    else this.queue.push(f)
  }

  private async drain(): Promise<void> {
    try {
      for (let f = this.queue.shift(); f !== undefined && !this.closed; f = this.queue.shift()) {
        let out: E | readonly E[] | undefined
        this.runningEffect = f
        try {
          out = await this.opts.perform(f)
        } catch (error) {
          out = this.opts.failed(f, error)
        } finally {
          this.runningEffect = undefined
        }
        for (const e of out === undefined ? [] : Array.isArray(out) ? (out as readonly E[]) : [out as E]) this.dispatch(e)
      }
    } finally {
      this.draining = false
    }
  }
}
