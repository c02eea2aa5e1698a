import {BaseCommand, nodeConfigFlag} from '../../lib/cli/base-command.js'
import {UsageError} from '../../lib/errors.js'

export default class AgentServe extends BaseCommand<typeof AgentServe> {
  // Logs are JSON lines already, and no context applies: neither flag means anything here.
  static override enableJsonFlag = false
  static override baseFlags = {} as typeof BaseCommand.baseFlags
  static override summary = "Run this node's agent: NodeManager, state store and the HTTP API under /v1"
  static override description = 'Runs in the foreground until SIGTERM or SIGINT, then stops the services, flushes the state and exits 0. Logs are JSON lines on stderr.'
  static override flags = {config: nodeConfigFlag}
  static override examples = ['<%= config.bin %> agent serve --config /etc/ucctl/node.yaml']

  async run() {
    const [{loadNodeConfig}, {startAgent}, {servingFindings}] = await Promise.all([
      import('../../lib/agent/config.js'),
      import('../../lib/agent/server.js'),
      import('../../lib/agent/node-setup.js'),
    ])
    const config = await loadNodeConfig(this.flags.config)
    for (const f of await servingFindings(config, this.flags.config)) {
      if (f.severity === 'error') throw new UsageError(`refusing to serve: ${f.message}`, {hint: f.fix})
      process.stderr.write(JSON.stringify({level: 40, time: Date.now(), msg: `${f.message} (${f.fix})`}) + '\n')
    }
    const agent = await startAgent(config)
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stderr.write(JSON.stringify({level: 30, time: Date.now(), msg: `${signal}: shutting down`}) + '\n')
        agent.close().then(resolve, resolve)
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
    })
  }
}
