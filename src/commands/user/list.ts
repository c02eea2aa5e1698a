import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {configCall, userListOutcome} from '../../lib/cli/administration.js'

export default class UserList extends BaseCommand<typeof UserList> {
  static override summary =
    'End users of the Unified CM configuration database: Home Cluster, IM and Presence, service profile, presence node (ADM-2)'
  static override flags = {
    enabled: Flags.boolean({description: 'only users enabled for IM and Presence (--no-enabled: only the others)', allowNo: true}),
    profile: Flags.string({description: 'only users whose service profile (own or the default) is this one'}),
    node: Flags.string({description: 'only users assigned to this IM and Presence node'}),
    limit: Flags.integer({description: 'at most this many users (a page)', min: 1, max: 100_000}),
    offset: Flags.integer({description: 'skip this many users first (the next page)', min: 0}),
  }
  static override examples = ['<%= config.bin %> user list --enabled --node imp-sub --limit 50', '<%= config.bin %> user list --json']

  async run() {
    const {enabled, profile, node, limit, offset} = this.flags
    const r = await configCall(await this.target(), 'GET /v1/config/users', {query: {enabled, profile, node, limit, offset}})
    const o = userListOutcome(r, {limit, offset})
    return this.output(o.doc, o.view)
  }
}
