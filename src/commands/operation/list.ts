import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {listOperations} from '../../lib/cli/operation.js'
import {warnUnread} from '../../lib/client/outcome.js'

export default class OperationList extends BaseCommand<typeof OperationList> {
  static override summary = 'Operations the agents hold: running ones and those finished in the last hour (--all: every one kept)'
  static override flags = {
    all: Flags.boolean({description: 'every operation the agents keep, not only running and recent ones'}),
  }
  static override examples = ['<%= config.bin %> operation list', '<%= config.bin %> operation list --all --json']

  async run() {
    const target = await this.target()
    const r = await listOperations(target.nodes, {all: this.flags.all, context: target.context})
    warnUnread(r.unread, (m) => this.notice(m))
    return this.output(r.doc, r.view)
  }
}
