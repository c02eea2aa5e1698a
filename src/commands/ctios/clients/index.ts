import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../../lib/cli/base-command.js'
import {ctiosClients, type SoftphoneRow} from '../../../lib/cli/ctios-status.js'
import {productNode} from '../../../lib/cli/product-nodes.js'

export default class CtiosClients extends BaseCommand<typeof CtiosClients> {
  static override summary =
    "A CTI OS node's softphones: connected, Offline (and why: CTI-1..5) or disconnected, with their IP phone and switch"
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
    phone: Flags.string({description: 'only the softphone of this IP phone'}),
    switch: Flags.string({description: 'only the softphones of this switch'}),
    connection: Flags.string({description: 'only softphones in this connection state', options: ['connected', 'Offline', 'disconnected']}),
  }
  static override examples = [
    '<%= config.bin %> ctios clients --switch switch-2',
    '<%= config.bin %> ctios clients --connection Offline --json',
  ]

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'ctios', 'CTI OS failover')
    const r = await ctiosClients(client, {
      phone: this.flags.phone,
      switch: this.flags.switch,
      connection: this.flags.connection as SoftphoneRow['connection'] | undefined,
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
