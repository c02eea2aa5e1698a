import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {groupAction} from '../../../lib/cli/presence.js'

export default class PclusterUsersRebalance extends BaseCommand<typeof PclusterUsersRebalance> {
  static override summary = 'Spread the users of a group evenly over its nodes, and move them there (PRG-10)'
  static override args = {group: Args.string({description: 'presence redundancy group (default: the only one)'})}
  static override flags = {...mutatingFlags}
  static override examples = [
    '<%= config.bin %> pcluster users rebalance prg1 --yes',
    '<%= config.bin %> pcluster users rebalance --dry-run',
  ]

  async run() {
    const target = await this.target()
    const r = await groupAction(target, 'rebalance', {group: this.args.group, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
