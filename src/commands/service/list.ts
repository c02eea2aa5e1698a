import * as Flags from '@oclif/core/flags'
import {BaseCommand, watchFlag} from '../../lib/cli/base-command.js'
import {nodeServices} from '../../lib/cli/service-list.js'

export default class ServiceList extends BaseCommand<typeof ServiceList> {
  static override summary = "List nodes' service processes: state, pid, restarts, startup type (SVC-1, SVC-3)"
  static override description =
    "With one --node, that node's list (exit 4 or 7 when it cannot be read). With several, or none (every node of the context), one table with a NODE column; a node that cannot be read is marked and named on stderr."
  static override flags = {
    watch: watchFlag,
    node: Flags.string({char: 'n', description: 'node to list (repeatable; default: every node of the context)', multiple: true}),
  }
  static override examples = [
    '<%= config.bin %> service list --node ctios-a',
    '<%= config.bin %> service list --node ctios-a --json',
    '<%= config.bin %> service list -n imp-pub -n imp-sub',
    '<%= config.bin %> service list --watch',
  ]

  async run() {
    const r = await nodeServices(await this.target(), this.flags.node ?? [], (m) => this.notice(m))
    return this.output(r.doc, r.view)
  }
}
