import {BaseCommand, nodeConfigFlag} from '../../lib/cli/base-command.js'

export default class AgentServe extends BaseCommand<typeof AgentServe> {
  // Logs are JSON lines already, and no context applies: neither flag means anything here.
  static override enableJsonFlag = false
  static override baseFlags = {} as typeof BaseCommand.baseFlags
  static override summary = "Run this node's agent: NodeManager, state store and the HTTP API under /v1"
  static override description =
    'Runs in the foreground until SIGTERM or SIGINT, then stops the services, flushes the state and exits 0. Logs are JSON lines on stderr.'
  static override flags = {config: nodeConfigFlag}
  static override examples = ['<%= config.bin %> agent serve --config /etc/ucctl/node.yaml']

  async run() {
    const {serveAgent} = await import('../../lib/host/serve.js')
    // On a real host the agent first refuses what is unsafe (a world-readable secret) and warns
    // about what is risky; the lab's agents skip it (their files are the lab's own, on loopback).
    await serveAgent(this.flags.config, {checkServing: true})
  }
}
