// The IM and Presence Sync Agent: takes the end users enabled for IM and Presence, and their
// node assignment, from the Unified CM publisher's configuration database (ADM-10) into this
// node's user table (./presence-users.ts). It polls the database revision, cheap, and reads
// the users only when the revision moved. Without a Unified CM publisher among the peers (a
// group run on its own, in tests) it has nothing to sync and the table keeps its own users.
import type {FastifyInstance} from 'fastify'
import {labDirectory, type Directory} from '../domain/presence-viewer.js'
import type {AgentContext} from './module.js'
import type {UserTable} from './presence-users.js'
import {findCucmPublisher} from './publisher.js'
import {serve} from './route.js'

/** How often the revision is asked (the product syncs on change notifications; this is the lab's stand-in). */
export const SYNC_INTERVAL_MS = 500

export class SyncAgent {
  private timer: NodeJS.Timeout | null = null
  private publisher: string | null = null
  /** Every peer answered and none is a Unified CM publisher: nothing to sync from. */
  private none = false
  private stopped = false
  lastError: string | null = null

  constructor(
    private readonly ctx: AgentContext,
    private readonly table: UserTable,
    private readonly onSynced: () => void,
  ) {}

  start(): void {
    const tick = async () => {
      if (this.stopped) return
      await this.syncOnce().catch((error: Error) => {
        this.lastError = error.message
      })
      if (!this.stopped && !this.none) this.timer = setTimeout(tick, SYNC_INTERVAL_MS).unref()
    }
    this.timer = setTimeout(tick, 0).unref()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
  }

  /** One sync: true when the table now holds the database's newest users. */
  async syncOnce(): Promise<boolean> {
    if (!this.publisher) {
      const found = await findCucmPublisher(this.ctx)
      this.publisher = found.name
      this.none = !found.name && found.asked
      if (!this.publisher) return false
    }
    const client = this.ctx.peer(this.publisher, {timeoutMs: 5000})
    const {revision} = await client.get<{revision: number}>('/v1/config/revision')
    if (revision === this.table.revision) return true
    const r = await client.get<{revision: number; users: Array<{id: string; node: string}>}>('/v1/config/presence-users', {
      nodes: this.table.nodes.join(','),
    })
    const done = this.table.sync(r.revision, r.users)
    if (done) this.onSynced()
    this.lastError = null
    return done
  }
}

/** The lab's contact lists over the table's users (synced or generated). */
export function directoryOf(table: UserTable): Directory {
  return labDirectory(
    table.size,
    (i) => table.idAt(i),
    (id) => table.indexOf(id),
  )
}

/** Users over the configured maximum of contacts or watchers (for `user check`). */
export function syncAgentRoutes(app: FastifyInstance, table: UserTable, limits: () => {maxContacts: number; maxWatchers: number}): void {
  serve(app, 'GET /v1/presence/over-limits', async () => {
    const directory = directoryOf(table)
    const l = limits()
    const users: Array<{id: string; contacts: number; watchers: number}> = []
    for (let i = 0; i < table.size; i++) {
      const id = table.idAt(i)
      const e = directory.entry(id)
      if (!e) continue
      // Counted as the viewer counts them: each contact or watcher once, whatever its groups.
      const contacts = new Set([...e.contactGroups.flatMap((g) => g.contacts), ...e.ungrouped]).size
      const watchers = new Set(directory.watchersOf(id).map((w) => w.watcher)).size
      if (contacts > l.maxContacts || watchers > l.maxWatchers) users.push({id, contacts, watchers})
    }
    return {limits: l, users}
  })
}
