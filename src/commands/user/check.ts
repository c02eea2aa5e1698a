import * as Args from '@oclif/core/args'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {userCheck} from '../../lib/cli/administration.js'

export default class UserCheck extends BaseCommand<typeof UserCheck> {
  static override summary =
    'Check end users for IM and Presence: licence and service profile (ADM-1), directory services (ADM-5), line appearance (ADM-6), node services and contact limits (ADM-7); exit 3 on errors'
  static override strict = false
  static override args = {users: Args.string({description: 'user ids (default: every user)'})}
  static override examples = ['<%= config.bin %> user check', '<%= config.bin %> user check jdoe asmith --json']

  async run() {
    const {argv} = await this.parse(UserCheck)
    const r = await userCheck(await this.target(), argv as string[])
    return this.output(r.doc, r.view, r.exitCode)
  }
}
