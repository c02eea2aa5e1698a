import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {readContexts, writeContexts} from '../../lib/cli/contexts.js'
import {NotFoundError} from '../../lib/errors.js'

export default class ContextUse extends BaseCommand<typeof ContextUse> {
  static override summary = 'Make a context the current one'
  static override args = {name: Args.string({description: 'context name', required: true})}
  static override flags = {yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'})}

  async run() {
    const file = readContexts()
    if (!file.contexts[this.args.name]) throw new NotFoundError(`no context named "${this.args.name}"`, {hint: `contexts: ${Object.keys(file.contexts).join(', ') || 'none'}`})
    file.current = this.args.name
    writeContexts(file)
    return this.output(envelope('Context', {name: this.args.name, current: true, nodes: file.contexts[this.args.name].nodes}), {columns: ['CURRENT'], rows: [[this.args.name]]})
  }
}
