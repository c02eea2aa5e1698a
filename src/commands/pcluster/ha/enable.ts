import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {groupAction} from '../../../lib/cli/presence.js'

export default class PclusterHaEnable extends BaseCommand<typeof PclusterHaEnable> {
  static override summary =
    'Enable high availability of a group: needs replication and critical services on a node; a node with its services down fails over at once (PRG-9)'
  static override args = {group: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> pcluster ha enable prg1 --yes']

  async run() {
    const target = await this.target()
    const r = await groupAction(target, 'ha-enable', {group: this.args.group, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
