// An unknown command: on a terminal, @oclif/plugin-not-found asks "Did you mean …?" and runs
// the answer; otherwise (and when declined) the nearest command is named, in the same form as
// every other error (Error:/Hint:), and the exit is 2 (DESIGN.md: a usage error), not 127.
import {type Errors, type Hook, toConfiguredId} from '@oclif/core'
import {editDistance, nearest} from '../lib/suggest.js'

const hook: Hook.CommandNotFound = async function (opts) {
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const bin = opts.config.bin
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const {default: plugin} = await import('@oclif/plugin-not-found')
    try {
      return await plugin.call(this, opts)
    } catch (error) {
      // Declined: the plugin has said what was typed; keep its advice, with our exit code.
      if ((error as Errors.CLIError).oclif?.exit !== 127) throw error
      process.stderr.write(`Hint: "${bin} help" lists the commands\n`)
      return this.exit(2)
    }
  }
  // The nearest command to the longest run of leading words that has one: `pclustr status prg1`
  // → `pcluster status prg1` (the words after it are its arguments).
  const words = opts.id.split(':')
  const rest = opts.argv ?? []
  let best: {guess: string; n: number; d: number} | undefined
  for (let n = words.length; n > 0; n--) {
    const typed = words.slice(0, n).join(':')
    const guess = nearest(typed, visible)
    const d = guess === undefined ? Infinity : editDistance(typed, guess)
    if (guess && (!best || d < best.d)) best = {guess, n, d}
  }
  const hint = best
    ? `did you mean "${[bin, toConfiguredId(best.guess, opts.config), ...words.slice(best.n), ...rest].join(' ')}"?`
    : `"${bin} help" lists the commands`
  process.stderr.write(`Error: "${[toConfiguredId(opts.id, opts.config), ...rest].join(' ')}" is not a ${bin} command\nHint: ${hint}\n`)
  return this.exit(2)
}

export default hook
