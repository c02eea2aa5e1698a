import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {labDown, labStatusNodes} from '../../lib/lab/launcher.js'

export default class LabDown extends BaseCommand<typeof LabDown> {
  static override summary = "Stop the lab's agents (each stops its services and flushes its state)"
  static override flags = {
    purge: Flags.boolean({description: "also delete the nodes' state (events, operations, startup types)"}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }
  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --purge']

  async run() {
    const {lab, stopped} = await labDown({purge: this.flags.purge, onProgress: (m) => this.progress(m)})
    const nodes = labStatusNodes(lab, () => 'stopped')
    return this.output(
      envelope('LabStatus', {name: lab?.name ?? null, timing: lab?.timing ?? null, topology: lab?.topology ?? null, nodes}),
      {
        columns: ['NODE', 'URL', 'PID', 'STATE'],
        stateColumn: 3,
        rows: nodes.map((n) => [n.name, n.url, n.pid ?? '', n.state]),
        notes: stopped > 0 ? [] : ['the lab was not up'],
      },
    )
  }
}
