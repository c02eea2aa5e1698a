import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, userOutcome} from '../../lib/cli/administration.js'

export default class UserDisable extends BaseCommand<typeof UserDisable> {
  static override summary = 'Turn IM and Presence off for a user: the user leaves their IM and Presence node'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> user disable jdoe']

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/users/:id/disable', {params: {id: this.args.user}})
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
