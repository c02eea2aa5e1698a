// The record of every exchange with a Cisco node: the audit log (operation, node, outcome;
// never a credential) always, and with --debug-wire the redacted requests and answers, for a
// user to attach to a mismatch report.
import {appendFileSync, chmodSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {stateDir} from '../../paths.js'

export interface WireLog {
  /** One audit line per request. */
  audit(entry: {context: string; node: string; interface: string; operation: string; outcome: string; ms: number}): void
  /** A redacted exchange (only with --debug-wire). */
  exchange(node: string, direction: 'sent' | 'received', text: string): void
}

export function auditLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'cisco-audit.log')
}

function append0600(path: string, text: string): void {
  appendFileSync(path, text, {mode: 0o600})
  chmodSync(path, 0o600)
}

/** Credentials and anything that looks like one, whatever the interface. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/(authorization:\s*)(basic|bearer)\s+\S+/gi, '$1$2 [redacted]')
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]')
  return out
}

export function wireLog(opts: {debugWire?: string; secrets: readonly string[]}): WireLog {
  const dir = stateDir()
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const audit = auditLogPath()
  return {
    audit(entry) {
      append0600(audit, JSON.stringify({time: new Date().toISOString(), ...entry}) + '\n')
    },
    exchange(node, direction, text) {
      if (!opts.debugWire) return
      append0600(opts.debugWire, `--- ${new Date().toISOString()} ${direction} ${node}\n${redact(text, opts.secrets)}\n`)
    },
  }
}
