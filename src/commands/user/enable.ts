import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configRequest, enc, userOutcome} from '../../lib/cli/administration.js'
import type {EndUser} from '../../lib/domain/administration.js'

export default class UserEnable extends BaseCommand<typeof UserEnable> {
  static override summary =
    '"Enable User for Unified CM IM and Presence" (ADM-2): the user needs Home Cluster on; an unassigned user goes to the least loaded IM and Presence node (PRG-10)'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> user enable jdoe']

  async run() {
    const r = await configRequest<{user: EndUser; warnings: string[]}>(
      await this.target(),
      'POST',
      `/v1/config/users/${enc(this.args.user)}/enable`,
      undefined,
    )
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
