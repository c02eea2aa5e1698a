import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {pickGroup, presenceGroups} from '../../lib/cli/presence.js'
import {type PresenceStatus, STATUS_ICONS} from '../../lib/domain/presence-viewer.js'
import {viewerOf} from '../../lib/cli/presence-viewer.js'
import {NotFoundError} from '../../lib/errors.js'

export default class PclusterUser extends BaseCommand<typeof PclusterUser> {
  static override summary =
    "End user presence viewer: a user's presence status (also as a watcher sees it), contacts, watchers and IM and Presence node"
  static override description =
    `As the viewer of IM and Presence administration: User Status (Available, Away, Do Not Disturb, Unavailable, Custom), contacts by group and watchers (a contact or watcher in several groups counts once), the node the user is assigned to and the one serving it now, and a warning when the configured maximum of contacts or watchers is exceeded, or when AXL, Presence Engine or Proxy is not running on that node (presence is then not valid).
--as shows the status from a watcher's perspective (a privacy policy may show Unavailable).`
  static override args = {user: Args.string({description: 'user id (e.g. user00001@example.com)', required: true})}
  static override flags = {
    as: Flags.string({description: 'View From Perspective of: the watcher whose view to show (at most 128 characters)'}),
    group: Flags.string({description: 'presence redundancy group (default: the only one)'}),
    'accessible-icons': Flags.boolean({description: 'Enable accessible presence icons: a shape per status, readable without colour'}),
  }
  static override examples = [
    '<%= config.bin %> pcluster user user00001@example.com',
    '<%= config.bin %> pcluster user user00008@example.com --as user00009@example.com --json',
  ]

  async run() {
    const target = await this.target()
    const {groups} = await presenceGroups(target)
    const g = pickGroup(groups, this.flags.group)
    const ref = target.nodes.find((n) => n.name === g.best.node)
    if (!ref) throw new NotFoundError(`no answering node in presence redundancy group ${g.name}`)
    const v = await viewerOf(target, ref, this.args.user, this.flags.as)
    for (const w of v.warnings) this.notice(`warning: ${w}`)
    const icons = STATUS_ICONS[this.flags['accessible-icons'] ? 'accessible' : 'standard']
    const status = (id: string, s: Record<string, PresenceStatus>) => `${icons[s[id]] ?? ''} ${s[id] ?? ''}`.trim()
    // Per group with each one's status, those in no group after the groups (ADM-7).
    const contactRows = [
      ...v.contacts.groups.flatMap((grp) => grp.contacts.map((c) => ['contact', grp.name, c, status(c, v.contacts.statuses)])),
      ...v.contacts.ungrouped.map((c) => ['contact', '(no group)', c, status(c, v.contacts.statuses)]),
      ...v.watchers.groups.flatMap((grp) => grp.watchers.map((w) => ['watcher', grp.name, w, status(w, v.watchers.statuses)])),
    ]
    return this.output(envelope('PresenceView', {...v, accessibleIcons: this.flags['accessible-icons']}), {
      title: `${icons[v.status]} ${v.user}: ${v.status}${v.customText ? ` (${v.customText})` : ''}${v.perspective ? ` as seen by ${v.perspective}` : ''} · assigned to ${v.server.assigned}, on ${v.server.signedInTo} · ${v.contacts.count} contacts, ${v.watchers.count} watchers`,
      columns: ['LIST', 'GROUP', 'USER', 'STATUS'],
      rows: contactRows,
      notes: v.prerequisites.map((p) => `${p.ok ? 'ok' : 'NOT MET'}: ${p.name} (${p.detail})`),
    })
  }
}
