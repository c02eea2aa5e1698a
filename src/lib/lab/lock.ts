// One lab operation at a time across ucctl processes: a lock file naming its holder (pid and
// start time), so a holder that died (Ctrl-C, SIGKILL) never blocks the next `lab up` or `lab down`.
import {closeSync, openSync, readFileSync, rmSync, statSync, writeSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {isAlive, startTimeOf} from './processes.js'

interface Holder {
  pid: number
  start?: string
}

/** A lock file still empty after this long was left by a holder that died while creating it. */
const CREATING_MS = 5000

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs
  } catch {
    return 0
  }
}

function holderLives(text: string): boolean {
  try {
    const h = JSON.parse(text) as Holder
    return isAlive(h.pid) && (h.start === undefined || startTimeOf(h.pid) === h.start)
  } catch {
    return false
  }
}

/** Removes the lock left by a dead holder, unless another process replaced it meanwhile. */
function breakStale(lock: string, seen: string): void {
  const guard = `${lock}.break`
  try {
    closeSync(openSync(guard, 'wx', 0o600))
  } catch {
    // Another process is breaking it (or died doing so: its guard goes stale too).
    if (ageMs(guard) > CREATING_MS) rmSync(guard, {force: true})
    return
  }
  try {
    if (readText(lock) === seen) rmSync(lock, {force: true})
  } finally {
    rmSync(guard, {force: true})
  }
}

/** Runs `fn` holding `lock`; waits while a live process holds it (`onWait` says who, once). */
export async function withFileLock<T>(lock: string, onWait: (pid: number) => void, fn: () => Promise<T>): Promise<T> {
  const me = JSON.stringify({pid: process.pid, start: startTimeOf(process.pid)} satisfies Holder)
  let told = false
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      try {
        writeSync(fd, me)
      } finally {
        closeSync(fd)
      }
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const text = readText(lock)
    if (text === undefined) continue
    if (text === '' ? ageMs(lock) > CREATING_MS : !holderLives(text)) {
      breakStale(lock, text)
      continue
    }
    if (!told && text) {
      told = true
      onWait((JSON.parse(text) as Holder).pid)
    }
    await sleep(50)
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, {force: true})
  }
}
