import * as Flags from '@oclif/core/flags'
import {BaseCommand, watchFlag} from '../lib/cli/base-command.js'
import {AgentClient} from '../lib/client/agent-client.js'
import {readNodes} from '../lib/client/outcome.js'
import {nodeListOutcome} from '../lib/cli/node-list.js'

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Every node of the context: product, role, version, URL, health, services running/total'
  static override flags = {
    watch: watchFlag,
    check: Flags.boolean({
      description: 'exit 3 unless every node was read and is ok (like systemctl is-active), naming those that are not',
    }),
  }
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --check && echo all ok',
    '<%= config.bin %> status --json | jq ".nodes[] | select(.health != \\"ok\\")"',
  ]

  async run() {
    const target = await this.target()
    const outcomes = await readNodes(target.nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).call('GET /v1/node'))
    const r = nodeListOutcome(target.context, outcomes, {
      check: this.flags.check,
      title: `context ${target.context}`,
      notice: (m) => this.notice(m),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
