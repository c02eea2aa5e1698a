import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import type {ServiceStatus} from '../../lib/agent/node-manager.js'

export default class ServiceList extends BaseCommand<typeof ServiceList> {
  static override summary = "List a node's service processes: state, pid, restarts, startup type (SVC-1, SVC-3)"
  static override flags = {node: Flags.string({char: 'n', description: 'node to list (required when the context has several)'})}
  static override examples = ['<%= config.bin %> service list --node ctios-a', '<%= config.bin %> service list --node ctios-a --json']

  async run() {
    const {target, client} = await this.node(this.flags.node)
    const {node, services} = await client.get<{node: string; services: ServiceStatus[]}>('/v1/services')
    const uptime = (ms: number | null) => (ms === null ? '' : ms < 60_000 ? `${Math.floor(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m`)
    return this.output(envelope('ServiceList', {context: target.context, node, services}), {
      title: `context ${target.context} · node ${node}`,
      columns: ['SERVICE', 'STATE', 'PID', 'RESTARTS', 'STARTUP', 'CONSOLE', 'UPTIME', 'LAST EXIT'],
      stateColumn: 1,
      rows: services.map((s) => [
        s.name,
        s.state,
        s.pid,
        s.restarts,
        s.startup,
        s.console ? 'yes' : 'no',
        uptime(s.uptimeMs),
        s.lastExit ? (s.lastExit.signal ?? `code ${s.lastExit.code}`) : '',
      ]),
    })
  }
}
