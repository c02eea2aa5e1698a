import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, profileListOutcome} from '../../lib/cli/administration.js'

export default class ServiceProfileSetDefault extends BaseCommand<typeof ServiceProfileSetDefault> {
  static override summary = 'Make a service profile the system-wide default: users without their own profile get it (ADM-3)'
  static override args = {name: Args.string({description: 'service profile name', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> service-profile set-default standard']

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/service-profiles/:name/default', {params: {name: this.args.name}})
    const o = profileListOutcome(r.profiles)
    return this.output(o.doc, o.view)
  }
}
