// The user assignment of a presence redundancy group, as each IM and Presence node holds it
// (PRG-2, PRG-10): for every user, the node it is assigned to (home: where fallback and
// recovery put it) and the node it is signed in to now. Each node keeps a whole replica,
// written durably (atomic rename) on every change, so on disk every user is on exactly one
// node at every instant; replicas converge by stamp (the newer whole table wins).
//
// A move is journaled before the first user moves: an agent killed mid-move comes back with
// the journal, reports the move as failed (PRG-7 rows 19, 20) and the users stay where the
// last durable batch put them, each on exactly one node.
//
// Which users there are comes from the Unified CM publisher's configuration database (the
// Sync Agent, ./sync-agent.ts): `sync` takes its list in directory order. Until a first sync
// (or on a node with no Unified CM publisher among its peers) the users are the lab's
// generated ones.
import {randomUUID} from 'node:crypto'
import {setImmediate as yieldLoop} from 'node:timers/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import {JsonStore} from '../durable.js'
import {balancedAssignment} from '../domain/presence-capacity.js'
import {UsageError} from '../errors.js'

/** The lab's user ids: user00001@example.com ... (PRG-10: at most 15,000 per group). */
export const userId = (index: number): string => `user${String(index + 1).padStart(5, '0')}@example.com`

/** The replicated part: node index per user, as strings of digits ('0'/'1'), compact on the wire. */
export interface UserTableData {
  readonly stamp: number
  readonly home: string
  readonly at: string
  /** The configuration database revision the users come from (a replica of another list is not adopted). */
  readonly revision?: number
}

export interface MoveJournal {
  readonly id: string
  readonly from: string
  readonly to: string
  readonly reason: string
  /** The users chosen when the move started, and how many of them have moved (durably). */
  readonly users: readonly number[]
  done: number
  readonly startedAt: string
}

interface Persisted {
  stamp: number
  home: string
  at: string
  nodes: [string, string]
  journal: MoveJournal | null
  /** Synced users (null: the lab's generated ids), their node in the database when last synced, and its revision. */
  ids?: string[] | null
  synced?: string
  revision?: number
}

export interface MovePlan {
  readonly from: string
  readonly to: string
  /** 'home': only users assigned to `to` (fallback, recovery); 'all': every user on `from` (takeover). */
  readonly select: 'home' | 'all'
  readonly reason: string
}

export interface MoveResult {
  readonly moved: number
  readonly total: number
}

export class UserTable {
  private readonly store: JsonStore<Persisted>
  private byId: Map<string, number> | null = null

  constructor(
    dir: string,
    readonly nodes: readonly [string, string],
    total: number,
  ) {
    const initial = balancedAssignment(total, nodes)
    const home = '0'.repeat(initial[0].users) + '1'.repeat(initial[1].users)
    this.store = new JsonStore<Persisted>(dir, 'users.json', {stamp: 0, nodes: [...nodes], home, at: home, journal: null})
    const d = this.store.data
    if (d.nodes[0] !== nodes[0] || d.nodes[1] !== nodes[1] || d.home.length !== d.at.length)
      throw new UsageError(`the user table in ${this.store.path} belongs to group nodes ${d.nodes.join(', ')}, not ${nodes.join(', ')}`)
  }

  get stamp(): number {
    return this.store.data.stamp
  }

  get size(): number {
    return this.store.data.at.length
  }

  get journal(): MoveJournal | null {
    return this.store.data.journal
  }

  data(): UserTableData {
    const {stamp, home, at, revision} = this.store.data
    return {stamp, home, at, ...(revision !== undefined ? {revision} : {})}
  }

  /** The configuration database revision last synced (undefined: never synced). */
  get revision(): number | undefined {
    return this.store.data.revision
  }

  /** The id of the user at position i. */
  idAt(i: number): string {
    return this.store.data.ids?.[i] ?? userId(i)
  }

  /** The position of a user (undefined: not in this group). */
  indexOf(id: string): number | undefined {
    const ids = this.store.data.ids
    if (!ids) {
      const m = /^user(\d{5})@example\.com$/.exec(id)
      const i = m ? Number(m[1]) - 1 : -1
      return i >= 0 && i < this.size ? i : undefined
    }
    this.byId ??= new Map(ids.map((x, i) => [x.toLowerCase(), i]))
    return this.byId.get(id.toLowerCase())
  }

  /**
   * The Sync Agent's list (users enabled for IM and Presence on this group's nodes, in directory
   * order) becomes the table: new users go to their assigned node; a user whose assignment the
   * administrator changed moves there (unless failed over); others keep where they are. Never
   * in the middle of a move (false: try again later).
   */
  sync(revision: number, users: ReadonlyArray<{id: string; node: string}>): boolean {
    const d = this.store.data
    if (d.journal) return false
    // A node whose users all sit on its peer is failed over: a user assigned to it signs in there too.
    const failedOver = (['0', '1'] as const).map((c) => {
      let assigned = 0
      let onIt = 0
      for (let i = 0; i < d.home.length; i++)
        if (d.home[i] === c) {
          assigned++
          if (d.at[i] === c) onIt++
        }
      return assigned > 0 && onIt === 0
    })
    const signInTo = (code: '0' | '1') => (failedOver[Number(code)] ? (code === '0' ? '1' : '0') : code)
    const home: string[] = []
    const at: string[] = []
    const synced: string[] = []
    for (const u of users) {
      const code = this.index(u.node)
      const j = this.indexOf(u.id)
      if (j === undefined) {
        home.push(code)
        at.push(signInTo(code))
      } else {
        const before = d.synced?.[j] ?? d.home[j]
        const moved = before !== code
        home.push(moved ? code : d.home[j])
        at.push(moved && d.at[j] === d.home[j] ? signInTo(code) : d.at[j])
      }
      synced.push(code)
    }
    Object.assign(d, {ids: users.map((u) => u.id), home: home.join(''), at: at.join(''), synced: synced.join(''), revision})
    this.byId = null
    this.store.save()
    return true
  }

  private index(node: string): '0' | '1' {
    const i = this.nodes.indexOf(node)
    if (i < 0) throw new UsageError(`${node} is not a node of this group (${this.nodes.join(', ')})`)
    return i === 0 ? '0' : '1'
  }

  /** Users signed in to / assigned to each node. */
  counts(): {name: string; users: number; assignedUsers: number}[] {
    const {home, at} = this.store.data
    const count = (s: string, c: string) => {
      let n = 0
      for (let i = 0; i < s.length; i++) if (s[i] === c) n++
      return n
    }
    return this.nodes.map((name, i) => ({name, users: count(at, String(i)), assignedUsers: count(home, String(i))}))
  }

  /** Where one user is: the node signed in to now and the node assigned (undefined: no such user). */
  placeOf(id: string): {signedInTo: string; assigned: string} | undefined {
    const i = this.indexOf(id)
    if (i === undefined) return undefined
    const {home, at} = this.store.data
    return {signedInTo: this.nodes[Number(at[i])], assigned: this.nodes[Number(home[i])]}
  }

  /** The users on `node` now, with their assigned node. */
  usersOn(node: string): {id: string; node: string; assignedNode: string}[] {
    const c = this.index(node)
    const {home, at} = this.store.data
    const out: {id: string; node: string; assignedNode: string}[] = []
    for (let i = 0; i < at.length; i++) if (at[i] === c) out.push({id: this.idAt(i), node, assignedNode: this.nodes[Number(home[i])]})
    return out
  }

  /** Adopts a peer's replica when it is newer (never in the middle of our own move). */
  adopt(remote: UserTableData): boolean {
    const d = this.store.data
    if (d.journal || remote.stamp <= d.stamp || remote.at.length !== d.at.length || remote.home.length !== d.home.length) return false
    if ((remote.revision ?? 0) !== (d.revision ?? 0)) return false
    Object.assign(d, {stamp: remote.stamp, home: remote.home, at: remote.at})
    this.store.save()
    return true
  }

  /** Users that a move with this plan would take now. */
  select(plan: MovePlan): number[] {
    const from = this.index(plan.from)
    const to = this.index(plan.to)
    const {home, at} = this.store.data
    const out: number[] = []
    for (let i = 0; i < at.length; i++) if (at[i] === from && (plan.select === 'all' || home[i] === to)) out.push(i)
    return out
  }

  /**
   * Moves users in durable batches. The journal is written before the first user moves and
   * removed after the last; `afterBatch` runs once each batch is on disk (replication).
   */
  async move(
    plan: MovePlan,
    opts: {
      stamp: () => number
      batchSize: number
      pauseMs: number
      stopping: () => boolean
      onProgress: (moved: number, total: number) => void
      afterBatch: () => void
    },
  ): Promise<MoveResult> {
    const d = this.store.data
    if (d.journal) throw new UsageError(`a move is already journaled (${d.journal.id})`)
    const users = this.select(plan)
    if (users.length === 0) return {moved: 0, total: 0}
    const to = this.index(plan.to)
    d.journal = {id: randomUUID(), from: plan.from, to: plan.to, reason: plan.reason, users, done: 0, startedAt: new Date().toISOString()}
    d.stamp = opts.stamp()
    this.store.save()
    const at = d.at.split('')
    while (d.journal.done < users.length) {
      // An agent shutting down leaves the journal as a crash would: the next start ends the move.
      if (opts.stopping()) throw new Error('the agent is stopping')
      const end = Math.min(users.length, d.journal.done + opts.batchSize)
      const before = {at: d.at, done: d.journal.done, stamp: d.stamp}
      for (let k = d.journal.done; k < end; k++) at[users[k]] = to
      d.at = at.join('')
      d.journal.done = end
      d.stamp = opts.stamp()
      try {
        this.store.save()
      } catch (error) {
        // Not durable, so not moved: memory goes back to what the disk says.
        Object.assign(d, {at: before.at, stamp: before.stamp})
        d.journal.done = before.done
        throw error
      }
      opts.onProgress(end, users.length)
      opts.afterBatch()
      if (opts.pauseMs > 0) await sleep(opts.pauseMs)
      else await yieldLoop()
    }
    d.journal = null
    this.store.save()
    return {moved: users.length, total: users.length}
  }

  /** Ends an interrupted move: users stay where the last durable batch put them. */
  abandonJournal(): MoveJournal | null {
    const j = this.store.data.journal
    if (!j) return null
    this.store.data.journal = null
    try {
      this.store.save()
    } catch {
      // Still on disk: the next start ends it again.
    }
    return j
  }

  /** PRG-9: with HA disabled, users of a failed node stay where they are: assigned there now. */
  assignWhereTheyAre(stamp: number): void {
    const d = this.store.data
    if (d.home === d.at) return
    d.home = d.at
    d.stamp = stamp
    this.store.save()
  }

  /** PRG-10: re-assigns `count` users of `from` to `to` (the users then move home). */
  reassign(from: string, to: string, count: number, stamp: number): number {
    const f = this.index(from)
    const t = this.index(to)
    const d = this.store.data
    const home = d.home.split('')
    let n = 0
    // From the end, so the lower ids keep their node.
    for (let i = home.length - 1; i >= 0 && n < count; i--)
      if (home[i] === f) {
        home[i] = t
        n++
      }
    d.home = home.join('')
    d.stamp = stamp
    this.store.save()
    return n
  }
}
