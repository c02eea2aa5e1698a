// The data a Unity Connection server replicates to its peer (UC-2, UC-11): voice messages and
// administrative changes, as an append-only log (JSON lines, fsynced before the sender is
// answered). Every record has an id, so storing is idempotent; what was sent to the peer is
// a durable per-peer cursor into the log, so after any split brain both servers end up
// holding every record exactly once.
import {createHash} from 'node:crypto'
import {join} from 'node:path'
import type {Body} from '../api/index.js'
import type {RecordKind} from '../domain/connection-statuses.js'
import {JsonLinesLog, JsonStore} from '../durable.js'

/** A voice message or an administrative change; `receivedFrom` is set on the copy a peer replicated here. */
export type ClusterRecord = Body<'POST /v1/cluster/replicate'>['records'][number]

export class ReplicatedStore {
  private readonly records: ClusterRecord[]
  private readonly ids = new Set<string>()
  private readonly log: JsonLinesLog
  private readonly cursors: JsonStore<{cursors: Record<string, number>}>

  constructor(dir: string) {
    const path = join(dir, 'records.jsonl')
    this.records = []
    for (const r of JsonLinesLog.read<ClusterRecord>(path)) {
      if (this.ids.has(r.id)) continue
      this.ids.add(r.id)
      this.records.push(r)
    }
    this.log = new JsonLinesLog(path)
    this.cursors = new JsonStore(dir, 'replication.json', {cursors: {}})
  }

  has(id: string): boolean {
    return this.ids.has(id)
  }

  /** Stores a record durably; false if one with that id is already here. */
  add(record: ClusterRecord): boolean {
    if (this.ids.has(record.id)) return false
    this.log.append(record)
    this.ids.add(record.id)
    this.records.push(record)
    return true
  }

  /** Records replicated from `peer`: the new ones are stored, the others counted. */
  receive(records: readonly ClusterRecord[], peer: string): {stored: number; duplicates: number} {
    let stored = 0
    for (const r of records) if (this.add({...r, receivedFrom: peer})) stored++
    return {stored, duplicates: records.length - stored}
  }

  /** The next records `peer` has not acknowledged (never those it sent us), and the cursor after them. */
  batchFor(peer: string, max: number): {records: ClusterRecord[]; next: number} {
    const out: ClusterRecord[] = []
    let i = this.cursors.data.cursors[peer] ?? 0
    for (; i < this.records.length && out.length < max; i++) {
      const r = this.records[i]
      if (r.receivedFrom === peer) continue
      const {receivedFrom: _ignored, ...copy} = r
      out.push(copy)
    }
    return {records: out, next: i}
  }

  ack(peer: string, next: number): void {
    if ((this.cursors.data.cursors[peer] ?? 0) >= next) return
    this.cursors.data.cursors[peer] = next
    this.cursors.save()
  }

  pendingFor(peer: string): number {
    let n = 0
    for (let i = this.cursors.data.cursors[peer] ?? 0; i < this.records.length; i++) if (this.records[i].receivedFrom !== peer) n++
    return n
  }

  count(kind?: RecordKind): number {
    return kind ? this.records.filter((r) => r.kind === kind).length : this.records.length
  }

  idsOf(kind: RecordKind): string[] {
    return this.records.filter((r) => r.kind === kind).map((r) => r.id)
  }

  /** A digest of the set of ids of a kind (equal on both servers when they hold the same). */
  digest(kind: RecordKind): string {
    return createHash('sha256').update(this.idsOf(kind).sort().join('\n')).digest('hex')
  }

  close(): void {
    this.log.close()
  }
}
