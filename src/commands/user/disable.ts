import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configRequest, enc, userOutcome} from '../../lib/cli/administration.js'
import type {EndUser} from '../../lib/domain/administration.js'

export default class UserDisable extends BaseCommand<typeof UserDisable> {
  static override summary = 'Turn IM and Presence off for a user: the user leaves their IM and Presence node'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> user disable jdoe']

  async run() {
    const r = await configRequest<{user: EndUser; warnings: string[]}>(
      await this.target(),
      'POST',
      `/v1/config/users/${enc(this.args.user)}/disable`,
      undefined,
    )
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
