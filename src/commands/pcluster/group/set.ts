import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {configCall, groupConfigOutcome, presenceGroupFlags, presenceGroupSettings} from '../../../lib/cli/administration.js'

export default class PclusterGroupSet extends BaseCommand<typeof PclusterGroupSet> {
  static override summary =
    'Change a group: its nodes, automatic fallback, the SRM service parameters (ADM-8, PRG-3): only before HA is enabled'
  static override args = {name: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {...presenceGroupFlags, yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> pcluster group set prg1 --automatic-fallback --keepalive-interval 10']

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/presence-groups/:name/set', {
      params: {name: this.args.name},
      body: presenceGroupSettings(this.flags),
    })
    for (const warning of r.warnings) this.notice(`warning: ${warning}`)
    const o = groupConfigOutcome([r.group])
    return this.output({...o.doc, warnings: r.warnings}, o.view)
  }
}
