import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {configCall, groupConfigOutcome, presenceGroupFlags, presenceGroupSettings} from '../../../lib/cli/administration.js'

export default class PclusterGroupAdd extends BaseCommand<typeof PclusterGroupAdd> {
  static override summary =
    'Add a presence redundancy group in the Unified CM configuration database: one or two IM and Presence nodes of the same version, cluster and database publisher, each in one group (ADM-8, PRG-1)'
  static override args = {name: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {...presenceGroupFlags, yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> pcluster group add prg2 --node imp-3 --node imp-4 --automatic-fallback']

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/presence-groups', {
      body: {name: this.args.name, nodes: [], ...presenceGroupSettings(this.flags)},
    })
    for (const warning of r.warnings) this.notice(`warning: ${warning}`)
    const o = groupConfigOutcome([r.group])
    return this.output({...o.doc, warnings: r.warnings}, o.view)
  }
}
