import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {envelope, LocalCommand, nodeConfigFlag} from '../../../lib/cli/base-command.js'
import {TOKEN_ROLES} from '../../../lib/api/contract.js'

export default class AgentTokenAdd extends LocalCommand<typeof AgentTokenAdd> {
  static override summary = 'Make a token for this agent: printed once, its SHA-256 added to node.yaml'
  static override description =
    'The running agent reads its tokens when it starts: restart it (systemctl restart ucctl-agent) for the token to work.'
  static override args = {id: Args.string({description: 'who holds the token (recorded in the audit log)', required: true})}
  static override flags = {
    config: nodeConfigFlag,
    role: Flags.string({description: 'viewer reads; operator reads and acts', options: [...TOKEN_ROLES], required: true}),
  }
  static override examples = ['<%= config.bin %> agent token add alice --role operator --config /etc/ucctl/node.yaml']

  async run() {
    const {addToken} = await import('../../../lib/host/node-setup.js')
    const t = await addToken(this.flags.config, this.args.id, this.flags.role as (typeof TOKEN_ROLES)[number])
    return this.output(envelope('AgentToken', {config: this.flags.config, ...t}), {
      columns: ['TOKEN ID', 'ROLE', 'TOKEN (shown once)'],
      rows: [[t.id, t.role, t.token]],
      notes: ['restart the agent for it to take effect'],
    })
  }
}
