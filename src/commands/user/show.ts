import * as Args from '@oclif/core/args'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {configCall, userOutcome} from '../../lib/cli/administration.js'

export default class UserShow extends BaseCommand<typeof UserShow> {
  static override summary = 'One end user as End User Configuration shows it'
  static override args = {user: Args.string({description: 'user id', required: true})}
  static override examples = ['<%= config.bin %> user show jdoe']

  async run() {
    const r = await configCall(await this.target(), 'GET /v1/config/users/:id', {params: {id: this.args.user}})
    const o = userOutcome(r)
    return this.output(o.doc, o.view)
  }
}
