// The group state as each SRM holds it: a base state and the events applied since, each
// stamped by a hybrid logical clock (wall time, never going back). Both nodes exchange their
// own events with the heartbeats and fold the union in stamp order through the pure machine
// of ../domain/presence-redundancy.ts, so both end with the same state even when both acted at
// once (two SRMs seeing each other's reboot, a partition healing). Written durably.
import {isDeepStrictEqual} from 'node:util'
import {JsonStore} from '../durable.js'
import {applyEvent, type GroupState, type HaEffect, type HaEvent, type HaTimers} from '../domain/presence-redundancy.js'
import {UcctlError} from '../errors.js'

export interface Entry {
  readonly stamp: number
  /** The node whose SRM applied the event. */
  readonly node: string
  readonly event: HaEvent
}

export interface Base {
  readonly group: GroupState
  readonly stamp: number
}

interface Persisted {
  base: Base
  entries: Entry[]
  clock: number
}

/** What a node tells its peer about the group (with every heartbeat). */
export interface ReplicaSync {
  /** This node's own entries the peer has not acknowledged. */
  readonly entries: readonly Entry[]
  /** Sent when the peer may lack what this node folded into its base. */
  readonly base?: Base
  /** Acknowledgement: the newest entry of each node that this node holds. */
  readonly maxFrom: Readonly<Record<string, number>>
}

const order = (a: Entry, b: Entry) => a.stamp - b.stamp || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)
const key = (e: Entry) => `${e.stamp}:${e.node}`
const COMPACT_OVER = 64
const KEEP_AFTER_COMPACT = 16

export interface Applied {
  readonly entry: Entry
  readonly effects: readonly HaEffect[]
}

export class GroupReplica {
  private readonly store: JsonStore<Persisted>
  private current: GroupState
  /** The newest of our entries that the peer said it holds. */
  private ackMine = 0

  constructor(
    dir: string,
    private readonly me: string,
    initial: GroupState,
    private readonly timers: HaTimers,
  ) {
    this.store = new JsonStore<Persisted>(dir, 'group.json', {base: {group: initial, stamp: 0}, entries: [], clock: 0})
    this.current = this.fold().state
  }

  get state(): GroupState {
    return this.current
  }

  /** A stamp newer than every stamp seen (hybrid logical clock). */
  stamp(): number {
    const d = this.store.data
    d.clock = Math.max(Date.now(), d.clock + 1)
    return d.clock
  }

  private observe(stamp: number): void {
    this.store.data.clock = Math.max(this.store.data.clock, stamp)
  }

  /** The newest stamp of the state (for choosing between two nodes' views). */
  get version(): number {
    const d = this.store.data
    return Math.max(d.base.stamp, d.entries.at(-1)?.stamp ?? 0)
  }

  /**
   * Applies an event observed or requested here. Operator actions the state refuses throw
   * (RefusedError, nothing recorded); events that change nothing and do nothing are dropped.
   */
  apply(event: HaEvent): Applied | null {
    const stamp = this.stamp()
    const r = applyEvent(this.current, event, stamp, this.timers)
    if (r.effects.length === 0 && isDeepStrictEqual(r.group, this.current)) return null
    const entry: Entry = {stamp, node: this.me, event}
    this.store.data.entries.push(entry)
    this.current = r.group
    this.compact()
    this.store.save()
    return {entry, effects: r.effects}
  }

  /** What the event would do now, without recording it (dry run, timers). */
  preview(event: HaEvent): {group: GroupState; effects: readonly HaEffect[]} {
    return applyEvent(this.current, event, Date.now(), this.timers)
  }

  /** The peer's entries and acknowledgement merged in; returns the entries new here, with their effects. */
  merge(sync: ReplicaSync, peer: string): Applied[] {
    const d = this.store.data
    // The latest word, not the highest: a peer that lost its state must get everything again.
    this.ackMine = sync.maxFrom[this.me] ?? 0
    let refold = false
    if (sync.base && sync.base.stamp > d.base.stamp) {
      d.base = sync.base
      d.entries = d.entries.filter((e) => e.stamp > sync.base!.stamp)
      refold = true
    }
    const known = new Set(d.entries.map(key))
    const fresh = sync.entries.filter((e) => e.node === peer && e.stamp > d.base.stamp && !known.has(key(e)))
    if (fresh.length === 0 && !refold) return []
    for (const e of fresh) this.observe(e.stamp)
    const last = d.entries.at(-1)
    fresh.sort(order)
    d.entries.push(...fresh)
    const inOrder = !refold && (!last || order(last, fresh[0]) < 0)
    const out: Applied[] = []
    if (inOrder) {
      for (const e of fresh) {
        const r = this.step(this.current, e)
        this.current = r.group
        out.push({entry: e, effects: r.effects})
      }
    } else {
      d.entries.sort(order)
      const freshKeys = new Set(fresh.map(key))
      const f = this.fold((e, effects) => {
        if (freshKeys.has(key(e))) out.push({entry: e, effects})
      })
      this.current = f.state
    }
    this.compact()
    this.store.save()
    return out
  }

  /** The sync message for the peer: our entries it has not acknowledged. */
  syncFor(): ReplicaSync {
    const d = this.store.data
    const ackedByPeer = this.ackMine
    const maxFrom: Record<string, number> = {}
    for (const e of d.entries) maxFrom[e.node] = Math.max(maxFrom[e.node] ?? 0, e.stamp)
    return {
      entries: d.entries.filter((e) => e.node === this.me && e.stamp > ackedByPeer),
      ...(ackedByPeer < d.base.stamp ? {base: d.base} : {}),
      maxFrom,
    }
  }

  private step(state: GroupState, e: Entry): {group: GroupState; effects: readonly HaEffect[]} {
    try {
      return applyEvent(state, e.event, e.stamp, this.timers)
    } catch (error) {
      // An operator action that a concurrent event made impossible: it did not happen.
      if (error instanceof UcctlError) return {group: state, effects: []}
      throw error
    }
  }

  private fold(onEntry?: (e: Entry, effects: readonly HaEffect[]) => void): {state: GroupState} {
    const d = this.store.data
    let state = d.base.group
    for (const e of d.entries) {
      const r = this.step(state, e)
      state = r.group
      onEntry?.(e, r.effects)
    }
    return {state}
  }

  /** Folds old entries into the base once both nodes hold them (the peer acknowledged ours). */
  private compact(): void {
    const d = this.store.data
    if (d.entries.length <= COMPACT_OVER) return
    const upTo = d.entries.length - KEEP_AFTER_COMPACT
    let n = 0
    let state = d.base.group
    let stamp = d.base.stamp
    for (; n < upTo; n++) {
      const e = d.entries[n]
      if (e.node === this.me && e.stamp > this.ackMine) break
      state = this.step(state, e).group
      stamp = e.stamp
    }
    if (n === 0) return
    d.base = {group: state, stamp}
    d.entries = d.entries.slice(n)
  }
}
