// `service list` over one node (its list, as always) or several (one table with a NODE column,
// each node's outcome kept: DESIGN.md "Reading several nodes").
import type {ServiceStatus} from '../api/schemas.js'
import {AgentClient} from '../client/agent-client.js'
import {readNodes, requireAnAnswer, unreadMark, unreadOf, warnUnread} from '../client/outcome.js'
import {type Envelope, envelope} from './base-command.js'
import type {View} from './render.js'
import {pickNode, type Target} from './target.js'

const COLUMNS = ['SERVICE', 'STATE', 'PID', 'RESTARTS', 'STARTUP', 'CONSOLE', 'UPTIME', 'LAST EXIT']
const uptime = (ms: number | null) => (ms === null ? '' : ms < 60_000 ? `${Math.floor(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m`)
const row = (s: ServiceStatus) => [
  s.name,
  s.state,
  s.pid,
  s.restarts,
  s.startup,
  s.console ? 'yes' : 'no',
  uptime(s.uptimeMs),
  s.lastExit ? (s.lastExit.signal ?? `code ${s.lastExit.code}`) : '',
]

export async function nodeServices(target: Target, names: string[], warn: (m: string) => void): Promise<{doc: Envelope; view: View}> {
  const nodes = names.length > 0 ? [...new Set(names.map((n) => pickNode(target, n)))] : target.nodes
  if (nodes.length === 1) {
    const {node, services} = await new AgentClient(nodes[0]).call('GET /v1/services')
    return {
      doc: envelope('ServiceList', {context: target.context, node, services}),
      view: {title: `context ${target.context} · node ${node}`, columns: COLUMNS, stateColumn: 1, rows: services.map(row)},
    }
  }
  const answers = await readNodes(nodes, (n) => new AgentClient(n).call('GET /v1/services'))
  requireAnAnswer(answers, `services of context ${target.context}`)
  warnUnread(unreadOf(answers), warn)
  return {
    doc: envelope('ServiceList', {
      context: target.context,
      nodes: answers.map((a) => (a.ok ? {name: a.node.name} : {name: a.node.name, error: a.error})),
      services: answers.flatMap((a) => (a.ok ? a.value.services.map((s) => ({node: a.node.name, ...s})) : [])),
    }),
    view: {
      title: `context ${target.context}`,
      columns: ['NODE', ...COLUMNS],
      stateColumn: 2,
      keyColumns: [1],
      rows: answers.flatMap((a) =>
        a.ok
          ? a.value.services.map((s) => [a.node.name, ...row(s)])
          : [[a.node.name, '', unreadMark(a.error), '', '', '', '', '', a.error.message]],
      ),
    },
  }
}
