// The base of every command: the JSON envelope, the one mapping of errors to exit codes,
// context resolution, progress on stderr, and the one output path (table, rows or JSON).
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type * as Interfaces from '@oclif/core/interfaces'
import {AgentClient, closeClients, type NodeRef} from '../client/agent-client.js'
import {exitCodeOf, UcctlError, UsageError, type WireError} from '../errors.js'
import {type Cell, renderTable, renderTsv, useColor, type View} from './render.js'
import type {Target} from './target.js'
import {nearest} from '../suggest.js'
import {configureProgress, progressEnd, progressLine} from './progress.js'
import {createRequire} from 'node:module'

/** The terminal's width (COLUMNS when set, as shells export it), 80 when unknown. */
export function terminalWidth(): number {
  return process.stdout.columns || Number(process.env.COLUMNS) || 80
}

export const API_VERSION = 'ucctl/v1'

export interface Envelope {
  apiVersion: typeof API_VERSION
  kind: string
  [field: string]: unknown
}

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Flags of every command that changes something (DESIGN.md "Long operations"). */
export const mutatingFlags = {
  wait: Flags.boolean({description: 'wait until the action reaches a stable state', default: true, allowNo: true}),
  timeout: Flags.integer({
    description: 'seconds to wait before giving up (exit 124; the action may still be running)',
    default: 60,
    min: 1,
  }),
  'dry-run': Flags.boolean({description: 'show what would change and which rules allow it; change nothing'}),
  yes: Flags.boolean({char: 'y', description: 'answer yes to confirmations (required without a terminal)'}),
}

export const OUTPUT_FORMATS = ['wide', 'json', 'yaml', 'name'] as const
type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/**
 * `-o FORMAT` read from the raw arguments: JSON must be known before the flags are parsed (a
 * parse error is itself a JSON document with `-o json`).
 */
export function outputFormatOf(argv: readonly string[]): OutputFormat | undefined {
  let found: string | undefined
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const a = argv[i]
    if (a === '-o' || a === '--output') found = argv[i + 1]
    else if (a.startsWith('--output=')) found = a.slice('--output='.length)
    else if (/^-o.+/.test(a)) found = a.slice(2).replace(/^=/, '')
  }
  return (OUTPUT_FORMATS as readonly string[]).includes(found ?? '') ? (found as OutputFormat) : undefined
}

/** `--watch [SECONDS]` of the status views: redraw in place every SECONDS (2 when not given). */
export const watchFlag = Flags.integer({
  char: 'w',
  description: 'redraw every SECONDS (default 2) until Ctrl-C (exit 0); with --json, one document a line',
  min: 1,
  helpValue: 'SECONDS',
})
const WATCH_DEFAULT_S = 2

/** Gives a bare `--watch`/`-w` its default value (oclif flags take a value or none, never maybe). */
export function watchArgv(argv: readonly string[]): string[] {
  const out = [...argv]
  for (let i = 0; i < out.length && out[i] !== '--'; i++) {
    if ((out[i] === '--watch' || out[i] === '-w') && !/^\d+$/.test(out[i + 1] ?? '')) out.splice(i + 1, 0, String(WATCH_DEFAULT_S))
  }
  return out
}

export function envelope(kind: string, data: Record<string, unknown>): Envelope {
  return {apiVersion: API_VERSION, kind, ...data}
}

function toWire(err: unknown): WireError {
  if (err instanceof UcctlError) return err.toWire()
  const code = exitCodeOf(err)
  const message = err instanceof Error ? err.message : String(err)
  // oclif's parser errors are usage errors; anything else is our bug.
  return code === 2 ? {code: 'BadRequest', message: message.split('\nSee more help')[0]} : {code: 'Internal', message}
}

/** "Did you mean --node?" for an unknown flag (issue 13). */
function flagHint(error: unknown, flags: Record<string, unknown>): string | undefined {
  const unknown = (error as {flags?: string[]}).flags?.[0]
  if (!unknown?.startsWith('--')) return undefined
  const guess = nearest(unknown.slice(2).split('=')[0], [...Object.keys(flags), 'json', 'help'])
  return guess ? `did you mean --${guess}?` : undefined
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    context: Flags.string({
      description: 'context to use (default: $UCCTL_CONTEXT, the current context, or the embedded lab)',
      helpGroup: 'GLOBAL',
    }),
    'debug-wire': Flags.string({
      description: 'cisco contexts: append the exchanges with the nodes, credentials redacted, to FILE',
      helpGroup: 'GLOBAL',
    }),
    output: Flags.string({
      char: 'o',
      description: 'wide: tables with every cell whole; json (as --json), yaml; name: the names only, one a line',
      options: [...OUTPUT_FORMATS],
      helpGroup: 'GLOBAL',
    }),
    progress: Flags.boolean({
      description: 'progress updated in place on a terminal; --no-progress: plain lines',
      default: true,
      allowNo: true,
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private targetCache?: Target

  public override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof BaseCommand
    if ('watch' in (ctor.flags ?? {})) this.argv = watchArgv(this.argv)
    try {
      const {args, flags} = await this.parse({
        flags: ctor.flags,
        baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
        enableJsonFlag: ctor.enableJsonFlag,
        args: ctor.args,
        strict: ctor.strict,
      })
      this.flags = flags as BaseFlags<T>
      this.args = args as BaseArgs<T>
      configureProgress(process.stderr.isTTY ? ((flags as {progress?: boolean}).progress === false ? 'plain' : 'live') : 'off')
    } catch (error) {
      // Whatever fails while parsing the command line is bad input (exit 2): oclif's own value
      // checks (an integer argument's min/max, say) throw plain Errors that would exit 1.
      if (error instanceof UcctlError) throw error
      throw new UsageError((error as Error).message.split('\nSee more help')[0], {
        hint: flagHint(error, {...ctor.flags, ...ctor.baseFlags}),
      })
    }
    await this.dispatchCisco()
  }

  /** The one dispatch on the context's kind: a cisco context's driver serves (or refuses) the command instead of agents. */
  private async dispatchCisco(): Promise<void> {
    const {ciscoContext} = await import('./contexts.js')
    const cisco = ciscoContext(this.flags.context)
    if (!cisco) return
    const {runCiscoCommand, servesCommand} = await import('../drivers/cisco/commands.js')
    const id = this.id ?? ''
    // Lab commands act on the lab unless a cisco context was named for them.
    if (!servesCommand(id) || (id.startsWith('lab:') && !cisco.named)) return
    const {openCiscoSession} = await import('../drivers/cisco/context.js')
    const notice = (m: string) => this.notice(m)
    this.run = () =>
      runCiscoCommand(
        id,
        () => openCiscoSession(cisco.name, cisco.entry, this.flags['debug-wire'], notice),
        cisco.entry.cisco?.readOnly === true,
        cisco.name,
        {
          flags: this.flags,
          args: this.args,
          output: (doc, view, exitCode) => this.output(doc, view, exitCode),
          notice,
          progress: (m) => this.progress(m),
        },
      )
  }

  /** The agents this command talks to. */
  protected async target(): Promise<Target> {
    // Lazy: the lab launcher is needed only when no context is configured.
    const {resolveTarget} = await import('./target.js')
    if (!this.targetCache) {
      this.targetCache = await resolveTarget({context: this.flags.context, notice: (m) => this.notice(m)})
      AgentClient.credentials = {token: this.targetCache.token, ca: this.targetCache.ca}
    }
    return this.targetCache
  }

  protected async node(name: string | undefined): Promise<{target: Target; node: NodeRef; client: AgentClient}> {
    const target = await this.target()
    const {pickNode} = await import('./target.js')
    const node = pickNode(target, name)
    return {target, node, client: new AgentClient(node)}
  }

  /** A notice or warning line on stderr (never on stdout, never in JSON). */
  protected notice(message: string): void {
    process.stderr.write(message + '\n')
  }

  /**
   * Progress shown only to a person watching a terminal: `node: message` keeps one live line per
   * node (see progress.ts).
   */
  protected progress(message: string): void {
    const m = /^([\w.-]+): (.*)$/s.exec(message)
    progressLine(m ? m[1] : '', m ? m[2] : message)
  }

  /**
   * Prints `doc` as JSON (with --json), as a table on a terminal, or as tab-separated rows when
   * piped; `exitCode` is for documents that are answers yet not success (a failed check: 3).
   */
  protected async output(doc: Envelope, view?: View, exitCode = 0): Promise<Envelope> {
    if (exitCode !== 0) process.exitCode = exitCode
    // Every document and every table says which context it came from (issue 7).
    const context = this.targetCache?.context
    if (context !== undefined && doc.context === undefined) {
      const {apiVersion, kind, ...rest} = doc
      doc = {apiVersion, kind, context, ...rest}
    }
    if (view && context !== undefined && !view.title) view = {...view, title: `context ${context}`}
    progressEnd()
    const watch = (this.flags as {watch?: number}).watch
    if (watch !== undefined) {
      this.frame = {doc, view}
      return this.watching ? doc : this.watch(watch)
    }
    if (this.jsonEnabled() || !view) return doc
    process.stdout.write(await this.render(view))
    return doc
  }

  private frame?: {doc: Envelope; view?: View}
  private watching = false

  /** --watch: draws the frame, waits, runs the command again, until Ctrl-C (exit 0). */
  private async watch(seconds: number): Promise<Envelope> {
    this.watching = true
    const {signal, done} = this.interruption()
    const {setTimeout: sleep} = await import('node:timers/promises')
    const live = process.stdout.isTTY && !this.jsonEnabled()
    let problem: string | undefined
    try {
      for (;;) {
        const {doc, view} = this.frame!
        if (this.jsonEnabled()) process.stdout.write(JSON.stringify(doc) + '\n')
        else if (view) {
          const table = await this.render(view)
          const head = `every ${seconds} s: ${this.config.bin} ${this.id?.replaceAll(':', ' ')} · ${new Date().toTimeString().slice(0, 8)} · Ctrl-C to stop`
          // Home and clear, then the frame: redrawn in place, as watch(1) does.
          process.stdout.write(live ? `\u001B[H\u001B[2J${head}\n${problem ? `${problem}\n` : ''}${table}` : table)
        }
        await sleep(seconds * 1000, undefined, {signal}).catch(() => {})
        if (signal.aborted) break
        try {
          await this.run()
          problem = undefined
        } catch (error) {
          // A failed refresh keeps the last frame and says why; the watch goes on.
          problem = `refresh failed: ${error instanceof Error ? error.message : String(error)}`
          if (!live) process.stderr.write(problem + '\n')
        }
      }
    } finally {
      done()
    }
    process.exitCode = 0
    return this.frame!.doc
  }

  /** A view as the output format and the terminal want it. */
  protected async render(view: View): Promise<string> {
    const format = outputFormatOf(this.argv)
    if (format === 'name') return renderTsv({columns: [], rows: view.rows.map((r) => [r[0]])})
    if (!process.stdout.isTTY) return renderTsv(view)
    return renderTable(view, useColor(), format === 'wide' ? undefined : terminalWidth())
  }

  /** --json, or `-o json|yaml`. */
  public override jsonEnabled(): boolean {
    if (super.jsonEnabled()) return true
    const format = outputFormatOf(this.argv)
    return format === 'json' || format === 'yaml'
  }

  /**
   * Streaming commands (--follow, simulators): one line per item as it happens; with --json a
   * document of `kind` per line (NDJSON, carrying the context), else tab-separated cells.
   */
  protected streamLine(kind: string, data: Record<string, unknown>, row: Cell[]): void {
    const context = this.targetCache?.context
    process.stdout.write(
      this.jsonEnabled()
        ? JSON.stringify(envelope(kind, {...(context === undefined ? {} : {context}), ...data})) + '\n'
        : renderTsv({columns: [], rows: [row]}),
    )
  }

  /** A signal aborted by Ctrl-C, SIGTERM or `stop()`, for commands that run until then; `done()` detaches it. */
  protected interruption(): {signal: AbortSignal; stop(): void; done(): void} {
    const abort = new AbortController()
    const stop = () => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    return {
      signal: abort.signal,
      stop,
      done() {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      },
    }
  }

  protected override toSuccessJson(result: unknown): unknown {
    return result
  }

  protected override logJson(json: unknown): void {
    // --watch has printed each document already, one a line.
    if (this.watching) return
    if (outputFormatOf(this.argv) === 'yaml') {
      // Loaded only on this path: the lab path's start time must not grow.
      const {stringify} = createRequire(import.meta.url)('yaml') as typeof import('yaml')
      process.stdout.write(stringify(json))
    } else process.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }

  /** The one place a failure becomes an exit code and a message (oclif's would exit 1). */
  protected override async catch(err: Interfaces.CommandError): Promise<void> {
    process.exitCode = exitCodeOf(err)
    const wire = toWire(err)
    if (this.jsonEnabled()) {
      this.logJson(envelope('Error', {error: wire}))
      return
    }
    let text = `Error: ${wire.message}`
    if (wire.rule) text += ` [${wire.rule}]`
    if (wire.hint) text += `\nHint: ${wire.hint}`
    if (wire.code === 'Internal' && process.env.UCCTL_DEBUG && err instanceof Error && err.stack) text += `\n${err.stack}`
    process.stderr.write(text + '\n')
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    progressEnd()
    await closeClients()
    return super.finally(err)
  }
}

/**
 * Commands that act on this host's files, not on agents (agent init|check|token): no --context,
 * which would mean nothing there.
 */
export abstract class LocalCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {output: BaseCommand.baseFlags.output} as unknown as typeof BaseCommand.baseFlags
}

/** --config of the agent's commands. */
export const nodeConfigFlag = Flags.string({char: 'c', description: 'node configuration file (node.yaml)', required: true})
