import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {groupAction} from '../../lib/cli/presence.js'

export default class PclusterFailover extends BaseCommand<typeof PclusterFailover> {
  static override summary =
    "Manual failover of a node: its peer's SRM stops the node's critical services and takes over its users (PRG-3, PRG-8)"
  static override args = {node: Args.string({description: 'IM and Presence node whose users move to its peer', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> pcluster failover imp-pub --yes', '<%= config.bin %> pcluster failover imp-pub --dry-run']

  async run() {
    const target = await this.target()
    const r = await groupAction(target, 'failover', {node: this.args.node, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
