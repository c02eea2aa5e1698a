// Contexts: named sets of agent URLs (DESIGN.md). Stored 0600 in a 0700 config dir.
import {chmodSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {readJsonFile, writeFileDurably} from '../durable.js'
import {UsageError} from '../errors.js'
import {configDir} from '../paths.js'
import type {CiscoSettings} from '../drivers/cisco/session.js'

export interface ContextNode {
  name: string
  url: string
}

export interface ContextEntry {
  nodes: ContextNode[]
  /** Absolute path of the CA file trusted for the agents' certificates. */
  ca?: string
  /** Where `ucctl login` put this context's token (never the token itself). */
  credential?: 'keychain' | 'file'
  /** 'cisco': a real cluster through the products' own interfaces (src/lib/drivers/cisco); absent: ucctl agents. */
  kind?: 'cisco'
  cisco?: CiscoSettings
}

export interface ContextFile {
  current?: string
  contexts: Record<string, ContextEntry>
}

export function contextsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'contexts.json')
}

export function readContexts(env: NodeJS.ProcessEnv = process.env): ContextFile {
  return readJsonFile<ContextFile>(contextsPath(env)) ?? {contexts: {}}
}

export function writeContexts(file: ContextFile, env: NodeJS.ProcessEnv = process.env): void {
  const dir = configDir(env)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  chmodSync(dir, 0o700)
  writeFileDurably(contextsPath(env), JSON.stringify(file, null, 2) + '\n', 0o600)
}

/** The context a command uses when it is of kind cisco (--context, UCCTL_CONTEXT, else the current one). */
export function ciscoContext(wanted: string | undefined): {name: string; entry: ContextEntry; named: boolean} | undefined {
  const named = wanted ?? process.env.UCCTL_CONTEXT
  const file = readContexts()
  const name = named ?? file.current
  const entry = name === undefined ? undefined : file.contexts[name]
  return entry?.kind === 'cisco' ? {name: name!, entry, named: named !== undefined} : undefined
}

/** The PEM of a CA file (`--ca`, or a context's): exit 2 when it cannot be read or holds no certificate. */
export function readCaFile(path: string, what = '--ca'): string {
  let ca: string
  try {
    ca = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${what} ${path} is not a PEM certificate`)
  return ca
}
