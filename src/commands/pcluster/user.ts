import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {AgentClient} from '../../lib/client/agent-client.js'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {pickGroup, presenceGroups} from '../../lib/cli/presence.js'
import type {PresenceView} from '../../lib/domain/presence-viewer.js'
import {NotFoundError} from '../../lib/errors.js'

export default class PclusterUser extends BaseCommand<typeof PclusterUser> {
  static override summary = "End user presence viewer: a user's presence status (also as a watcher sees it), contacts, watchers and IM and Presence node"
  static override description = `As the viewer of IM and Presence administration: User Status (Available, Away, Do Not Disturb, Unavailable, Custom), contacts by group and watchers (a contact or watcher in several groups counts once), the node the user is assigned to and the one serving it now, and a warning when the configured maximum of contacts or watchers is exceeded, or when AXL, Presence Engine or Proxy is not running on that node (presence is then not valid).
--as shows the status from a watcher's perspective (a privacy policy may show Unavailable).`
  static override args = {user: Args.string({description: 'user id (e.g. user00001@example.com)', required: true})}
  static override flags = {
    as: Flags.string({description: 'View From Perspective of: the watcher whose view to show (at most 128 characters)'}),
    group: Flags.string({description: 'presence redundancy group (default: the only one)'}),
  }
  static override examples = ['<%= config.bin %> pcluster user user00001@example.com', '<%= config.bin %> pcluster user user00008@example.com --as user00009@example.com --json']

  async run() {
    const target = await this.target()
    const {groups} = await presenceGroups(target)
    const g = pickGroup(groups, this.flags.group)
    const ref = target.nodes.find((n) => n.name === g.best.node)
    if (!ref) throw new NotFoundError(`no answering node in presence redundancy group ${g.name}`)
    const v = await new AgentClient(ref).get<PresenceView & {group: string}>(`/v1/presence/users/${encodeURIComponent(this.args.user)}`, {as: this.flags.as})
    for (const w of v.warnings) this.notice(`warning: ${w}`)
    const contactRows = [
      ...v.contacts.groups.flatMap((grp) => grp.contacts.map((c) => ['contact', grp.name, c])),
      ...v.contacts.ungrouped.map((c) => ['contact', '(no group)', c]),
      ...v.watchers.groups.flatMap((grp) => grp.watchers.map((w) => ['watcher', grp.name, w])),
    ]
    return this.output(envelope('PresenceView', {...v}), {
      title: `${v.user}: ${v.status}${v.customText ? ` (${v.customText})` : ''}${v.perspective ? ` as seen by ${v.perspective}` : ''} · assigned to ${v.server.assigned}, on ${v.server.signedInTo} · ${v.contacts.count} contacts, ${v.watchers.count} watchers`,
      columns: ['LIST', 'GROUP', 'USER'],
      rows: contactRows,
    })
  }
}
