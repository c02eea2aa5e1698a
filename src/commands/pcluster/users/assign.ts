import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {configCall, userOutcome} from '../../../lib/cli/administration.js'

export default class PclusterUsersAssign extends BaseCommand<typeof PclusterUsersAssign> {
  static override summary =
    'Assign a user to an IM and Presence node by hand (ADM-8); warns when a node or group goes over the PRG-10 limits'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override flags = {
    node: Flags.string({char: 'n', description: 'IM and Presence node of a presence redundancy group', required: true}),
    yes: mutatingFlags.yes,
  }
  static override examples = ['<%= config.bin %> pcluster users assign jdoe --node imp-sub']

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/presence-users/assign', {
      body: {user: this.args.user, node: this.flags.node},
    })
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
