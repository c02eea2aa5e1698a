// The node's event history: every state change with a timestamp, kept durably and streamed.
import {join} from 'node:path'
import {JsonLinesLog} from '../durable.js'

export interface AgentEvent {
  seq: number
  time: string
  node: string
  type: string
  message: string
  service?: string
  data?: Record<string, unknown>
}

export type EventInput = Omit<AgentEvent, 'seq' | 'time' | 'node'>

const HISTORY_LIMIT = 10_000

export class EventLog {
  private readonly history: AgentEvent[]
  private readonly log: JsonLinesLog
  private readonly listeners = new Set<(e: AgentEvent) => void>()
  private seq: number

  constructor(
    stateDir: string,
    private readonly node: string,
    private readonly now: () => number = Date.now,
  ) {
    const path = join(stateDir, 'events.jsonl')
    this.history = JsonLinesLog.read<AgentEvent>(path).slice(-HISTORY_LIMIT)
    this.seq = this.history.at(-1)?.seq ?? 0
    this.log = new JsonLinesLog(path)
  }

  emit(input: EventInput): AgentEvent {
    const event: AgentEvent = {seq: ++this.seq, time: new Date(this.now()).toISOString(), node: this.node, ...input}
    this.log.append(event)
    this.history.push(event)
    if (this.history.length > HISTORY_LIMIT) this.history.shift()
    for (const l of this.listeners) l(event)
    return event
  }

  /** The sequence number of the last event (0: none yet). */
  lastSeq(): number {
    return this.seq
  }

  /** Events after `afterSeq`, or at/after the ISO time `since`. */
  list(filter: {afterSeq?: number; since?: string; limit?: number} = {}): AgentEvent[] {
    let out = this.history
    if (filter.afterSeq !== undefined) out = out.filter((e) => e.seq > filter.afterSeq!)
    if (filter.since !== undefined) out = out.filter((e) => e.time >= filter.since!)
    return filter.limit === undefined ? out.slice() : out.slice(-filter.limit)
  }

  subscribe(listener: (e: AgentEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  close(): void {
    this.listeners.clear()
    this.log.close()
  }
}
