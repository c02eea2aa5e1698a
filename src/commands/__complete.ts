import {Command} from '@oclif/core/command'
import {cachedNames, candidates, type CommandShape, contextNames} from '../lib/cli/completion.js'

/** Called by the completion scripts: the candidates for the last word, one a line. */
export default class Complete extends Command {
  static override hidden = true
  static override strict = false
  static override summary = 'Completion candidates for the words given (used by the completion scripts)'

  async run(): Promise<void> {
    // The scripts pass `--` first, so that oclif reads no word being typed as --help or --version.
    const argv = this.argv[0] === '--' ? this.argv.slice(1) : this.argv
    const words = argv.length ? argv : ['']
    const commands = this.config.commands as unknown as CommandShape[]
    try {
      const out = await candidates(words, commands, cachedNames(contextNames))
      process.stdout.write(out.map((c) => c + '\n').join(''))
    } catch (error) {
      // A TAB never prints an error into the command line being typed (UCCTL_DEBUG=1 to see it).
      if (process.env.UCCTL_DEBUG) process.stderr.write(`${(error as Error).stack}\n`)
    }
  }
}
