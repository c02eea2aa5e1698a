import * as Args from '@oclif/core/args'
import {envelope, LocalCommand, nodeConfigFlag} from '../../../lib/cli/base-command.js'

export default class AgentTokenRevoke extends LocalCommand<typeof AgentTokenRevoke> {
  static override summary = 'Remove a token from node.yaml (restart the agent for it to take effect)'
  static override args = {id: Args.string({description: 'the token id, as in agent token list', required: true})}
  static override flags = {config: nodeConfigFlag}

  async run() {
    const {revokeToken} = await import('../../../lib/host/node-setup.js')
    const t = await revokeToken(this.flags.config, this.args.id)
    return this.output(envelope('AgentToken', {config: this.flags.config, ...t, revoked: true}), {
      columns: ['TOKEN ID', 'ROLE', 'REVOKED'],
      rows: [[t.id, t.role, 'yes']],
      notes: ['restart the agent for it to take effect'],
    })
  }
}
