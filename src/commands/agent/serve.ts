import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'

export default class AgentServe extends BaseCommand<typeof AgentServe> {
  static override summary = "Run this node's agent: NodeManager, state store and the HTTP API under /v1"
  static override description = 'Runs in the foreground until SIGTERM or SIGINT, then stops the services, flushes the state and exits 0. Logs are JSON lines on stderr.'
  static override flags = {config: Flags.string({char: 'c', description: 'node configuration file (YAML)', required: true})}
  static override examples = ['<%= config.bin %> agent serve --config /etc/ucctl/node.yaml']

  async run() {
    const {serveAgent} = await import('../../lib/agent/serve.js')
    await serveAgent(this.flags.config)
  }
}
