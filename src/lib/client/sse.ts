// Server-Sent Events framing: `data:` lines of each blank-line-separated frame, as JSON.

/** Returns a function to feed with chunks of the stream; calls `onData` once per event. */
export function sseParser(onData: (data: unknown) => void): (chunk: string) => void {
  let buf = ''
  return (chunk) => {
    buf += chunk
    let idx
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, idx)
      buf = buf.slice(idx + 2)
      const data = frame
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n')
      if (data) onData(JSON.parse(data))
    }
  }
}
