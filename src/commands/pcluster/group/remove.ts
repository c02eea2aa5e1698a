import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {enc, removeThenList, type GroupRow, groupConfigOutcome} from '../../../lib/cli/administration.js'

export default class PclusterGroupRemove extends BaseCommand<typeof PclusterGroupRemove> {
  static override summary =
    'Remove a presence redundancy group with no users assigned to its nodes, before HA is enabled (ADM-8); prints the groups left'
  static override args = {name: Args.string({description: 'presence redundancy group', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> pcluster group remove prg2']

  async run() {
    const r = await removeThenList<{groups: GroupRow[]}>(
      await this.target(),
      `/v1/config/presence-groups/${enc(this.args.name)}`,
      '/v1/config/presence-groups',
    )
    const o = groupConfigOutcome(r.groups)
    return this.output({...o.doc, warnings: []}, o.view)
  }
}
