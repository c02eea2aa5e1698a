import * as Args from '@oclif/core/args'
import {Command} from '@oclif/core/command'
import {completionScript, SHELLS, type Shell} from '../lib/cli/completion.js'

export default class Completion extends Command {
  static override summary = 'Print the shell completion script for bash, zsh or fish'
  static override description =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's $fpath, not a template
    'Completes commands, flags, their values, and the names of the current context: nodes, services, groups and contexts (asked of the agents at most once a minute). Install: bash: ucctl completion bash > ~/.local/share/bash-completion/completions/ucctl; zsh: ucctl completion zsh > "${fpath[1]}/_ucctl"; fish: ucctl completion fish > ~/.config/fish/completions/ucctl.fish'
  static override args = {shell: Args.string({description: 'the shell', options: [...SHELLS], required: true})}
  static override examples = [
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/ucctl',
    'source <(<%= config.bin %> completion bash)',
  ]

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    process.stdout.write(completionScript(args.shell as Shell, this.config.bin))
  }
}
