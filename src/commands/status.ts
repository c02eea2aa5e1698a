import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope, watchFlag} from '../lib/cli/base-command.js'
import {checkOutcome} from '../lib/cli/check.js'
import {AgentClient} from '../lib/client/agent-client.js'
import {type NodeError, readNodes, requireAnAnswer, unreadFindings, unreadMark, unreadOf, warnUnread} from '../lib/client/outcome.js'

interface NodeInfo {
  name: string
  product: string
  role: string
  version: string
  cluster: string
  health: string
  services: {running: number; total: number; failed?: number}
}

/** `health` of a node not read: what a script can test without parsing the message. */
const HEALTH: Record<NodeError['code'], string> = {Unauthorized: 'unauthorized', Forbidden: 'unauthorized', Unreachable: 'unreachable', Timeout: 'unreachable', Error: 'error'}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Every node of the context: product, role, version, URL, health, services running/total'
  static override flags = {
    watch: watchFlag,
    check: Flags.boolean({description: 'exit 3 unless every node was read and is ok (like systemctl is-active), naming those that are not'}),
  }
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --check && echo all ok',
    '<%= config.bin %> status --json | jq ".nodes[] | select(.health != \\"ok\\")"',
  ]

  async run() {
    const target = await this.target()
    const outcomes = await readNodes(target.nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).get<NodeInfo>('/v1/node'))
    requireAnAnswer(outcomes, `status of context ${target.context}`)
    warnUnread(unreadOf(outcomes), (m) => this.notice(m))
    const nodes = outcomes.map((o) =>
      o.ok
        ? {...o.value, name: o.node.name, url: o.node.url}
        : {name: o.node.name, url: o.node.url, product: null, role: null, version: null, health: HEALTH[o.error.code], services: {running: 0, total: 0}, error: o.error},
    )
    if (this.flags.check) {
      const findings = [
        ...unreadFindings(unreadOf(outcomes), 'SVC-4'),
        ...nodes.flatMap((n) =>
          'error' in n || n.health === 'ok'
            ? []
            : [{rule: 'SVC-4', severity: 'error' as const, node: n.name, message: `${n.name} is ${n.health}: ${n.services.failed ?? n.services.total - n.services.running} service(s) Failed`, fix: `ucctl service list --node ${n.name}; start what NodeManager gave up on`}],
        ),
      ]
      const r = checkOutcome({ok: findings.length === 0, findings}, {context: target.context, nodes})
      return this.output(r.doc, r.view, r.exitCode)
    }
    return this.output(envelope('NodeList', {context: target.context, nodes}), {
      title: `context ${target.context}`,
      columns: ['NODE', 'PRODUCT', 'ROLE', 'VERSION', 'HEALTH', 'SERVICES', 'URL'],
      stateColumn: 4,
      rows: nodes.map((n) => [n.name, n.product, n.role, n.version, 'error' in n && n.error ? unreadMark(n.error) : n.health, `${n.services.running}/${n.services.total}`, n.url]),
    })
  }
}
