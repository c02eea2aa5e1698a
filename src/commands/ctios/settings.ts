import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {ctiosSettings} from '../../lib/cli/ctios-settings.js'
import {productNode} from '../../lib/cli/product-nodes.js'

export default class CtiosSettingsCommand extends BaseCommand<typeof CtiosSettingsCommand> {
  static override summary = "Show or set the CTI OS server's desktop connection profile: RejectIfAlreadyLoggedIn (LOAD-5)"
  static override description =
    `1: a login with an agent ID already logged in is refused; a desktop that crashes while its agent is logged in
(with or without a call) leaves the agent logged in on the server, and the restarted desktop's login is refused until a
supervisor runs "ucctl ctios agent logout AGENT"; the agent then logs in by hand.
0: a desktop that comes back while its agent is still logged in is re-logged in automatically, its state set as after any
failover (LOAD-2: Not Ready with /LOAD 0; CTI-7 with /LOAD 1).`
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
    'reject-if-already-logged-in': Flags.string({description: 'set RejectIfAlreadyLoggedIn', options: ['0', '1']}),
    ...mutatingFlags,
  }
  static override examples = [
    '<%= config.bin %> ctios settings',
    '<%= config.bin %> ctios settings --reject-if-already-logged-in 1 --node ctios-a',
  ]

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'ctios', 'the desktop connection profile')
    const value = this.flags['reject-if-already-logged-in']
    const r = await ctiosSettings(client, {
      rejectIfAlreadyLoggedIn: value === undefined ? undefined : (Number(value) as 0 | 1),
      dryRun: this.flags['dry-run'],
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
