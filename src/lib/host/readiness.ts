// How an agent tells its launcher that it serves: one JSON line on an inherited pipe, named by an
// environment variable. A module of its own so the launcher needs none of the agent's code.
import {closeSync, writeSync} from 'node:fs'

export const READY_FD_ENV = 'UCCTL_READY_FD'

export interface ReadyMessage {
  node: string
  pid: number
  url: string
}

/** Says "ready" on the launcher's pipe, if there is one, then closes it. */
export function signalReady(message: ReadyMessage): void {
  const fd = Number(process.env[READY_FD_ENV])
  delete process.env[READY_FD_ENV]
  if (!Number.isInteger(fd) || fd < 3) return
  try {
    writeSync(fd, JSON.stringify({ready: true, ...message}) + '\n')
    closeSync(fd)
  } catch {
    // The launcher is gone (Ctrl-C, SIGKILL): nobody waits, the agent serves on.
  }
}
