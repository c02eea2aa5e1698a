import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {groupAction} from '../../../lib/cli/presence.js'

export default class PclusterHaDisable extends BaseCommand<typeof PclusterHaDisable> {
  static override summary =
    'Disable high availability of a group: the nodes run independently; users on a failed node stay on the backup (PRG-9)'
  static override args = {group: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> pcluster ha disable prg1 --yes']

  async run() {
    const target = await this.target()
    const r = await groupAction(target, 'ha-disable', {group: this.args.group, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
