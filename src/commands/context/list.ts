import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {listContexts} from '../../lib/cli/contexts.js'

export default class ContextList extends BaseCommand<typeof ContextList> {
  static override summary = 'List the contexts; "lab" (the embedded lab) is always one'

  async run() {
    const {current, contexts} = await listContexts()
    return this.output(envelope('ContextList', {current, contexts}), {
      columns: ['CURRENT', 'CONTEXT', 'NODES'],
      rows: contexts.map((c) => [c.current ? '*' : '', c.name, c.nodes.map((n) => n.name).join(',')]),
    })
  }
}
