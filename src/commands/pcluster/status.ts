import * as Args from '@oclif/core/args'
import {BaseCommand, watchFlag} from '../../lib/cli/base-command.js'
import {findGroup, presenceGroups, statusOutcome} from '../../lib/cli/presence.js'
import {warnUnread} from '../../lib/client/outcome.js'

export default class PclusterStatus extends BaseCommand<typeof PclusterStatus> {
  static override summary =
    "Presence redundancy groups: each node's state and reason, users, critical services, HA, and the recommended action (PRG-5..7)"
  static override flags = {watch: watchFlag}
  static override description =
    'The equivalent of `utils ha status [group]`. The state pair of each group is a row of the PRG-7 table, whose recommended action is shown with the actions allowed now (PRG-8).'
  static override args = {group: Args.string({description: 'presence redundancy group (default: every group)'})}
  static override examples = ['<%= config.bin %> pcluster status', '<%= config.bin %> pcluster status prg1 --json']

  async run() {
    const target = await this.target()
    const {groups, unread} = await presenceGroups(target)
    const shown = this.args.group ? [findGroup(groups, this.args.group)] : groups
    warnUnread(unread, (m) => this.notice(m))
    const r = statusOutcome(target, shown, unread)
    return this.output(r.doc, r.view)
  }
}
