// Simulated CTI OS softphones (issue 6): a traffic simulator beside the lab's load generator.
// Each softphone is its own long-lived connection to the CTI OS agent (its event stream, as a
// desktop's is); it records what it receives, sends agent state requests, and reconnects on its
// own when its connection is lost (CTI-3). Used by `ucctl ctios clients open`, the tests and
// bench/ctios.ts. Through the one client (AgentClient.follow and call), with a pool that holds
// one connection per softphone.
import {AgentClient} from '../client/agent-client.js'
import type {AgentStatus, CtiRule} from '../domain/cti-failover.js'
import type {AgentView, SoftphoneEvent} from '../domain/cti-softphones.js'
import {ConflictError, InternalError, UnreachableError} from '../errors.js'

export interface SoftphoneEndpoint {
  /** The CTI OS node's name (default: its URL's host). */
  name?: string
  /** The CTI OS agent's base URL. */
  url: string
  token?: string
  /** PEM of the CA that signed the agent's certificate (https). */
  ca?: string
}

export interface Received {
  /** performance.now() when it arrived. */
  at: number
  softphone: string
  event: SoftphoneEvent
}

export type SoftphoneStatus = 'connecting' | 'connected' | 'Offline' | 'reconnecting' | 'closed'

export interface SoftphoneOptions {
  onEvent?: (r: Received) => void
  /** First delay before reconnecting; doubles while reconnections fail, up to the maximum. */
  reconnectDelayMs?: number
  maxReconnectDelayMs?: number
  /** Up to this much more, at random, so that a fleet does not reconnect all at once. */
  reconnectJitterMs?: number
  /**
   * CTI-6: a desktop buffers actions clicked during a failover and applies them when it
   * completes. On (the desktop's behaviour) unless a test wants each request's own answer.
   */
  bufferDuringFailover?: boolean
}

const FAILOVER_RULES: ReadonlySet<CtiRule | undefined> = new Set(['CTI-1', 'CTI-2', 'CTI-3'])

export class Softphone {
  status: SoftphoneStatus = 'connecting'
  /** Connections the agent accepted, and those lost without our asking. */
  connections = 0
  drops = 0
  readonly received: Received[] = []
  agent: AgentView | undefined
  server: string | undefined
  /** Why it shows Offline (the last Offline event's rule), while it does. */
  offlineRule: CtiRule | undefined
  /** A refusal that ends reconnecting (401, 404...). */
  error: Error | undefined
  private stream: AbortController | undefined
  private closed = false
  private failures = 0
  private timer: NodeJS.Timeout | undefined
  private readonly buffered: Array<{state: AgentStatus; resolve: (v: AgentView) => void; reject: (e: unknown) => void}> = []

  constructor(
    private readonly client: AgentClient,
    readonly id: string,
    private readonly opts: SoftphoneOptions = {},
  ) {}

  /** Between losing its CTI OS server (or an Offline of CTI-1/2/3) and the failover's end. */
  inFailover(): boolean {
    return this.status === 'reconnecting' || (this.status === 'Offline' && FAILOVER_RULES.has(this.offlineRule))
  }

  count(type: SoftphoneEvent['type'], since = 0): number {
    return this.received.filter((r) => r.event.type === type && r.at >= since).length
  }

  connect(): void {
    if (this.closed) return
    const stream = new AbortController()
    this.stream = stream
    let heard = false
    this.client
      .follow(
        'GET /v1/ctios/softphones/:id/events',
        {params: {id: this.id}},
        (event) => {
          // The agent says where the softphone stands as soon as it takes the connection.
          if (!heard) {
            heard = true
            this.connections++
            this.failures = 0
          }
          this.onEvent(event)
        },
        stream.signal,
      )
      .then(
        () => {
          if (this.stream === stream) this.lost()
        },
        (error: unknown) => {
          if (this.stream !== stream) return
          // A server gone (or shutting down: 503) comes back; 409 comes while the agent has not yet
          // seen our previous connection close: come back later. Anything else will not change.
          const again =
            error instanceof UnreachableError || error instanceof InternalError || (error instanceof ConflictError && this.failures < 5)
          if (again) this.lost()
          else {
            this.error = error as Error
            this.status = 'closed'
          }
        },
      )
  }

  /** The connection is gone: reconnect on our own, sooner first, then backing off. */
  private lost(): void {
    this.stream = undefined
    if (this.closed) return
    this.drops++
    this.status = 'reconnecting'
    this.server = undefined
    const base = this.opts.reconnectDelayMs ?? 50
    const delay = Math.min(base * 2 ** this.failures, this.opts.maxReconnectDelayMs ?? 2000)
    this.failures++
    // Spread out, as real desktops are: a thousand reconnecting in the same millisecond would
    // overflow the server's listen backlog (dropped SYNs come back only after a 1 s retransmit).
    this.timer = setTimeout(() => this.connect(), delay + Math.random() * (this.opts.reconnectJitterMs ?? 200))
  }

  private onEvent(event: SoftphoneEvent): void {
    const r: Received = {at: performance.now(), softphone: this.id, event}
    this.received.push(r)
    switch (event.type) {
      case 'Connected':
        this.status = 'connected'
        this.offlineRule = undefined
        this.server = event.server
        this.agent = event.agent
        break
      case 'Offline':
        this.status = 'Offline'
        this.offlineRule = event.rule
        this.agent = event.agent
        break
      case 'Snapshot':
        this.status = 'connected'
        this.offlineRule = undefined
        this.server = event.server
        this.agent = event.agent
        break
      case 'AgentState':
        // Served: the IP phone or switch that made it Offline is back and the agent logged in.
        if (this.status === 'Offline' && (this.offlineRule === 'CTI-4' || this.offlineRule === 'CTI-5')) {
          this.status = 'connected'
          this.offlineRule = undefined
        }
        this.agent = event.agent
        break
    }
    this.opts.onEvent?.(r)
    if (!this.inFailover() && this.buffered.length > 0) setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    while (this.buffered.length > 0 && !this.inFailover() && !this.closed) {
      const b = this.buffered.shift()!
      await this.send(b.state).then(b.resolve, b.reject)
    }
  }

  private async send(state: AgentStatus): Promise<AgentView> {
    const {softphone: s} = await this.client.call('POST /v1/ctios/softphones/:id/state', {params: {id: this.id}, body: {state}})
    return {id: this.id, state: s.agentState, phone: s.phone, switch: s.switch}
  }

  /** An agent state request (log in: Available or Not Ready; Logged Out logs out). */
  setState(state: AgentStatus, opts: {buffer?: boolean} = {}): Promise<AgentView> {
    if ((opts.buffer ?? this.opts.bufferDuringFailover ?? true) && this.inFailover()) {
      return new Promise((resolve, reject) => this.buffered.push({state, resolve, reject}))
    }
    return this.send(state)
  }

  /** Ends the connection for good (the desktop closes). */
  close(): void {
    this.closed = true
    this.status = 'closed'
    if (this.timer) clearTimeout(this.timer)
    const stream = this.stream
    this.stream = undefined
    stream?.abort()
    for (const b of this.buffered.splice(0)) b.reject(new Error(`softphone ${this.id} closed`))
  }
}

export class SoftphoneFleet {
  readonly phones: Softphone[]

  constructor(endpoint: SoftphoneEndpoint, ids: readonly string[], opts: SoftphoneOptions = {}) {
    const node = {name: endpoint.name ?? new URL(endpoint.url).host, url: endpoint.url}
    // One connection per softphone's stream (a desktop's), and one per softphone for its requests:
    // a fleet logging in at once must not queue behind a handful of connections.
    const client = new AgentClient(node, {token: endpoint.token, ca: endpoint.ca, connections: 2 * ids.length})
    this.phones = ids.map((id) => new Softphone(client, id, opts))
  }

  get(id: string): Softphone {
    const p = this.phones.find((x) => x.id === id)
    if (!p) throw new Error(`no softphone ${id} in this fleet`)
    return p
  }

  /** Opens every connection; resolves once each has heard from the agent (or was refused). */
  async open(timeoutMs = 30_000): Promise<void> {
    for (const p of this.phones) p.connect()
    const deadline = Date.now() + timeoutMs
    while (this.phones.some((p) => p.received.length === 0 && !p.error)) {
      if (Date.now() > deadline)
        throw new UnreachableError(
          `${this.phones.filter((p) => p.received.length === 0).length} softphone(s) got no answer within ${timeoutMs} ms`,
        )
      await new Promise((r) => setTimeout(r, 10))
    }
    const refused = this.phones.find((p) => p.error)
    if (refused) throw refused.error
  }

  /** Logs every agent in (in parallel, a bounded number at a time). */
  async login(state: AgentStatus = 'Available', concurrency = 32): Promise<void> {
    let next = 0
    const worker = async () => {
      while (next < this.phones.length) await this.phones[next++].setState(state)
    }
    await Promise.all(Array.from({length: Math.min(concurrency, this.phones.length)}, worker))
  }

  close(): void {
    for (const p of this.phones) p.close()
  }
}
