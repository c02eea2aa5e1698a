import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, profileListOutcome} from '../../lib/cli/administration.js'

export default class ServiceProfileAdd extends BaseCommand<typeof ServiceProfileAdd> {
  static override summary =
    'Add a service profile: a group of UC services (ADM-3); put a UDS, an enhanced and a basic directory in it (ADM-5)'
  static override args = {name: Args.string({description: 'service profile name', required: true})}
  static override flags = {
    service: Flags.string({description: 'UC service (repeatable)', multiple: true, default: []}),
    yes: mutatingFlags.yes,
  }
  static override examples = [
    '<%= config.bin %> service-profile add standard --service dir-uds --service dir-enh --service dir-basic --service vm1 --service imp1',
  ]

  async run() {
    const target = await this.target()
    const r = await configCall(target, 'POST /v1/config/service-profiles', {body: {name: this.args.name, services: this.flags.service}})
    const o = profileListOutcome([r.profile])
    return this.output(envelope('ServiceProfile', {profile: r.profile}), o.view)
  }
}
