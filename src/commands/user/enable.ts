import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, userOutcome} from '../../lib/cli/administration.js'

export default class UserEnable extends BaseCommand<typeof UserEnable> {
  static override summary =
    '"Enable User for Unified CM IM and Presence" (ADM-2): the user needs Home Cluster on; an unassigned user goes to the least loaded IM and Presence node (PRG-10)'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> user enable jdoe']

  async run() {
    const r = await configCall(await this.target(), 'POST /v1/config/users/:id/enable', {params: {id: this.args.user}})
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
