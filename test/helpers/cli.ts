// Runs ucctl as a user would: as a subprocess of bin/run.js, or in-process through oclif.
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv, type ValidateFunction} from 'ajv'
import addFormats from 'ajv-formats'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {TEST_OPERATOR_TOKEN} from './agents.js'

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..')
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  json: any
}

function parse(stdout: string): any {
  try {
    return JSON.parse(stdout)
  } catch {
    return undefined
  }
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> {
  return startCli(args, env, input).done
}

/**
 * A run that the test watches while it goes on: its stdout so far, and the process itself (to
 * interrupt it as a user's Ctrl-C would).
 */
export function startCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): {child: ChildProcess; stdout(): string; done: Promise<CliResult>} {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {...process.env, NO_COLOR: '1', ...env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr, json: parse(stdout)}))
  })
  child.stdin.end(input ?? '')
  return {child, stdout: () => stdout, done}
}

let inProcess: Promise<unknown> = Promise.resolve()

/**
 * In-process run through oclif (same code path as bin/run.js, no new Node process). A run swaps
 * process-wide state (stdout, environment, exit code, the client's credentials), restored after
 * it: runs of tests going on at once take turns.
 */
export function runCliInProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const run = inProcess.then(() => runInProcess(args, env))
  inProcess = run.catch(() => {})
  return run
}

async function runInProcess(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const {run} = await import('@oclif/core')
  const saved = {...process.env}
  const credentials = AgentClient.credentials
  Object.assign(process.env, {NO_COLOR: '1'}, env)
  const out: string[] = []
  const err: string[] = []
  const origOut = process.stdout.write.bind(process.stdout)
  const origErr = process.stderr.write.bind(process.stderr)
  // Only strings are ours: node's test runner talks to its parent over stdout in binary frames.
  const capture =
    (into: string[], orig: typeof process.stdout.write) =>
    (chunk: string | Uint8Array, ...rest: any[]): boolean => {
      if (typeof chunk !== 'string') return orig(chunk, ...rest)
      into.push(chunk)
      return true
    }
  process.stdout.write = capture(out, origOut) as typeof process.stdout.write
  process.stderr.write = capture(err, origErr) as typeof process.stderr.write
  process.exitCode = undefined
  try {
    await run(args, ROOT)
  } catch (error) {
    err.push(String(error))
    process.exitCode ??= 1
  } finally {
    process.stdout.write = origOut
    process.stderr.write = origErr
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
    AgentClient.credentials = credentials
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  const stdout = out.join('')
  return {code, stdout, stderr: err.join(''), json: parse(stdout)}
}

/**
 * Writes a context named `name` pointing at the given agents into UCCTL_HOME, logged in with
 * `token` (the test operator's by default) in the file store, as `ucctl login` would.
 */
export function writeContext(home: string, name: string, nodes: Array<{name: string; url: string}>, token = TEST_OPERATOR_TOKEN): void {
  const dir = join(home, 'config')
  mkdirSync(dir, {recursive: true, mode: 0o700})
  writeFileSync(join(dir, 'contexts.json'), JSON.stringify({current: name, contexts: {[name]: {nodes, credential: 'file'}}}), {mode: 0o600})
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({tokens: {[name]: token}}), {mode: 0o600})
}

let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction | undefined>()

/** The validator of schemas/<kind>.json, compiled at its first use (all of them take most of a second). */
function validatorOf(kind: string): ValidateFunction | undefined {
  if (!validators.has(kind)) {
    if (!ajv) {
      ajv = new Ajv({allErrors: true, strict: false})
      ;(addFormats as unknown as (a: Ajv) => void)(ajv)
    }
    const file = join(ROOT, 'schemas', `${kind}.json`)
    validators.set(kind, /^[A-Za-z]+$/.test(kind) && existsSync(file) ? ajv.compile(JSON.parse(readFileSync(file, 'utf8'))) : undefined)
  }
  return validators.get(kind)
}

/** Validates a JSON document against schemas/<kind>.json; returns the problems (none: []). */
export function schemaProblems(doc: any): string[] {
  if (!doc || typeof doc !== 'object') return ['not a JSON object']
  const v = validatorOf(String(doc.kind))
  if (!v) return [`no schema for kind ${doc.kind}`]
  return v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}
