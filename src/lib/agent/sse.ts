// The one Server-Sent Events writer of the agent: takes the reply over from fastify, writes
// frames while the client listens, pings so proxies keep the stream open, and ends once.
import type {FastifyReply} from 'fastify'

export interface SseFrame {
  id?: number | string
  event?: string
  data?: unknown
  /** A comment line (': …'): dispatches nothing; says where a stream starts. */
  comment?: string
}

export interface EventStream {
  /** Writes a frame (ignored once the stream has ended). */
  send(frame: SseFrame): void
  /** Ends the stream (once; its onClose runs). */
  end(): void
  readonly open: boolean
}

const PING_MS = 15_000

export function openEventStream(reply: FastifyReply, onClose: () => void, pingMs = PING_MS): EventStream {
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
  let open = true
  const write = (text: string) => {
    if (open && !res.writableEnded && !res.destroyed) res.write(text)
  }
  const ping = setInterval(() => write(': ping\n\n'), pingMs)
  const end = () => {
    if (!open) return
    open = false
    clearInterval(ping)
    onClose()
    if (!res.writableEnded) res.end()
  }
  res.on('close', end)
  return {
    send(f) {
      let text = f.comment === undefined ? '' : `: ${f.comment}\n`
      if (f.id !== undefined) text += `id: ${f.id}\n`
      if (f.event !== undefined) text += `event: ${f.event}\n`
      if (f.data !== undefined) text += `data: ${JSON.stringify(f.data)}\n`
      write(`${text}\n`)
    },
    end,
    get open() {
      return open
    },
  }
}
