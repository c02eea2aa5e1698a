// Durable agent state: written (atomic rename + fsync) before the agent acknowledges a change,
// so a SIGKILLed agent comes back with what it said it did.
import {closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync} from 'node:fs'
import {dirname, join} from 'node:path'

export function writeFileDurably(path: string, data: string, mode = 0o600): void {
  mkdirSync(dirname(path), {recursive: true})
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w', mode)
  try {
    writeSync(fd, data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
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

/** Append-only JSON lines with fdatasync per record. */
export class JsonLinesLog {
  private fd: number

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

  append(record: unknown): void {
    writeSync(this.fd, JSON.stringify(record) + '\n')
    fsyncSync(this.fd)
  }

  close(): void {
    closeSync(this.fd)
  }
}
