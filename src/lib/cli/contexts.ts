// Contexts: named sets of agent URLs (DESIGN.md). Stored 0600 in a 0700 config dir.
import {chmodSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {readJsonFile, writeFileDurably} from '../durable.js'
import {configDir} from '../paths.js'
import type {CiscoSettings} from '../drivers/cisco/session.js'
import {NotFoundError, UcctlError, UnreachableError, UsageError} from '../errors.js'

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

/** The embedded lab is always a context of this name (DESIGN.md "Contexts"). */
export const LAB_CONTEXT = 'lab'

export interface AgentSpec {
  /** Given as NODE=URL; else learned from the agent. */
  name?: string
  url: string
}

/** `--agent [NODE=]URL`: an http(s) origin, optionally named. */
export function parseAgentSpec(text: string): AgentSpec {
  const m = /^([\w.-]{1,64})=(.*)$/.exec(text)
  const raw = m ? m[2] : text
  try {
    const url = new URL(raw)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme')
    return {...(m ? {name: m[1]} : {}), url: url.origin}
  } catch {
    throw new UsageError(`--agent "${text}" is not an http(s) URL (or NODE=URL)`)
  }
}

/** Checks that a new context may be written under `name` (an existing one needs --force). */
export function checkNewContextName(file: ContextFile, name: string, force: boolean): void {
  if (!/^[\w.-]{1,64}$/.test(name)) throw new UsageError(`context name "${name}" may hold only letters, digits, ".", "_" and "-"`)
  if (name === LAB_CONTEXT) throw new UsageError(`"${LAB_CONTEXT}" is the embedded lab's context`, {hint: 'choose another name'})
  if (file.contexts[name] && !force) {
    throw new UsageError(`a context named "${name}" exists`, {
      hint: `replace it with --force, or remove it first: ucctl context remove ${name}`,
    })
  }
}

/**
 * The nodes of a new context: each agent's name from its /v1/health (no token needed, and it
 * proves TLS works), else the NODE= given. An agent that does not answer is stored anyway, with
 * a warning; one that neither answers nor was named cannot be stored.
 */
export async function contextNodes(specs: AgentSpec[], ca: string | undefined, warn: (m: string) => void): Promise<ContextNode[]> {
  const {AgentClient} = await import('../client/agent-client.js')
  const {readNodes} = await import('../client/outcome.js')
  const outcomes = await readNodes(
    specs.map((s) => ({name: s.name ?? s.url, url: s.url})),
    (n) => new AgentClient(n, {timeoutMs: 5000, ca}).call('GET /v1/health'),
  )
  return outcomes.map((o, i) => {
    const given = specs[i].name
    if (o.ok) {
      if (given && given !== o.value.node)
        warn(`warning: ${o.node.url} says it is ${o.value.node}, not ${given}: stored as ${o.value.node}`)
      return {name: o.value.node, url: o.node.url}
    }
    if (!given) {
      // The agent's own reason first (a certificate not trusted says which --ca to give).
      const hint = [o.cause instanceof UcctlError ? o.cause.hint : undefined, `or name it to store it anyway: --agent NODE=${o.node.url}`]
        .filter(Boolean)
        .join('; ')
      throw new UnreachableError(`${o.error.message}; its node name is unknown`, {hint})
    }
    warn(`warning: ${given} (${o.node.url}) did not answer (${o.error.message}); stored anyway`)
    return {name: given, url: o.node.url}
  })
}

/** Every context, the lab first (its nodes while it is up), and which one is current. */
export async function listContexts(
  file: ContextFile = readContexts(),
): Promise<{current: string; contexts: Array<{name: string; current: boolean; nodes: ContextNode[]}>}> {
  const {readLab} = await import('../lab/launcher.js')
  const current = file.current ?? LAB_CONTEXT
  const labNodes = (readLab()?.nodes ?? []).map((n) => ({name: n.name, url: n.url}))
  const all: Array<[string, ContextNode[]]> = [
    [LAB_CONTEXT, labNodes],
    ...Object.entries(file.contexts).map(([name, c]): [string, ContextNode[]] => [name, c.nodes]),
  ]
  return {current, contexts: all.map(([name, nodes]) => ({name, current: name === current, nodes}))}
}

/** `context use NAME`: the lab or a stored context. */
export function useContext(name: string): ContextFile {
  const file = readContexts()
  if (name !== LAB_CONTEXT && !file.contexts[name]) {
    throw new NotFoundError(`no context named "${name}"`, {hint: `contexts: ${[LAB_CONTEXT, ...Object.keys(file.contexts)].join(', ')}`})
  }
  file.current = name
  writeContexts(file)
  return file
}

/** `context remove NAME`: the lab cannot be removed (it is stopped with lab down). */
export function removeContext(name: string): ContextFile {
  if (name === LAB_CONTEXT)
    throw new UsageError(`"${LAB_CONTEXT}" is the embedded lab's context and cannot be removed`, {
      hint: 'stop the lab with: ucctl lab down',
    })
  const file = readContexts()
  if (!file.contexts[name]) throw new NotFoundError(`no context named "${name}"`)
  delete file.contexts[name]
  if (file.current === name) delete file.current
  writeContexts(file)
  return file
}
