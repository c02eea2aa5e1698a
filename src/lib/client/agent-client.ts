// The one typed client for node agents (undici). Maps transport failures to UnreachableError
// and agent error answers back to the typed errors of ../errors.ts.
import {setTimeout as sleep} from 'node:timers/promises'
import type {Dispatcher} from 'undici'
import type {Answer, Args, Preview, PreviewRoute, Route, StreamEvent} from '../api/index.js'
import {type Method, methodOf, pathOf} from '../api/contract.js'
import {errorFromWire, InternalError, UnreachableError, type WireError} from '../errors.js'
import {type SseFrame, sseParser} from './sse.js'

export interface NodeRef {
  name: string
  url: string
}

export interface ClientOptions {
  /** Per-request timeout (connect + answer), ms. */
  timeoutMs?: number
  /** Extra headers on every request (e.g. the sending peer's name). */
  headers?: Record<string, string>
  /** Called before every request; throws to refuse sending (a lab network fault). */
  gate?: () => void
  /** Bearer token; default: the process's credentials (AgentClient.credentials). */
  token?: string
  /** PEM of the CA that signed the agents' certificates (https URLs). */
  ca?: string
  /** Connections per agent (default 8): a fleet of event streams (the softphone simulator) holds one each. */
  connections?: number
}

const DEFAULT_TIMEOUT_MS = 10_000
const CONNECTIONS = 8
/**
 * Unique per action, not secret: Math.random is enough and spares loading node:crypto (a few ms
 * of every CLI start).
 */
function idempotencyKey(): string {
  const part = () =>
    Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')
  return `${Date.now().toString(16)}-${part()}${part()}${part()}`
}

/** Connection lost mid-request: safe to send again (reads, or actions with their key). */
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
const RETRIES = 3

/** Connection pools by trusted CA ('' = the system's CAs) and size. */
const pools = new Map<string, Dispatcher>()

/** Certificate problems: a clear reason, never a silent bypass (exit 7 like any unreachable node). */
export const TLS_ERRORS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is not signed by a trusted CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in an untrusted self-signed CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed and not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate does not name this host',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not yet valid',
}

/**
 * The connection pool for `ca`, undici loaded on first use through its public entry (a CLI run
 * that sends nothing never loads it; the CLI's bundle, scripts/bundle.js, makes it cheap).
 */
async function pool(ca = '', connections = CONNECTIONS): Promise<Dispatcher> {
  const key = `${connections} ${ca}`
  let agent = pools.get(key)
  if (!agent) {
    // module.exports of the CommonJS package: the same in Node and in the CLI's bundle.
    const {
      default: {Agent},
    } = await import('undici')
    // Another caller may have made it while we waited for the import.
    agent = pools.get(key) ?? new Agent({connections, keepAliveTimeout: 4000, connect: {timeout: 5000, ...(ca ? {ca} : {})}})
    pools.set(key, agent)
  }
  return agent
}

/** Closes the connection pools so the CLI process can exit at once. */
export async function closeClients(): Promise<void> {
  const all = [...pools.values()]
  pools.clear()
  await Promise.all(all.map((d) => d.destroy()))
}

function unreachable(node: NodeRef, error: unknown): UnreachableError {
  const code = (error as {code?: string}).code ?? (error as Error).message
  const tls = TLS_ERRORS[code]
  if (tls) {
    return new UnreachableError(`node ${node.name} (${node.url}) was not trusted: ${tls} (${code})`, {
      hint: "give the context the CA that signed the agents' certificates: ucctl context add NAME --agent URL --ca FILE",
      details: {node: node.name, url: node.url, cause: code},
    })
  }
  return new UnreachableError(`node ${node.name} (${node.url}) did not answer: ${code}`, {
    hint: "is its agent running? (ucctl lab status, or the node's ucctl-agent service)",
    details: {node: node.name, url: node.url, cause: code},
  })
}

/** What every route's request is, untyped (the contract's types say which parts a route has). */
interface CallRequest {
  params?: Record<string, unknown>
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  timeoutMs?: number
}

export interface AgentResponse<T> {
  status: number
  body: T
}

export class AgentClient {
  /** The credentials of this process (set once by the CLI when it resolves its target). */
  static credentials: {token?: string; ca?: string} = {}

  constructor(
    readonly node: NodeRef,
    private readonly opts: ClientOptions = {},
  ) {}

  /**
   * Calls a route of the contract (src/lib/api): the request and the answer are the route's
   * declared types, e.g. `client.call('GET /v1/services/:name', {params: {name}})`.
   */
  async call<K extends Route>(route: K, ...args: Args<K>): Promise<Answer<K>> {
    return (await this.routed<Answer<K>>(route, args[0] as CallRequest | undefined)).body
  }

  /** Like call, with the answer's HTTP status (200 done at once, 202 accepted). */
  exchange<K extends Route>(route: K, ...args: Args<K>): Promise<AgentResponse<Answer<K>>> {
    return this.routed<Answer<K>>(route, args[0] as CallRequest | undefined)
  }

  /** What an action would do, changing nothing: the agent's preview of it (the one dry-run path). */
  async preview<K extends PreviewRoute>(route: K, ...args: Args<K>): Promise<Preview<K>> {
    return (await this.routed<Preview<K>>(route, args[0] as CallRequest | undefined, {dryRun: true})).body
  }

  /** A route's request, sent: its answer is typed by the caller from the contract (Answer, Preview). */
  private routed<T>(route: string, r: CallRequest = {}, extraQuery: CallRequest['query'] = {}): Promise<AgentResponse<T>> {
    return this.send<T>(methodOf(route), pathOf(route, r.params), r.body, {...r.query, ...extraQuery}, r.timeoutMs)
  }

  /** Follows a route's event stream (see stream) with the route's declared event type. */
  follow<K extends Route>(
    route: K,
    request: Args<K>[0],
    onEvent: (data: StreamEvent<K>, frame: SseFrame) => void,
    signal?: AbortSignal,
    resume?: {lastEventId?: string; onId: (id: string) => void},
  ): Promise<void> {
    const r = (request ?? {}) as CallRequest
    return this.stream(pathOf(route, r.params), r.query ?? {}, onEvent as (data: unknown, frame: SseFrame) => void, signal, resume)
  }

  /**
   * A request outside the contract, its answer unchecked (`unknown`): for what the contract must
   * refuse (a malformed request in a test). Everything else goes through call.
   */
  raw(method: Method, path: string, request: Omit<CallRequest, 'params'> = {}): Promise<AgentResponse<unknown>> {
    return this.send<unknown>(method, path, request.body, request.query, request.timeoutMs)
  }

  private async send<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | undefined>,
    timeoutMs: number | undefined = undefined,
  ): Promise<AgentResponse<T>> {
    timeoutMs ??= this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const url = new URL(path, this.node.url)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    this.opts.gate?.()
    const agent = await pool(this.opts.ca ?? AgentClient.credentials.ca, this.opts.connections)
    const headers: Record<string, string> = {accept: 'application/json', ...this.authHeader(), ...this.opts.headers}
    if (body !== undefined) headers['content-type'] = 'application/json'
    // An action carries an idempotency key, so a retry after a dropped connection (the agent may
    // have acted and its answer been lost) does not act twice.
    if (method !== 'GET') headers['idempotency-key'] = idempotencyKey()
    let res: Dispatcher.ResponseData
    for (let attempt = 1; ; attempt++) {
      try {
        res = await agent.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
        break
      } catch (error) {
        const code = (error as {code?: string}).code ?? ''
        if (attempt < RETRIES && RETRYABLE.has(code)) {
          await sleep(100 * attempt)
          continue
        }
        throw unreachable(this.node, error)
      }
    }
    const text = await res.body.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      throw new InternalError(`node ${this.node.name} answered ${res.statusCode} with a body that is not JSON`)
    }
    if (res.statusCode >= 400) {
      throw errorFromWire(res.statusCode, (parsed as {error?: WireError} | undefined)?.error)
    }
    return {status: res.statusCode, body: parsed as T}
  }

  private authHeader(): Record<string, string> {
    const token = this.opts.token ?? AgentClient.credentials.token
    return token ? {authorization: `Bearer ${token}`} : {}
  }

  /**
   * Server-Sent Events from `path`; resolves when the stream ends or `signal` aborts. With
   * `resume.lastEventId` the agent sends every event after it (a resumed stream); `resume.onId`
   * gets the ids of frames that carry no event (where the stream starts).
   */
  async stream(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (data: unknown, frame: SseFrame) => void,
    signal?: AbortSignal,
    resume?: {lastEventId?: string; onId: (id: string) => void},
  ): Promise<void> {
    const url = new URL(path, this.node.url)
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v))
    this.opts.gate?.()
    const agent = await pool(this.opts.ca ?? AgentClient.credentials.ca, this.opts.connections)
    let res: Dispatcher.ResponseData
    try {
      const headers = {
        accept: 'text/event-stream',
        ...this.authHeader(),
        ...this.opts.headers,
        ...(resume?.lastEventId === undefined ? {} : {'last-event-id': resume.lastEventId}),
      }
      res = await agent.request({origin: url.origin, path: url.pathname + url.search, method: 'GET', headers, signal, bodyTimeout: 0})
    } catch (error) {
      if (signal?.aborted) return
      throw unreachable(this.node, error)
    }
    if (res.statusCode >= 400) {
      const text = await res.body.text()
      throw errorFromWire(res.statusCode, (JSON.parse(text || '{}') as {error?: WireError}).error)
    }
    const feed = sseParser(onEvent, resume?.onId)
    try {
      for await (const chunk of res.body) feed(chunk as Buffer)
    } catch (error) {
      if (!signal?.aborted) throw unreachable(this.node, error)
    }
  }
}

/**
 * Runs `fn` for every node, at most `concurrency` at a time, and keeps each node's outcome:
 * one node's failure never hides the others' answers.
 */
export async function fanOut<T>(
  nodes: NodeRef[],
  fn: (node: NodeRef) => Promise<T>,
  concurrency = 16,
): Promise<Array<{node: NodeRef; ok: true; value: T} | {node: NodeRef; ok: false; error: unknown}>> {
  const out: Array<{node: NodeRef; ok: true; value: T} | {node: NodeRef; ok: false; error: unknown}> = new Array(nodes.length)
  let next = 0
  const worker = async () => {
    while (next < nodes.length) {
      const i = next++
      try {
        out[i] = {node: nodes[i], ok: true, value: await fn(nodes[i])}
      } catch (error) {
        out[i] = {node: nodes[i], ok: false, error}
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(concurrency, nodes.length)}, worker))
  return out
}
