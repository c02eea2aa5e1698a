import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {removeThenList, profileListOutcome} from '../../lib/cli/administration.js'

export default class ServiceProfileRemove extends BaseCommand<typeof ServiceProfileRemove> {
  static override summary = 'Remove a service profile that is not the default and that no user or template names; prints the profiles left'
  static override args = {name: Args.string({description: 'service profile name', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> service-profile remove old']

  async run() {
    const r = await removeThenList(
      await this.target(),
      'DELETE /v1/config/service-profiles/:name',
      this.args.name,
      'GET /v1/config/service-profiles',
    )
    const o = profileListOutcome(r.profiles)
    return this.output(o.doc, o.view)
  }
}
