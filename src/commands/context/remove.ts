import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {readContexts, writeContexts} from '../../lib/cli/contexts.js'
import {NotFoundError} from '../../lib/errors.js'

export default class ContextRemove extends BaseCommand<typeof ContextRemove> {
  static override summary = 'Remove a context'
  static override args = {name: Args.string({description: 'context name', required: true})}
  static override flags = {yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'})}

  async run() {
    const file = readContexts()
    if (!file.contexts[this.args.name]) throw new NotFoundError(`no context named "${this.args.name}"`)
    delete file.contexts[this.args.name]
    if (file.current === this.args.name) delete file.current
    writeContexts(file)
    return this.output(envelope('ContextList', {current: file.current ?? null, contexts: Object.keys(file.contexts).map((name) => ({name, current: name === file.current, nodes: file.contexts[name].nodes}))}), {
      columns: ['REMOVED'],
      rows: [[this.args.name]],
    })
  }
}
