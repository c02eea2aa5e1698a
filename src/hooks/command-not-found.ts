// An unknown command: on a terminal, @oclif/plugin-not-found asks "Did you mean …?" and runs
// the answer; otherwise (and when declined) the nearest command is named and the exit is 2
// (DESIGN.md: a usage error), not the plugin's 127.
import {Errors, type Hook, toConfiguredId} from '@oclif/core'
import {nearest} from '../lib/suggest.js'

const hook: Hook.CommandNotFound = async function (opts) {
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const typed = toConfiguredId(opts.id, opts.config)
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const {default: plugin} = await import('@oclif/plugin-not-found')
    try {
      return await plugin.call(this, opts)
    } catch (error) {
      // Declined: the plugin has said what was typed; keep its advice, with our exit code.
      if ((error as Errors.CLIError).oclif?.exit !== 127) throw error
      throw new Errors.CLIError(`Run "${opts.config.bin} help" for the list of commands.`, {exit: 2})
    }
  }
  const guess = nearest(opts.id, visible)
  const hint = guess ? `Did you mean "${opts.config.bin} ${toConfiguredId(guess, opts.config)}"? ` : ''
  throw new Errors.CLIError(`"${typed}" is not a ${opts.config.bin} command. ${hint}Run "${opts.config.bin} help" for the list.`, {exit: 2})
}

export default hook
