// Which OS process is which: the lab knows its agents by pid, and a pid is only trusted while the
// process behind it is still the one started (pids are reused). Linux answers from /proc; other
// systems from `ps`.
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

const HAS_PROC = (() => {
  try {
    readFileSync('/proc/self/cmdline')
    return true
  } catch {
    return false
  }
})()

/** Alive and not a zombie (a dead agent whose parent has not reaped it yet holds nothing). */
export function isAlive(pid: number): boolean {
  if (HAS_PROC) {
    const state = statFields(pid)?.[0]
    return state !== undefined && state !== 'Z' && state !== 'X'
  }
  return exists(pid)
}

/** The process's arguments (argv), or undefined when it does not exist. */
export function commandLine(pid: number): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  if (HAS_PROC) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      // A zombie has an empty command line: it is no longer running anything.
      return raw ? raw.replace(/\0$/, '').split('\0') : undefined
    } catch {
      return undefined
    }
  }
  try {
    // Without /proc the arguments come back joined by spaces: good enough to find `--config PATH`.
    const out = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    return out ? out.split(' ') : undefined
  } catch {
    return undefined
  }
}

/** The agent configuration a process serves (`--config PATH` of an agent's command line). */
export function agentConfigOf(argv: string[] | undefined): string | undefined {
  if (!argv) return undefined
  const i = argv.indexOf('--config')
  return i > 0 && argv.slice(0, i).some((a) => a.endsWith('agent-main.js') || a === 'serve') ? argv[i + 1] : undefined
}

/** True while `pid` is an agent serving `config` (not a reused pid). */
export function isAgentOf(pid: number | undefined, config: string): boolean {
  return pid !== undefined && agentConfigOf(commandLine(pid)) === config
}

/**
 * Every agent process serving a configuration under `dir`, by configuration path. Only where
 * /proc lists processes; elsewhere the lab knows its agents from its records alone.
 */
export function agentsUnder(dir: string): Map<string, number[]> {
  const found = new Map<string, number[]>()
  if (!HAS_PROC) return found
  const prefix = dir.endsWith('/') ? dir : dir + '/'
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const config = agentConfigOf(commandLine(pid))
    // A process an agent forks to run a service shows the agent's command line until it execs the
    // service's program: a child of an agent of the same configuration is not a second agent.
    if (config?.startsWith(prefix) && !isAgentOf(parentOf(pid), config)) found.set(config, [...(found.get(config) ?? []), pid])
  }
  return found
}

function parentOf(pid: number): number | undefined {
  const ppid = Number(statFields(pid)?.[1])
  return ppid > 0 ? ppid : undefined
}

/** /proc/PID/stat from the state field on ("pid (comm) state ppid ..."; comm may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** When the process started (clock ticks since boot on Linux): with the pid, an identity that survives pid reuse. */
export function startTimeOf(pid: number): string | undefined {
  if (!HAS_PROC) return isAlive(pid) ? 'alive' : undefined
  return statFields(pid)?.[19]
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  // Not our child (the lab's agents outlive the CLI that started them): no exit event to wait for.
  const deadline = Date.now() + graceMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(25)
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
    while (isAlive(pid)) await sleep(10)
  }
  // Dead now; its parent (init once the launching CLI has exited) reaps it in a moment: wait for
  // that, briefly, so that no caller still sees the pid.
  const reaped = Date.now() + 3000
  while (exists(pid) && Date.now() < reaped) await sleep(10)
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
