import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {removeThenList, groupConfigOutcome} from '../../../lib/cli/administration.js'

export default class PclusterGroupRemove extends BaseCommand<typeof PclusterGroupRemove> {
  static override summary =
    'Remove a presence redundancy group with no users assigned to its nodes, before HA is enabled (ADM-8); prints the groups left'
  static override args = {name: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> pcluster group remove prg2']

  async run() {
    const r = await removeThenList(
      await this.target(),
      'DELETE /v1/config/presence-groups/:name',
      this.args.name,
      'GET /v1/config/presence-groups',
    )
    const o = groupConfigOutcome(r.groups)
    return this.output({...o.doc, warnings: []}, o.view)
  }
}
