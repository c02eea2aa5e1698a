// Simulated CTI OS softphones (issue 6): each is its own long-lived connection to the CTI OS
// agent (Server-Sent Events), as a desktop's is; it records what it receives, sends agent state
// requests, and reconnects on its own when its connection is lost (CTI-3). Used by
// `ucctl ctios clients open`, the tests and bench/ctios.ts.
// Not AgentClient: its pool holds a few connections per agent, a fleet needs one per softphone.
import {Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {sseParser} from '../client/sse.js'
import {errorFromWire, UnreachableError, type WireError} from '../errors.js'
import type {AgentStatus, AgentView, CtiRule, SoftphoneEvent} from '../domain/cti-failover.js'

export interface SoftphoneEndpoint {
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

/** One HTTP(S) connection pool for a whole fleet, with no limit on connections. */
class Transport {
  private readonly agent: HttpAgent
  private readonly base: URL
  private readonly request: typeof httpRequest

  constructor(readonly endpoint: SoftphoneEndpoint) {
    this.base = new URL(endpoint.url)
    const https = this.base.protocol === 'https:'
    this.agent = https
      ? new HttpsAgent({keepAlive: true, maxSockets: Infinity, ...(endpoint.ca ? {ca: endpoint.ca} : {})})
      : new HttpAgent({keepAlive: true, maxSockets: Infinity})
    this.request = (https ? httpsRequest : httpRequest) as typeof httpRequest
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {...(this.endpoint.token ? {authorization: `Bearer ${this.endpoint.token}`} : {}), ...extra}
  }

  open(path: string, onResponse: (res: IncomingMessage) => void, onError: (e: Error) => void): ClientRequest {
    const req = this.request(
      new URL(path, this.base),
      {method: 'GET', agent: this.agent, headers: this.headers({accept: 'text/event-stream'})},
      onResponse,
    )
    req.on('error', onError)
    req.end()
    return req
  }

  post<T>(path: string, body: unknown): Promise<{status: number; body: T}> {
    const data = JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const req = this.request(
        new URL(path, this.base),
        {method: 'POST', agent: this.agent, headers: this.headers({'content-type': 'application/json', accept: 'application/json'})},
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (text += c))
          res.on('end', () => {
            try {
              resolve({status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as T})
            } catch (error) {
              reject(error)
            }
          })
        },
      )
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new UnreachableError(`${this.base.origin} did not answer: ${e.code ?? e.message}`)),
      )
      req.end(data)
    })
  }

  close(): void {
    this.agent.destroy()
  }
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
  private req: ClientRequest | undefined
  private closed = false
  private failures = 0
  private timer: NodeJS.Timeout | undefined
  private readonly buffered: Array<{state: AgentStatus; resolve: (v: AgentView) => void; reject: (e: unknown) => void}> = []

  constructor(
    private readonly transport: Transport,
    readonly id: string,
    private readonly opts: SoftphoneOptions = {},
  ) {}

  private get path(): string {
    return `/v1/ctios/softphones/${encodeURIComponent(this.id)}`
  }

  /** Between losing its CTI OS server (or an Offline of CTI-1/2/3) and the failover's end. */
  inFailover(): boolean {
    return this.status === 'reconnecting' || (this.status === 'Offline' && FAILOVER_RULES.has(this.offlineRule))
  }

  count(type: SoftphoneEvent['type'], since = 0): number {
    return this.received.filter((r) => r.event.type === type && r.at >= since).length
  }

  connect(): void {
    if (this.closed) return
    const req = this.transport.open(
      `${this.path}/events`,
      (res) => {
        if (res.statusCode !== 200) {
          let text = ''
          res.on('data', (c) => (text += c))
          res.on('end', () => {
            const wire = (JSON.parse(text || '{}') as {error?: WireError}).error
            // An agent shutting down answers 503, and 409 comes while the agent has not yet seen
            // our previous connection close: come back later. Anything else will not change.
            if (res.statusCode === 503 || (res.statusCode === 409 && this.failures < 5)) this.lost()
            else {
              this.error = errorFromWire(res.statusCode ?? 500, wire)
              this.status = 'closed'
            }
          })
          return
        }
        this.connections++
        this.failures = 0
        res.setEncoding('utf8')
        res.on(
          'data',
          sseParser((data) => this.onEvent(data as SoftphoneEvent)),
        )
        // A server that dies mid-stream aborts the response: that is a lost connection too.
        res.on('error', () => {})
        res.on('close', () => {
          if (this.req === req) this.lost()
        })
      },
      () => {
        if (this.req === req) this.lost()
      },
    )
    this.req = req
  }

  /** The connection is gone: reconnect on our own, sooner first, then backing off. */
  private lost(): void {
    this.req = undefined
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
    const {status, body} = await this.transport.post<{
      softphone?: {agentState: AgentStatus; phone: string; switch: string}
      error?: WireError
    }>(`${this.path}/state`, {state})
    if (status >= 400) throw errorFromWire(status, body.error)
    const s = body.softphone!
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
    const req = this.req
    this.req = undefined
    req?.destroy()
    for (const b of this.buffered.splice(0)) b.reject(new Error(`softphone ${this.id} closed`))
  }
}

export class SoftphoneFleet {
  readonly phones: Softphone[]
  private readonly transport: Transport

  constructor(endpoint: SoftphoneEndpoint, ids: readonly string[], opts: SoftphoneOptions = {}) {
    this.transport = new Transport(endpoint)
    this.phones = ids.map((id) => new Softphone(this.transport, id, opts))
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
    this.transport.close()
  }
}
