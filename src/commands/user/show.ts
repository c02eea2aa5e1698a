import * as Args from '@oclif/core/args'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {configRequest, enc, userOutcome} from '../../lib/cli/administration.js'
import type {EndUser} from '../../lib/domain/administration.js'

export default class UserShow extends BaseCommand<typeof UserShow> {
  static override summary = 'One end user as End User Configuration shows it'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override examples = ['<%= config.bin %> user show jdoe']

  async run() {
    const r = await configRequest<{user: EndUser}>(await this.target(), 'GET', `/v1/config/users/${enc(this.args.user)}`)
    const o = userOutcome(r)
    return this.output(o.doc, o.view)
  }
}
