// What the Server Recovery Manager answers of its group (./srm-routes.ts): the group as this
// node sees it, its users, the end user presence viewer, and what a stop of critical services
// would do (in the previews of actions). Reads only: the SRM's state comes in.
import type {Answer} from '../api/index.js'
import {type ActionEffect, type EffectAction, presenceStopEffect, stopsService} from '../domain/effects.js'
import {type GroupState, groupStatus} from '../domain/presence-redundancy.js'
import type {SrmState} from '../domain/presence-srm.js'
import {viewPresence} from '../domain/presence-viewer.js'
import {NotFoundError} from '../errors.js'
import type {AgentContext} from './module.js'
import type {UserTable} from './presence-users.js'
import type {PresenceSettings} from './srm-settings.js'
import {directoryOf} from './sync-agent.js'

export class SrmReads {
  constructor(
    private readonly ctx: AgentContext,
    private readonly settings: PresenceSettings,
    private readonly table: UserTable,
    private readonly critical: readonly string[],
    private readonly srmService: string,
    readonly group: string,
    private readonly nodes: readonly [string, string],
  ) {}

  private get me(): string {
    return this.ctx.config.name
  }

  private get peer(): string {
    return this.settings.peer
  }

  /** The group as this node sees it, with user counts from its replica of the assignment. */
  private withCounts(s: GroupState): GroupState {
    const counts = this.table.counts()
    return {
      ...s,
      nodes: [
        {...s.nodes[0], users: counts[0].users, assignedUsers: counts[0].assignedUsers},
        {...s.nodes[1], users: counts[1].users, assignedUsers: counts[1].assignedUsers},
      ],
    }
  }

  view(s: GroupState, srm: SrmState, version: number): Answer<'GET /v1/presence'> {
    const state = this.withCounts(s)
    const status = groupStatus(state)
    const j = this.table.journal
    return {
      node: this.me,
      group: this.group,
      peer: this.peer,
      version,
      srm: {running: srm.srm !== 'stopped', initializing: srm.srm === 'initializing'},
      state,
      status: {
        ...status,
        autoFallback: state.autoFallback,
        nodes: status.nodes.map((n, i) => ({...n, up: state.nodes[i].up, assignedUsers: state.nodes[i].assignedUsers})),
      },
      criticalServices: [...this.critical, ...(this.settings.databaseService ? [this.settings.databaseService] : []), this.srmService].map(
        (n) => {
          const s = this.ctx.nodeManager.status(n)
          return {name: n, state: s.state, critical: n !== this.srmService}
        },
      ),
      move: j ? {from: j.from, to: j.to, moved: j.done, total: j.users.length} : null,
      facts: {
        ...(this.settings.capacity !== undefined ? {capacity: this.settings.capacity} : {}),
        ...(this.settings.cpuPercent !== undefined ? {cpuPercent: this.settings.cpuPercent} : {}),
        ...(this.settings.wan ? {wan: this.settings.wan} : {}),
      },
    }
  }

  /** The end user presence viewer (seed 003) for one user, from this node's replica. */
  async presenceViewer(user: string, as: string | undefined): Promise<Answer<'GET /v1/presence/users/:id'>> {
    const assignment = this.table.placeOf(user)
    if (!assignment) throw new NotFoundError(`no user ${user} in presence redundancy group ${this.group}`)
    let services: Record<string, string | undefined>
    if (assignment.signedInTo === this.me) {
      services = Object.fromEntries(this.ctx.nodeManager.list().map((s) => [s.name, s.state]))
    } else {
      try {
        const r = await this.ctx.peer(assignment.signedInTo).call('GET /v1/services')
        services = Object.fromEntries(r.services.map((s) => [s.name, s.state]))
      } catch {
        services = {}
      }
    }
    const view = viewPresence({
      directory: directoryOf(this.table),
      user,
      as,
      assignment,
      services,
      limits: {maxContacts: this.settings.maxContacts, maxWatchers: this.settings.maxWatchers},
    })
    return {group: this.group, ...view}
  }

  /** PRG-2/3: the users a stop of critical services would fail over (in the previews of actions). */
  effects(action: EffectAction, v: Answer<'GET /v1/presence'>): ActionEffect[] {
    const stopped = this.critical.filter((n) => stopsService(action, n) && this.ctx.nodeManager.isRunning(n))
    if (stopped.length === 0) return []
    const me = v.status.nodes.find((n) => n.name === this.me)
    const peer = v.status.nodes.find((n) => n.name === this.peer)
    return presenceStopEffect({
      node: this.me,
      peer: this.peer || null,
      services: stopped,
      users: me?.users ?? 0,
      haEnabled: v.status.haEnabled,
      peerUp: peer?.up ?? false,
    })
  }

  users(node: string | undefined): Answer<'GET /v1/presence/groups/:group/users'> {
    if (node && !this.nodes.includes(node))
      throw new NotFoundError(`${node} is not in presence redundancy group ${this.group}`, {hint: `nodes: ${this.nodes.join(', ')}`})
    return {
      node: this.me,
      group: this.group,
      version: this.table.stamp,
      nodes: this.table.counts(),
      ...(node ? {users: this.table.usersOn(node)} : {}),
    }
  }
}
