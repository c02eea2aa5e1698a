// Server-Sent Events framing: `data:` lines of each blank-line-separated frame, as JSON, with the
// frame's `id:` and `event:`. Bytes are decoded as one stream: a character split across chunks
// stays whole.

export interface SseFrame {
  /** The frame's `id:` (the agent's event sequence number), if any. */
  id?: string
  /** The frame's `event:` type (default "message"). */
  event: string
}

/**
 * Returns a function to feed with chunks of the stream; calls `onData` once per event, and
 * `onId` for a frame that carries only an id (it sets where a resumed stream starts).
 */
export function sseParser(
  onData: (data: unknown, frame: SseFrame) => void,
  onId?: (id: string) => void,
): (chunk: string | Uint8Array) => void {
  const decoder = new TextDecoder('utf-8')
  let buf = ''
  return (chunk) => {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, {stream: true})
    buf = buf.replaceAll('\r\n', '\n')
    let idx: number
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const lines = buf.slice(0, idx).split('\n')
      buf = buf.slice(idx + 2)
      const field = (name: string) => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).replace(/^ /, ''))
      const data = field('data').join('\n')
      const id = field('id').at(-1)
      if (data) onData(JSON.parse(data), {...(id === undefined ? {} : {id}), event: field('event').at(-1) ?? 'message'})
      else if (id !== undefined) onId?.(id)
    }
  }
}
