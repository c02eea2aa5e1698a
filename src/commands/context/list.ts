import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {readContexts} from '../../lib/cli/contexts.js'

export default class ContextList extends BaseCommand<typeof ContextList> {
  static override summary = 'List the contexts (with none, commands use the embedded lab)'

  async run() {
    const file = readContexts()
    const contexts = Object.entries(file.contexts).map(([name, c]) => ({name, current: name === file.current, nodes: c.nodes}))
    return this.output(envelope('ContextList', {current: file.current ?? null, contexts}), {
      columns: ['CURRENT', 'CONTEXT', 'NODES'],
      rows: contexts.map((c) => [c.current ? '*' : '', c.name, c.nodes.map((n) => n.name).join(',')]),
      notes: contexts.length === 0 ? ['no contexts: commands use the embedded lab'] : [],
    })
  }
}
