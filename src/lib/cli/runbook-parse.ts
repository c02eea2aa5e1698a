// A runbook as operators write it: one ucctl command per line (the word `ucctl` optional), `#`
// comments, blank lines, shell-style quoting and `\` line continuation. Each command is parsed
// with the real command's own flags and arguments through oclif's parser, so a runbook line is
// accepted exactly when `ucctl` would accept it.
import type {Config} from '@oclif/core/config'
import type {Command} from '@oclif/core/command'

export interface RunbookLine {
  /** The line the command starts on (1-based). */
  line: number
  words: string[]
  /** Shell syntax the runbook cannot hold (pipes, expansion, an unterminated quote). */
  problem?: string
}

// Unquoted, these make a shell do something else than run one command.
const SHELL_SYNTAX = new Set(['|', ';', '&', '<', '>', '$', '`', '(', ')'])

/** Splits a runbook into commands, as a POSIX shell would split its lines into words. */
export function splitRunbook(text: string): RunbookLine[] {
  const out: RunbookLine[] = []
  let line = 1
  let cmd: RunbookLine | null = null
  let word: string | null = null
  const start = () => (cmd ??= {line, words: []})
  const endWord = () => {
    if (word !== null) cmd!.words.push(word)
    word = null
  }
  const endCommand = () => {
    endWord()
    if (cmd && (cmd.words.length > 0 || cmd.problem)) out.push(cmd)
    cmd = null
  }
  const problem = (p: string) => {
    start()
    cmd!.problem ??= p
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n') {
      line++
      endCommand()
    } else if (c === '\\') {
      if (text[i + 1] === '\n') {
        line++ // continuation: the command goes on on the next line
        i++
      } else if (i + 1 < text.length) {
        start()
        word = (word ?? '') + text[++i]
      }
    } else if (c === ' ' || c === '\t' || c === '\r') {
      if (cmd) endWord()
    } else if (c === '#' && word === null) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++
    } else if (c === "'" || c === '"') {
      start()
      const opened = line
      let j = i + 1
      let w: string = word ?? ''
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\n') line++
        if (c === '"' && text[j] === '\\' && '"\\$`\n'.includes(text[j + 1] ?? '')) {
          if (text[j + 1] === '\n') line++
          else w += text[j + 1]
          j++
        } else if (c === '"' && (text[j] === '$' || text[j] === '`')) {
          problem(`line ${opened}: ${text[j]} inside double quotes: runbook lines are not expanded by a shell; quote it with '...'`)
          w += text[j]
        } else w += text[j]
      }
      if (j >= text.length) {
        problem(`line ${opened}: the ${c} quote is never closed`)
        i = j
      } else i = j
      word = w
    } else if (SHELL_SYNTAX.has(c)) {
      problem(`"${c}" is shell syntax: a runbook line is one ucctl command, without pipes, redirections, sequences or expansion`)
      start()
      word = (word ?? '') + c
    } else {
      start()
      word = (word ?? '') + c
    }
  }
  endCommand()
  return out
}

/** A word list as it would be typed, quoted where a shell needs it. */
export function formatCommand(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(' ')
}

export interface ParsedCommand {
  /** oclif's id, topics joined by ':' (`node:upgrade`). */
  id: string
  argv: string[]
  args: Record<string, unknown>
  flags: Record<string, unknown>
  command: Command.Class
}

/** The runbook command a line names: its longest prefix of words that is a command of this CLI. */
export async function parseCommand(config: Config, words: readonly string[]): Promise<ParsedCommand | {error: string}> {
  const rest = words[0] === config.bin ? words.slice(1) : [...words]
  if (rest.length === 0) return {error: `"${words.join(' ')}" names no command`}
  let found: {id: string; n: number} | undefined
  for (let n = 1; n <= rest.length && !rest[n - 1].startsWith('-'); n++) {
    const id = rest.slice(0, n).join(':')
    if (config.findCommand(id)) found = {id, n}
  }
  if (!found) {
    const words2 = rest
      .filter((w) => !w.startsWith('-'))
      .slice(0, 3)
      .join(' ')
    return {error: `unknown command "${words2}"`}
  }
  const command = await config.findCommand(found.id)!.load()
  const argv = rest.slice(found.n)
  const [{parse}, Flags] = await Promise.all([import('@oclif/core/parser'), import('@oclif/core/flags')])
  try {
    const flags = {...command.baseFlags, ...command.flags, ...(command.enableJsonFlag ? {json: Flags.boolean()} : {})}
    const r = await parse(argv, {flags, args: command.args ?? {}, strict: command.strict ?? true})
    return {id: found.id, argv, args: r.args, flags: r.flags, command}
  } catch (error) {
    return {error: `${found.id.replaceAll(':', ' ')}: ${(error as Error).message.split('\nSee more help')[0]}`}
  }
}
