// How the agent hosts a stateful domain machine (the IM&P Server Recovery Manager, the Unity
// Connection role manager): a pure reducer folds each event into the state and says which effects
// follow; one serial executor runs those effects in order, one at a time (as Patroni's one async
// executor), and what an effect learns comes back as events. Nothing else holds state: no flags
// beside the reducer's state, no effect run outside the executor.
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
}

export class ReducerHost<S, E, F> {
  private current: S
  private readonly events: E[] = []
  private readonly queue: F[] = []
  private folding = false
  private running: Promise<void> | undefined
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
        for (const f of step.effects) this.enqueue(f)
      }
    } finally {
      this.folding = false
    }
    this.running ??= this.drain()
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
        try {
          out = await this.opts.perform(f)
        } catch (error) {
          out = this.opts.failed(f, error)
        }
        for (const e of out === undefined ? [] : Array.isArray(out) ? (out as readonly E[]) : [out as E]) this.dispatch(e)
      }
    } finally {
      this.running = undefined
    }
  }
}
