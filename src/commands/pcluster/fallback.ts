import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {groupAction} from '../../lib/cli/presence.js'

export default class PclusterFallback extends BaseCommand<typeof PclusterFallback> {
  static override summary = 'Manual fallback to a node: SRM restarts its critical services and takes its users back from the peer (PRG-8)'
  static override args = {node: Args.string({description: 'IM and Presence node that takes its users back', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> pcluster fallback imp-pub --yes']

  async run() {
    const target = await this.target()
    const r = await groupAction(target, 'fallback', {node: this.args.node, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
