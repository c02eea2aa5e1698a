import * as Flags from '@oclif/core/flags'
import {BaseCommand, watchFlag} from '../../lib/cli/base-command.js'
import {ctiosStatus} from '../../lib/cli/ctios-status.js'
import {productNode} from '../../lib/cli/product-nodes.js'

export default class CtiosStatus extends BaseCommand<typeof CtiosStatus> {
  static override summary =
    "A CTI OS node's related components and their state, its softphones (connected / Offline), the last snapshot (CTI-1..5)"
  static override description =
    `Components: the Peripheral Gateway pair (active side), the CTI Server pair, this CTI OS server (its CtiosServerNode
process) and its peer, the switches, and the IP phones out of service.`
  static override flags = {
    watch: watchFlag,
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
  }
  static override examples = ['<%= config.bin %> ctios status', '<%= config.bin %> ctios status --node ctios-a --json']

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'ctios', 'CTI OS failover')
    const r = await ctiosStatus(client)
    return this.output(r.doc, r.view, r.exitCode)
  }
}
