// The platform CLI over SSH (ssh2, loaded only for cisco contexts): an interactive shell with
// the `admin:` prompt, one command at a time, host keys pinned on first use and checked after.
import {createHash} from 'node:crypto'
import {chmodSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import type {Client, ClientChannel} from 'ssh2'
import {readJsonFile, writeFileDurably} from '../../durable.js'
import {RefusedError, UnauthorizedError, UnreachableError, WaitTimeoutError, type UcctlError} from '../../errors.js'
import {configDir} from '../../paths.js'
import type {HttpSettings} from './http.js'

export const PROMPT = /(^|\n)admin:\s*$/
/** A question the CLI asks before acting (`Continue (y/n)?`, `Do you want to continue? (yes/no)`). */
const QUESTION = /\((y\/n|yes\/no)\)\??\s*:?\s*$/i

export function knownHostsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'cisco-known-hosts.json')
}

function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '')
}

export interface PlatformShell {
  /** Runs one command; answers its question with yes only when `confirmed`. Returns what it printed. */
  run(command: string, opts?: {timeoutMs?: number; confirmed?: boolean}): Promise<string>
  close(): void
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')

export async function openShell(
  node: string,
  address: {host: string; port: number},
  s: HttpSettings,
  notice: (m: string) => void,
): Promise<PlatformShell> {
  const {Client: SshClient} = (await import('ssh2')).default as unknown as {Client: new () => Client}
  const id = `${address.host}:${address.port}`
  const pins = readJsonFile<Record<string, string>>(knownHostsPath()) ?? {}
  let mismatch: string | undefined
  const started = Date.now()
  const audit = (operation: string, outcome: string, t0: number) =>
    s.log.audit({context: s.context, node, interface: 'platform CLI', operation, outcome, ms: Date.now() - t0})
  const client = new SshClient()
  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => resolve())
    client.on('error', (e: Error & {level?: string; code?: string}) => {
      let err: UcctlError
      if (mismatch) {
        err = new RefusedError(
          `the SSH host key of ${node} (${id}) is ${mismatch}, not the one pinned on first use (${pins[id]}): nothing was sent`,
          {
            hint: `if the node was reinstalled or its key regenerated, check the new key with its administrator, then remove the entry "${id}" from ${knownHostsPath()}`,
            details: {node, pinned: pins[id], presented: mismatch},
          },
        )
      } else if (e.level === 'client-authentication') {
        err = new UnauthorizedError(`node ${node} refused the platform CLI login of ${s.username} over SSH`, {details: {node}})
      } else {
        err = new UnreachableError(`node ${node} (${id}) did not answer over SSH: ${e.code ?? e.message}`, {
          hint: `is ${node} up, and SSH (${id}) reachable from here?`,
          details: {node, cause: e.code ?? e.message},
        })
      }
      audit('ssh login', err.code, started)
      reject(err)
    })
    client.connect({
      host: address.host,
      port: address.port,
      username: s.username,
      password: s.password,
      readyTimeout: s.timeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => {
        const fp = fingerprint(key)
        const pinned = pins[id]
        if (pinned === undefined) {
          pins[id] = fp
          mkdirSync(configDir(), {recursive: true, mode: 0o700})
          writeFileDurably(knownHostsPath(), JSON.stringify(pins, null, 2) + '\n', 0o600)
          chmodSync(knownHostsPath(), 0o600)
          notice(`ucctl: pinned the SSH host key of ${node} (${id}): ${fp}`)
          return true
        }
        if (pinned === fp) return true
        mismatch = fp
        return false
      },
    })
  })
  audit('ssh login', 'ok', started)
  const channel: ClientChannel = await new Promise((resolve, reject) =>
    client.shell({term: 'dumb', cols: 200, rows: 50}, (err, ch) =>
      err ? reject(new UnreachableError(`node ${node}: no platform CLI shell: ${err.message}`)) : resolve(ch),
    ),
  )
  let buffer = ''
  let waiter: (() => void) | undefined
  let closed = false
  channel.on('data', (d: Buffer) => {
    buffer += strip(d.toString('utf8'))
    waiter?.()
  })
  channel.on('close', () => {
    closed = true
    waiter?.()
  })

  /** Waits until the shell shows its prompt (or a question), returns what came before it. */
  const until = (timeoutMs: number, onQuestion?: (question: string) => void) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined
        reject(
          new WaitTimeoutError(`node ${node}: the platform CLI did not answer within ${Math.round(timeoutMs / 1000)} s`, {
            details: {node, lastOutput: buffer.slice(-500)},
          }),
        )
      }, timeoutMs)
      const check = () => {
        if (PROMPT.test(buffer)) {
          clearTimeout(timer)
          waiter = undefined
          const out = buffer.replace(PROMPT, '')
          buffer = ''
          resolve(out)
        } else if (onQuestion && QUESTION.test(buffer)) {
          const answer = onQuestion
          onQuestion = undefined // once: the question stays in the buffer until the prompt
          answer(buffer.match(QUESTION)![1])
        } else if (closed) {
          clearTimeout(timer)
          waiter = undefined
          reject(new UnreachableError(`node ${node}: the platform CLI closed the session`))
        }
      }
      waiter = check
      check()
    })
  await until(s.timeoutMs ?? 60_000)
  return {
    async run(command, opts = {}) {
      const t0 = Date.now()
      s.log.exchange(node, 'sent', `platform CLI: ${command}`)
      channel.write(command + '\n')
      let outcome = 'error'
      try {
        const out = await until(opts.timeoutMs ?? 120_000, (question) => {
          const [yes, no] = question.toLowerCase() === 'yes/no' ? ['yes', 'no'] : ['y', 'n']
          channel.write((opts.confirmed ? yes : no) + '\n')
        })
        outcome = 'ok'
        // The shell echoes the command line first.
        const lines = out.split('\n')
        if (lines[0]?.trim() === command.trim()) lines.shift()
        s.log.exchange(node, 'received', lines.join('\n'))
        return lines.join('\n')
      } catch (error) {
        outcome = (error as UcctlError).code ?? 'error'
        throw error
      } finally {
        audit(command, outcome, t0)
      }
    },
    close() {
      channel.end()
      client.end()
    },
  }
}
