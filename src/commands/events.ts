import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../lib/cli/base-command.js'
import {parseSince} from '../lib/cli/since.js'
import {pickNode} from '../lib/cli/target.js'
import {AgentClient} from '../lib/client/agent-client.js'
import {readNodes, requireAnAnswer, unreadMark, unreadOf, warnUnread} from '../lib/client/outcome.js'

import type {Answer} from '../lib/api/index.js'

type AuditRecord = Answer<'GET /v1/audit'>['records'][number]

/** The request as it was made: `POST /v1/services/NM/stop`, not the route's template (the body is in the JSON). */
export function auditRequest(r: Pick<AuditRecord, 'method' | 'route'> & {params?: AuditRecord['params']}): string {
  return `${r.method} ${r.route.replaceAll(/:(\w+)/g, (m, k: string) => (r.params?.[k] === undefined ? m : String(r.params[k])))}`
}

export default class Events extends BaseCommand<typeof Events> {
  static override summary = 'Events of the nodes (state changes, alarms, operations), merged by time; --follow streams them'
  static override flags = {
    node: Flags.string({char: 'n', description: 'only this node (repeatable)', multiple: true}),
    since: Flags.string({description: 'from this ISO time or duration back (10m, 2h)'}),
    limit: Flags.integer({description: 'at most this many events per node', default: 200, min: 1, max: 10_000}),
    follow: Flags.boolean({char: 'f', description: 'keep streaming new events (with --json: one Event document per line)'}),
    audit: Flags.boolean({
      description: "the agents' audit log instead: every action request, who (token id and role), what, and the result",
      exclusive: ['follow'],
    }),
  }
  static override examples = ['<%= config.bin %> events --node ctios-a --since 10m', '<%= config.bin %> events --follow --json']

  async run() {
    const target = await this.target()
    const nodes = this.flags.node ? this.flags.node.map((n) => pickNode(target, n)) : target.nodes
    const since = this.flags.since ? parseSince(this.flags.since, Date.now()) : undefined
    if (this.flags.follow) return this.follow(nodes, since)
    if (this.flags.audit) return this.audit(target.context, nodes, since)
    const answers = await readNodes(nodes, (n) => new AgentClient(n).call('GET /v1/events', {query: {since, limit: this.flags.limit}}))
    requireAnAnswer(answers, `events of context ${target.context}`)
    const unread = unreadOf(answers)
    warnUnread(unread, (m) => this.notice(m))
    const events = answers.flatMap((a) => (a.ok ? a.value.events : [])).sort((x, y) => x.time.localeCompare(y.time) || x.seq - y.seq)
    return this.output(envelope('EventList', {context: target.context, events, ...(unread.length ? {unread} : {})}), {
      title: `context ${target.context}`,
      columns: ['TIME', 'NODE', 'TYPE', 'MESSAGE'],
      rows: [
        ...events.map((e) => [e.time, e.node, e.type, e.message]),
        ...unread.map((u) => ['', u.name, unreadMark(u.error), u.error.message]),
      ],
    })
  }

  private async audit(context: string, nodes: Array<{name: string; url: string}>, since: string | undefined) {
    const answers = await readNodes(nodes, (n) => new AgentClient(n).call('GET /v1/audit', {query: {limit: this.flags.limit}}))
    requireAnAnswer(answers, `audit logs of context ${context}`)
    const unread = unreadOf(answers)
    warnUnread(unread, (m) => this.notice(m))
    const records = answers
      .flatMap((a) => (a.ok ? a.value.records.map((r) => ({...r, node: a.value.node})) : []))
      .filter((r) => !since || r.time >= since)
      .sort((x, y) => x.time.localeCompare(y.time))
    return this.output(envelope('AuditList', {context, records, ...(unread.length ? {unread} : {})}), {
      title: `context ${context}: audit log`,
      columns: ['TIME', 'NODE', 'TOKEN', 'ROLE', 'REQUEST', 'STATUS'],
      rows: records.map((r) => [r.time, r.node, r.tokenId, r.role, auditRequest(r), r.status]),
    })
  }

  private async follow(nodes: Array<{name: string; url: string}>, since: string | undefined): Promise<undefined> {
    const {signal, done} = this.interruption()
    const {followEvents} = await import('../lib/cli/follow.js')
    try {
      await followEvents(nodes, {
        since,
        signal,
        onEvent: (e) => this.streamLine('Event', {...e}, [e.time, e.node, e.type, e.message]),
        notice: (m) => this.notice(m),
      })
    } finally {
      done()
    }
    return undefined
  }
}
