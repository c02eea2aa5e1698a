// Durable agent state: written (atomic rename + fsync) before the agent acknowledges a change,
// so a SIGKILLed agent comes back with what it said it did.
import {closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync} from 'node:fs'
import {dirname, join} from 'node:path'

export function writeFileDurably(path: string, data: string, mode = 0o600): void {
  writeFileAtomically(path, data, mode, true)
}

/**
 * The whole file or the old one, even if this process is killed; on disk after a power loss only
 * with `sync` (what a power loss also ends, as the lab's agents, needs no fsync).
 */
export function writeFileAtomically(path: string, data: string, mode = 0o600, sync = false): void {
  mkdirSync(dirname(path), {recursive: true})
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, data)
    if (sync) fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  if (!sync) return
  const dirFd = openSync(dirname(path), 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

export function readJsonFile<T>(path: string): T | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return JSON.parse(text) as T
}

/** A JSON document on disk, rewritten durably on every save. */
export class JsonStore<T extends object> {
  readonly path: string
  data: T

  constructor(dir: string, name: string, initial: T) {
    this.path = join(dir, name)
    this.data = {...initial, ...readJsonFile<T>(this.path)}
  }

  save(): void {
    writeFileDurably(this.path, JSON.stringify(this.data))
  }
}

/**
 * Append-only JSON lines. Each record is written at once (a SIGKILLed process loses none) and
 * flushed by one fsync for all the records of one run of the event loop (group commit), queued as
 * a microtask: before the answer to the request that wrote it, which goes out later, and without
 * an agent's boot waiting on the disk once per service state change. (An event stream may send a
 * record a moment before its flush.)
 */
export class JsonLinesLog {
  /** Undefined once closed: the number may already be another file's (an agent closed in a process that goes on). */
  private fd: number | undefined
  private unsynced = false

  constructor(readonly path: string) {
    mkdirSync(dirname(path), {recursive: true})
    this.fd = openSync(path, 'a', 0o600)
  }

  static read<T>(path: string): T[] {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const out: T[] = []
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        out.push(JSON.parse(line) as T)
      } catch {
        // A torn last line after a crash mid-write: the record was never acknowledged.
      }
    }
    return out
  }

  /**
   * After close (the agent has shut down) a record has nowhere to go: an operation or timer still
   * running then writes nothing, rather than into the file that took over the descriptor.
   */
  append(record: unknown): void {
    if (this.fd === undefined) return
    writeSync(this.fd, JSON.stringify(record) + '\n')
    if (this.unsynced) return
    this.unsynced = true
    queueMicrotask(() => this.sync())
  }

  /** Flushes what was appended to the disk. */
  sync(): void {
    if (!this.unsynced || this.fd === undefined) return
    this.unsynced = false
    fsyncSync(this.fd)
  }

  close(): void {
    if (this.fd === undefined) return
    this.sync()
    closeSync(this.fd)
    this.fd = undefined
  }
}
