// Shell completion (issue 13). The scripts for bash, zsh and fish are thin: each asks
// `ucctl __complete WORDS…` for the candidates of the word under the cursor, so commands,
// flags, their options and the names of the current context (nodes, services, groups,
// contexts) complete the same way in the three shells. @oclif/plugin-autocomplete completes
// no values in bash and has no fish script, hence this.
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {readJsonFile, writeFileDurably} from '../durable.js'
import {stateDir} from '../paths.js'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

/** What completion needs of a command (oclif's manifest has it without loading the command). */
export interface CommandShape {
  id: string
  hidden?: boolean
  summary?: string
  flags: Record<string, {char?: string; type: 'boolean' | 'option'; options?: readonly string[]; hidden?: boolean}>
  args: Record<string, {options?: readonly string[]}>
}

/** Kinds of names that come from the context, by the argument's or flag's name. */
export type NameKind = 'node' | 'service' | 'group' | 'context'
const KIND_OF: Record<string, NameKind> = {node: 'node', server: 'node', service: 'service', group: 'group', context: 'context'}

export type NameSource = (kind: NameKind, scope: {context?: string; node?: string}) => Promise<string[]>

/**
 * Candidates for the last of `words` (the word being typed, maybe ''), given the words before
 * it (without the program's name).
 */
export async function candidates(words: string[], commands: CommandShape[], names: NameSource): Promise<string[]> {
  // As the shell shows it: `Cisco\ Pres` or `"Cisco Pres` is the prefix `Cisco Pres`.
  const typed = (words.at(-1) ?? '').replace(/^["']/, '').replaceAll(/\\(.)/g, '$1')
  const before = words.slice(0, -1)
  const visible = commands.filter((c) => !c.hidden)
  // The longest run of leading words that names a command.
  let cmd: CommandShape | undefined
  let used = 0
  for (let n = before.length; n > 0 && !cmd; n--) {
    cmd = visible.find((c) => c.id === before.slice(0, n).join(':'))
    if (cmd) used = n
  }
  const starts = (s: string) => s.toLowerCase().startsWith(typed.toLowerCase())
  if (!cmd) {
    // The next word of a command (or topic) whose first words are those typed.
    const prefix = before.length ? before.join(':') + ':' : ''
    const next = visible.filter((c) => c.id.startsWith(prefix)).map((c) => c.id.slice(prefix.length).split(':')[0])
    return [...new Set(next)].filter(starts).sort()
  }
  const rest = before.slice(used)
  const scope = {context: flagValue(rest, cmd, 'context'), node: flagValue(rest, cmd, 'node')}
  const fromKind = async (name: string, options?: readonly string[]) => {
    if (options) return [...options]
    const kind = KIND_OF[name] ?? (cmd!.id.startsWith('context:') && name === 'name' ? 'context' : undefined)
    return kind ? names(kind, scope) : []
  }
  // The value of the flag just before: `--node <TAB>`.
  const last = rest.at(-1)
  const pending = last?.startsWith('-') && !last.includes('=') ? flagNamed(cmd, last) : undefined
  if (pending && pending[1].type === 'option') return (await fromKind(pending[0], pending[1].options)).filter(starts)
  if (typed.startsWith('--') && typed.includes('=')) {
    const [flag, value] = [typed.slice(0, typed.indexOf('=')), typed.slice(typed.indexOf('=') + 1)]
    const f = flagNamed(cmd, flag)
    if (!f) return []
    return (await fromKind(f[0], f[1].options)).filter((v) => v.toLowerCase().startsWith(value.toLowerCase())).map((v) => `${flag}=${v}`)
  }
  if (typed.startsWith('-')) {
    const flags = Object.entries(cmd.flags).filter(([, f]) => !f.hidden)
    return flags
      .map(([n]) => `--${n}`)
      .filter(starts)
      .sort()
  }
  // The next positional argument.
  const position = positionals(rest, cmd).length
  const argName = Object.keys(cmd.args)[position]
  if (argName === undefined) return []
  return (await fromKind(argName, cmd.args[argName].options)).filter(starts)
}

function flagNamed(cmd: CommandShape, word: string): [string, CommandShape['flags'][string]] | undefined {
  const name = word.replace(/^--?/, '').split('=')[0]
  return Object.entries(cmd.flags).find(([n, f]) => (word.startsWith('--') ? n === name : f.char === name))
}

/** The words that are arguments, not flags nor flags' values. */
function positionals(rest: string[], cmd: CommandShape): string[] {
  const out: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]
    if (w.startsWith('-')) {
      if (!w.includes('=') && flagNamed(cmd, w)?.[1].type === 'option') i++
    } else out.push(w)
  }
  return out
}

function flagValue(rest: string[], cmd: CommandShape, name: string): string | undefined {
  for (let i = 0; i < rest.length; i++) {
    const f = flagNamed(cmd, rest[i])
    if (f?.[0] !== name) continue
    return rest[i].includes('=') ? rest[i].split('=')[1] : rest[i + 1]
  }
  return undefined
}

/** Names are cached this long, so a TAB costs one agent request a minute at most. */
const CACHE_MS = 60_000

/** A name source backed by a short-lived cache file in the state directory. */
export function cachedNames(fetch: NameSource, now = Date.now): NameSource {
  const file = join(stateDir(), 'completion-cache.json')
  return async (kind, scope) => {
    const key = `${scope.context ?? ''}|${kind}|${kind === 'service' ? (scope.node ?? '') : ''}`
    const cache = readJsonFile<Record<string, {at: number; names: string[]}>>(file) ?? {}
    const hit = cache[key]
    if (hit && now() - hit.at < CACHE_MS) return hit.names
    const names = await fetch(kind, scope)
    cache[key] = {at: now(), names}
    for (const [k, v] of Object.entries(cache)) if (now() - v.at >= CACHE_MS) delete cache[k]
    mkdirSync(stateDir(), {recursive: true, mode: 0o700})
    writeFileDurably(file, JSON.stringify(cache))
    return names
  }
}

export function completionScript(shell: Shell, bin: string): string {
  const fn = `_${bin.replaceAll(/\W/g, '_')}_complete`
  if (shell === 'bash') {
    return `# ${bin} completion for bash: source it, or put it in ~/.local/share/bash-completion/completions/${bin}
${fn}() {
  local cur words cword
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n =: cur words cword
  else
    cur="\${COMP_WORDS[COMP_CWORD]}"; words=("\${COMP_WORDS[@]}"); cword=$COMP_CWORD
  fi
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    [ -n "$line" ] && COMPREPLY+=("$(printf '%q' "$line")")
  done < <(${bin} __complete -- "\${words[@]:1:cword-1}" "$cur" 2>/dev/null)
  declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
}
complete -o default -F ${fn} ${bin}
`
  }
  if (shell === 'zsh') {
    return `#compdef ${bin}
# ${bin} completion for zsh: put it in a directory of $fpath as _${bin} (or source it after compinit)
${fn}() {
  local -a candidates
  candidates=("\${(@f)$(${bin} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -- "\${(@)candidates:#}"
}
compdef ${fn} ${bin}
`
  }
  return `# ${bin} completion for fish: put it in ~/.config/fish/completions/${bin}.fish
function ${fn}
  set -l words (commandline -opc)
  ${bin} __complete -- $words[2..-1] (commandline -ct) 2>/dev/null
end
complete -c ${bin} -f -a '(${fn})'
`
}

/** Names from the context (or the running lab: a TAB never starts it), each agent given 1 s. */
export const contextNames: NameSource = async (kind, scope) => {
  const {readContexts} = await import('./contexts.js')
  const file = readContexts()
  if (kind === 'context') return Object.keys(file.contexts).sort()
  if (!scope.context && !process.env.UCCTL_CONTEXT && Object.keys(file.contexts).length === 0) {
    const {nodeState, readLab} = await import('../lab/launcher.js')
    const lab = readLab()
    if (!lab || lab.nodes.every((n) => nodeState(n) === 'stopped')) return []
  }
  const {resolveTarget} = await import('./target.js')
  const target = await resolveTarget({context: scope.context, notice: () => {}})
  if (kind === 'node') return target.nodes.map((n) => n.name)
  const {AgentClient, closeClients, fanOut} = await import('../client/agent-client.js')
  AgentClient.credentials = {token: target.token, ca: target.ca}
  try {
    if (kind === 'group') {
      const answers = await fanOut(target.nodes, (n) => new AgentClient(n, {timeoutMs: 1000}).call('GET /v1/node'))
      return [...new Set(answers.flatMap((a) => (a.ok && a.value.group ? [a.value.group] : [])))].sort()
    }
    const nodes = scope.node ? target.nodes.filter((n) => n.name.toLowerCase() === scope.node!.toLowerCase()) : target.nodes
    const answers = await fanOut(nodes, (n) => new AgentClient(n, {timeoutMs: 1000}).call('GET /v1/services'))
    return [...new Set(answers.flatMap((a) => (a.ok ? a.value.services.map((s) => s.name) : [])))].sort()
  } finally {
    await closeClients()
  }
}
