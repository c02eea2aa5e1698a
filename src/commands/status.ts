import {BaseCommand, envelope, watchFlag} from '../lib/cli/base-command.js'
import {AgentClient, fanOut} from '../lib/client/agent-client.js'
import {UcctlError, UnreachableError} from '../lib/errors.js'

interface NodeInfo {
  name: string
  product: string
  role: string
  version: string
  cluster: string
  health: string
  services: {running: number; total: number}
}

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Every node of the context: product, role, version, URL, health, services running/total'
  static override flags = {watch: watchFlag}
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json | jq ".nodes[] | select(.health != \\"ok\\")"']

  async run() {
    const target = await this.target()
    const answers = await fanOut(target.nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).get<NodeInfo>('/v1/node'))
    const nodes = answers.map((a) =>
      a.ok
        ? {...a.value, name: a.node.name, url: a.node.url}
        : {
            name: a.node.name,
            url: a.node.url,
            product: null,
            role: null,
            version: null,
            health: 'unreachable',
            services: {running: 0, total: 0},
            error: a.error instanceof UcctlError ? a.error.message : String(a.error),
          },
    )
    // A query of many nodes fails only when none answered (exit 7).
    if (answers.length > 0 && answers.every((a) => !a.ok)) {
      const first = answers[0] as {error: unknown}
      throw first.error instanceof UnreachableError ? first.error : new UnreachableError(`no node of context ${target.context} answered`)
    }
    return this.output(envelope('NodeList', {context: target.context, nodes}), {
      title: `context ${target.context}`,
      columns: ['NODE', 'PRODUCT', 'ROLE', 'VERSION', 'HEALTH', 'SERVICES', 'URL'],
      stateColumn: 4,
      rows: nodes.map((n) => [n.name, n.product, n.role, n.version, n.health, `${n.services.running}/${n.services.total}`, n.url]),
    })
  }
}
