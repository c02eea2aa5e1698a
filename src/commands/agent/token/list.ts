import {envelope, LocalCommand, nodeConfigFlag} from '../../../lib/cli/base-command.js'

export default class AgentTokenList extends LocalCommand<typeof AgentTokenList> {
  static override summary = "List the agent's tokens: id and role (the tokens themselves are not kept)"
  static override flags = {config: nodeConfigFlag}

  async run() {
    const {listTokens} = await import('../../../lib/host/node-setup.js')
    const tokens = await listTokens(this.flags.config)
    return this.output(envelope('AgentTokenList', {config: this.flags.config, tokens}), {
      columns: ['TOKEN ID', 'ROLE'],
      rows: tokens.map((t) => [t.id, t.role]),
    })
  }
}
