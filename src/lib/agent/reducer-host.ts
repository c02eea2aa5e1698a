// How the agent hosts a stateful domain machine (the IM&P Server Recovery Manager, the Unity
// Connection role manager): a pure reducer folds each event into the state and says which effects
// follow; one serial executor runs those effects in order, one at a time (as Patroni's one async
// executor), and what an effect learns comes back as events. Nothing else holds state: no flags
// beside the reducer's state, no effect run outside the executor, except those that take no time
// (performNow: say an event, save the state), done as their event is folded so that they never
// wait behind a long effect; the host's loop (its timers) never waits on the executor either.
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
   * Performs at once an effect that takes no time (say an event, save the state, wake the loop),
   * in order as its event is folded, never behind a long effect; false when it is not one (the
   * executor runs it).
   */
  performNow?(effect: F): boolean
  /** Told after each event folded (with the new state), e.g. to resolve waits on it. */
  changed?(state: S): void
}

export class ReducerHost<S, E, F> {
  private current: S
  private readonly events: E[] = []
  private readonly queue: F[] = []
  private folding = false
  private running: Promise<void> | undefined
  private runningEffect: F | undefined
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

  /** The effect the executor runs now. */
  get performing(): F | undefined {
    return this.runningEffect
  }

  /** Whether an effect is running or waiting. */
  get busy(): boolean {
    return this.running !== undefined
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
        for (const f of step.effects) {
          if (!this.performNow(f)) this.enqueue(f)
        }
        this.opts.changed?.(this.current)
      }
    } finally {
      this.folding = false
    }
    this.kick()
  }

  /** Resolves once no effect runs or waits. */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** Takes no more events; waits for the effect that runs, drops those that wait. */
  async close(): Promise<void> {
    this.closed = true
    this.queue.length = 0
    await this.idle()
  }

  private performNow(f: F): boolean {
    try {
      return this.opts.performNow?.(f) ?? false
    } catch (error) {
      const e = this.opts.failed(f, error)
      if (e !== undefined) this.events.push(e)
      return true
    }
  }

  private enqueue(f: F): void {
    const k = this.opts.key?.(f)
    const same = k === undefined ? -1 : this.queue.findIndex((q) => this.opts.key?.(q) === k)
    if (same >= 0) this.queue[same] = f
    else this.queue.push(f)
  }

  /** Starts the executor when effects wait and it is not running (again if some came as it ended). */
  private kick(): void {
    if (this.running || this.queue.length === 0 || this.closed) return
    this.running = this.drain().finally(() => {
      this.running = undefined
      this.kick()
    })
  }

  private async drain(): Promise<void> {
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
  }
}
