import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {confirmOrRefuse} from '../../lib/cli/confirm.js'
import {injectFault} from '../../lib/cli/ctios-status.js'
import {productNode} from '../../lib/cli/product-nodes.js'
import {COMPONENTS, type Component, FAULT_ACTIONS, type FaultAction} from '../../lib/domain/cti-failover.js'

export default class CtiosFault extends BaseCommand<typeof CtiosFault> {
  static override summary =
    'Inject a fault of a CTI OS related component and deliver its documented effects to the softphones (CTI-1..5; lab and tests)'
  static override description =
    `ip-phone ID and switch ID (down|up): Offline to exactly their softphones; back in service, agents stay logged out
until they log in again (CTI-4, CTI-5). pg [A|B] and cti-server [A|B] (down|up|switch-side): a side switching is
harmless; the whole pair down is Offline to every softphone, then a snapshot when it is back (CTI-1, CTI-2).
ctios-server down: a real SIGKILL of CtiosServerNode; softphones reconnect to the peer or get Offline, NodeManager
restarts it, then a snapshot (CTI-3). peer (down|up): the peer CTI OS server.
Before a fault that makes softphones fail over, warns that agents must not click (CTI-6) and asks for confirmation.`
  static override args = {
    component: Args.string({description: 'component', required: true, options: [...COMPONENTS]}),
    action: Args.string({description: 'what happens to it', required: true, options: [...FAULT_ACTIONS]}),
    id: Args.string({description: 'IP phone or switch id; A or B for a side of the PG or CTI Server pair'}),
  }
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
    ...mutatingFlags,
  }
  static override examples = [
    '<%= config.bin %> ctios fault switch down switch-2 --yes',
    '<%= config.bin %> ctios fault pg switch-side',
    '<%= config.bin %> ctios fault cti-server down --dry-run',
    '<%= config.bin %> ctios fault ctios-server down --yes',
  ]

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'ctios', 'CTI OS failover')
    const fault = {component: this.args.component as Component, action: this.args.action as FaultAction, id: this.args.id}
    const r = await injectFault(client, fault, this.flags, {
      progress: (m) => this.progress(m),
      notice: (m) => this.notice(m),
      confirm: (q) => confirmOrRefuse(q, this.flags.yes),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
