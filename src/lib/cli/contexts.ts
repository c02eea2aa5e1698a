// Contexts: named sets of agent URLs (DESIGN.md). Stored 0600 in a 0700 config dir.
import {chmodSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {readJsonFile, writeFileDurably} from '../durable.js'
import {configDir} from '../paths.js'

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
