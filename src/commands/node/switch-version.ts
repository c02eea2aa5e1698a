import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {confirmOrRefuse} from '../../lib/cli/confirm.js'
import {submitAction} from '../../lib/cli/operation.js'
import {planOutcome} from '../../lib/cli/plan.js'
import {assertUpgradable} from '../../lib/cli/upgrade.js'
import {UsageError} from '../../lib/errors.js'

export default class NodeSwitchVersion extends BaseCommand<typeof NodeSwitchVersion> {
  static override summary = "Make a node's inactive partition active and restart its services (UPG-5, UPG-6)"
  static override description =
    'Validated first against the whole cluster (UPG-4): the node must have been upgraded and every earlier ' +
    'step of the standard or refresh order must have finished (UPG-5/UPG-6, UPG-7). A refusal is exit 5 ' +
    'naming the rule; nothing runs. Every service of the node restarts: asks for confirmation.'
  static override args = {node: Args.string({description: 'node to switch', required: true})}
  static override flags = {...mutatingFlags}
  static override examples = [
    '<%= config.bin %> node switch-version cucm-pub --yes',
    '<%= config.bin %> node switch-version imp-sub --dry-run',
  ]

  async run() {
    const {client, node} = await this.node(this.args.node)
    await assertUpgradable(client)
    if (this.flags['dry-run']) {
      const r = planOutcome(await client.preview('POST /v1/node/switch-version'))
      return this.output(r.doc, r.view)
    }
    if (!(await confirmOrRefuse(`Switch ${node.name} to its inactive partition and restart every service?`, this.flags.yes))) {
      throw new UsageError('not confirmed; nothing was changed')
    }
    const r = await submitAction(client, 'POST /v1/node/switch-version', undefined, this.flags, (m) => this.progress(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
