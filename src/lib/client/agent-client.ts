// The one typed client for node agents (undici). Maps transport failures to UnreachableError
// and agent error answers back to the typed errors of ../errors.ts.
import {createRequire} from 'node:module'
import {setFlagsFromString} from 'node:v8'
import type {Agent as UndiciAgent, Dispatcher} from 'undici'
import {errorFromWire, InternalError, UnreachableError, type WireError} from '../errors.js'

export interface NodeRef {
  name: string
  url: string
}

export interface ClientOptions {
  /** Per-request timeout (connect + answer), ms. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 10_000

type RequestFn = (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>

let shared: {agent: Dispatcher; request: RequestFn} | undefined

/**
 * undici's index also loads fetch, WebSocket, caches and mocks: about 35 ms of a 90 ms CLI start
 * (bench/). We load only its connection pool and request API; the version is pinned for that.
 */
function undici(): {agent: Dispatcher; request: RequestFn} {
  if (!shared) {
    // undici parses HTTP with WebAssembly; V8's optimising tier compiles it in the background
    // and a process exit waits for that (~50 ms). Answers here are small: the baseline tier is
    // plenty, and a CLI run exits at once.
    setFlagsFromString('--liftoff-only')
    const require = createRequire(import.meta.url)
    const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent
    const request = require('undici/lib/api/api-request.js') as RequestFn
    shared = {agent: new Agent({connections: 8, keepAliveTimeout: 4000, connect: {timeout: 5000}}), request}
  }
  return shared
}

/** Closes the shared connection pool so the CLI process can exit at once. */
export async function closeClients(): Promise<void> {
  const d = shared
  shared = undefined
  await d?.agent.destroy()
}

export interface AgentResponse<T> {
  status: number
  body: T
}

export class AgentClient {
  constructor(
    readonly node: NodeRef,
    private readonly opts: ClientOptions = {},
  ) {}

  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>, timeoutMs?: number): Promise<T> {
    return this.send<T>('GET', path, undefined, query, timeoutMs).then((r) => r.body)
  }

  post<T>(path: string, body?: unknown): Promise<AgentResponse<T>> {
    return this.send<T>('POST', path, body)
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', path, body).then((r) => r.body)
  }

  async send<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | undefined>,
    timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  ): Promise<AgentResponse<T>> {
    const url = new URL(path, this.node.url)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const {agent, request} = undici()
    const headers: Record<string, string> = {accept: 'application/json'}
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Dispatcher.ResponseData
    try {
      res = await request.call(agent, {
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
    } catch (error) {
      const code = (error as {code?: string}).code ?? (error as Error).message
      throw new UnreachableError(`node ${this.node.name} (${this.node.url}) did not answer: ${code}`, {
        hint: 'is its agent running? (ucctl lab status, or the node\'s ucctl-agent service)',
        details: {node: this.node.name, url: this.node.url, cause: code},
      })
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

  /** Server-Sent Events from `path`; resolves when the stream ends or `signal` aborts. */
  async stream(path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (data: unknown) => void, signal?: AbortSignal): Promise<void> {
    const url = new URL(path, this.node.url)
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v))
    const {agent, request} = undici()
    let res: Dispatcher.ResponseData
    try {
      res = await request.call(agent, {origin: url.origin, path: url.pathname + url.search, method: 'GET', headers: {accept: 'text/event-stream'}, signal, bodyTimeout: 0})
    } catch (error) {
      if (signal?.aborted) return
      throw new UnreachableError(`node ${this.node.name} (${this.node.url}) did not answer: ${(error as {code?: string}).code ?? error}`)
    }
    if (res.statusCode >= 400) {
      const text = await res.body.text()
      throw errorFromWire(res.statusCode, (JSON.parse(text || '{}') as {error?: WireError}).error)
    }
    let buf = ''
    try {
      for await (const chunk of res.body) {
        buf += chunk.toString()
        let idx
        while ((idx = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, idx)
          buf = buf.slice(idx + 2)
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n')
          if (data) onEvent(JSON.parse(data))
        }
      }
    } catch (error) {
      if (!signal?.aborted) throw error
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
