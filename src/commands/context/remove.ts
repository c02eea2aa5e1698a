import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {listContexts, removeContext} from '../../lib/cli/contexts.js'

export default class ContextRemove extends BaseCommand<typeof ContextRemove> {
  static override summary = 'Remove a context (not "lab": the embedded lab is always one)'
  static override args = {name: Args.string({description: 'context name', required: true})}
  static override flags = {yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'})}

  async run() {
    const {current, contexts} = await listContexts(removeContext(this.args.name))
    return this.output(envelope('ContextList', {current, contexts}), {
      columns: ['REMOVED'],
      rows: [[this.args.name]],
    })
  }
}
