import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {groupAction} from '../../lib/cli/presence.js'

export default class PclusterRecover extends BaseCommand<typeof PclusterRecover> {
  static override summary = 'Manual recovery of a group whose nodes both failed: SRM restarts on both nodes (PRG-8)'
  static override args = {group: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> pcluster recover prg1 --yes']

  async run() {
    const target = await this.target()
    const r = await groupAction(target, 'recover', {group: this.args.group, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
