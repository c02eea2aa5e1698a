import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, userFieldFlags, userFields, userOutcome} from '../../lib/cli/administration.js'

export default class UserAdd extends BaseCommand<typeof UserAdd> {
  static override summary =
    'Add an end user (End User Configuration); with --im-and-presence (or a template that sets it) the user is assigned to the least loaded IM and Presence node (ADM-2, PRG-10)'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override flags = {
    ...userFieldFlags,
    template: Flags.string({description: 'a user template or feature group template (Quick User/Phone Add) to take the settings from'}),
    yes: mutatingFlags.yes,
  }
  static override examples = [
    '<%= config.bin %> user add jdoe --home-cluster',
    '<%= config.bin %> user add asmith --template staff --device CSFASMITH --extension 3001',
  ]

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/users', {
      body: {
        id: this.args.user,
        ...userFields(this.flags),
        ...(this.flags.template ? {template: this.flags.template} : {}),
      },
    })
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
