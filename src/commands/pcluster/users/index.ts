import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {AgentClient} from '../../../lib/client/agent-client.js'
import {BaseCommand, envelope} from '../../../lib/cli/base-command.js'
import {pickGroup, presenceGroups} from '../../../lib/cli/presence.js'
import {NotFoundError} from '../../../lib/errors.js'

export default class PclusterUsers extends BaseCommand<typeof PclusterUsers> {
  static override summary =
    'Users of a presence redundancy group: how many each node serves and is assigned; with --node, the users on that node (PRG-2, PRG-10)'
  static override args = {group: Args.string({description: 'presence redundancy group (default: the only one)'})}
  static override flags = {
    node: Flags.string({char: 'n', description: 'list the users signed in to this node (as the node itself holds them)'}),
  }
  static override examples = ['<%= config.bin %> pcluster users', '<%= config.bin %> pcluster users --node imp-sub --json']

  async run() {
    const target = await this.target()
    const {groups} = await presenceGroups(target)
    const g = pickGroup(groups, this.args.group)
    const node = this.flags.node
    if (node && !g.members.includes(node))
      throw new NotFoundError(`${node} is not in presence redundancy group ${g.name}`, {hint: `nodes: ${g.members.join(', ')}`})
    // A node answers for itself when it can; otherwise the freshest replica of the group does.
    const asked = (node && g.byNode.has(node) ? node : g.best.node) as string
    const ref = target.nodes.find((n) => n.name === asked)!
    const a = await new AgentClient(ref).call('GET /v1/presence/groups/:group/users', {params: {group: g.name}, query: {node}})
    const doc = envelope('PresenceUserList', {
      context: target.context,
      group: g.name,
      source: a.node,
      nodes: a.nodes,
      ...(a.users ? {users: a.users} : {}),
    })
    if (a.users)
      return this.output(doc, {
        title: `group ${g.name} · users on ${node} (as ${a.node} holds them)`,
        columns: ['USER', 'NODE', 'ASSIGNED NODE'],
        rows: a.users.map((u) => [u.id, u.node, u.assignedNode]),
        notes: [`${a.users.length} users`],
      })
    return this.output(doc, {
      title: `group ${g.name} (as ${a.node} holds it)`,
      columns: ['NODE', 'USERS', 'ASSIGNED'],
      rows: a.nodes.map((n) => [n.name, n.users, n.assignedUsers]),
    })
  }
}
