import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../../lib/cli/base-command.js'
import {logoutAgent} from '../../../lib/cli/ctios-settings.js'
import {productNode} from '../../../lib/cli/product-nodes.js'

export default class CtiosAgentLogout extends BaseCommand<typeof CtiosAgentLogout> {
  static override summary =
    'Log an agent out on the CTI OS server, as a supervisor (LOAD-5: after a desktop crash with RejectIfAlreadyLoggedIn = 1)'
  static override description =
    `The agent is Logged Out on the server; its desktop, if connected, sees it. Then the agent restarts the desktop and logs
in by hand with the password.`
  static override args = {agent: Args.string({description: 'agent ID (as its softphone: agent-001)', required: true})}
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
    ...mutatingFlags,
  }
  static override examples = ['<%= config.bin %> ctios agent logout agent-007']

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'ctios', 'agent logout')
    const r = await logoutAgent(client, this.args.agent, this.flags, (m) => this.progress(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
