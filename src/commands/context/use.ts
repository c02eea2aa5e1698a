import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {listContexts, useContext} from '../../lib/cli/contexts.js'

export default class ContextUse extends BaseCommand<typeof ContextUse> {
  static override summary = 'Make a context the current one ("lab": the embedded lab)'
  static override args = {name: Args.string({description: 'context name', required: true})}
  static override flags = {yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'})}

  async run() {
    const file = useContext(this.args.name)
    const {contexts} = await listContexts(file)
    const nodes = contexts.find((c) => c.name === this.args.name)?.nodes ?? []
    return this.output(envelope('Context', {name: this.args.name, current: true, nodes}), {columns: ['CURRENT'], rows: [[this.args.name]]})
  }
}
