// Event streams between an in-process agent and in-process clients, seen from both ends through
// diagnostics channels (node's http server; the client's undici, or node's http client): a test that asserts that a client received nothing more waits
// until every byte the agent wrote to each stream has been read (and so parsed) by its client,
// instead of waiting a guessed time for stragglers.
import assert from 'node:assert/strict'
import {subscribe, unsubscribe} from 'node:diagnostics_channel'
import type {ClientRequest, IncomingMessage, ServerResponse} from 'node:http'
import type {Socket} from 'node:net'
import {eventually} from './agents.js'

interface Ends {
  server?: ServerResponse
  /** The client's socket of the stream (node's http client assigns it after the request starts). */
  client?: () => Socket | null
}

export class StreamWatch {
  private readonly ends = new Map<string, Ends>()
  private readonly onServer = (m: unknown) => {
    const {request, response} = m as {request: IncomingMessage; response: ServerResponse}
    const key = this.key(request.headers.host, request.url ?? '')
    if (key) this.ends.set(key, {...this.ends.get(key), server: response})
  }
  private readonly onClient = (m: unknown) => {
    const {request} = m as {request: ClientRequest}
    const key = this.key(String(request.getHeader('host')), request.path)
    if (key) this.ends.set(key, {...this.ends.get(key), client: () => request.socket})
  }
  private readonly onUndici = (m: unknown) => {
    const {request, socket} = m as {request: {origin: string | URL; path: string}; socket: Socket}
    const key = this.key(new URL(request.origin).host, request.path)
    if (key) this.ends.set(key, {...this.ends.get(key), client: () => socket})
  }

  /**
   * Watches the requests to `host` (host:port: other agents of the same process are not watched)
   * whose path matches `stream` (its first group names the stream).
   */
  constructor(
    private readonly host: string,
    private readonly stream: RegExp,
  ) {
    subscribe('http.server.request.start', this.onServer)
    subscribe('http.client.request.start', this.onClient)
    subscribe('undici:client:sendHeaders', this.onUndici)
  }

  private key(host: string | undefined, path: string): string | undefined {
    return host === this.host ? this.stream.exec(path)?.[1] : undefined
  }

  /**
   * Resolves once, on every stream the agent still has open, its client has read all the bytes
   * the agent wrote (what was written before this call cannot arrive later).
   */
  async delivered(timeoutMs = 15_000): Promise<void> {
    const open = [...this.ends.entries()].filter(([, e]) => e.server && !e.server.writableEnded && !e.server.destroyed)
    const behind = () =>
      open.filter(([, e]) => {
        const written = (e.server!.socket as Socket | null)?.bytesWritten
        const read = e.client?.()?.bytesRead
        return written === undefined || read === undefined || read < written
      })
    await eventually(() => (behind().length === 0 ? true : undefined), timeoutMs, `${behind().length} stream(s) still on their way`)
    assert.ok(open.length > 0, 'no open stream to wait for')
  }

  close(): void {
    unsubscribe('http.server.request.start', this.onServer)
    unsubscribe('http.client.request.start', this.onClient)
    unsubscribe('undici:client:sendHeaders', this.onUndici)
  }
}
