import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {submitAction} from '../../lib/cli/operation.js'
import {planOutcome} from '../../lib/cli/plan.js'
import {assertUpgradable} from '../../lib/cli/upgrade.js'
import {installableVersion} from '../../lib/domain/version.js'

export default class NodeUpgrade extends BaseCommand<typeof NodeUpgrade> {
  static override summary = 'Install a version on the inactive partition of a Unified CM or IM and Presence node (UPG-5, UPG-6)'
  static override description =
    "The node's agent first validates the action against the whole cluster (UPG-4): the step order of the " +
    'standard or refresh upgrade (UPG-5/UPG-6), the Unified CM release on a CUCM partition before IM and ' +
    'Presence (UPG-3), the same five version fields as the first upgraded IM and Presence node (UPG-2) and ' +
    'the same major.minor (UPG-1). A refusal is exit 5 naming the rule; nothing runs. The active partition ' +
    'keeps running until `ucctl node switch-version`. With the documented timing an install takes an hour: ' +
    'pass --timeout, or --no-wait and follow it with `ucctl events --follow`.'
  static override args = {node: Args.string({description: 'node to upgrade', required: true})}
  static override flags = {
    version: Flags.string({description: 'version to install, all five fields (e.g. 9.0.1.10000-9)', required: true}),
    ...mutatingFlags,
  }
  static override examples = [
    '<%= config.bin %> node upgrade cucm-pub --version 9.0.1.10000-37',
    '<%= config.bin %> node upgrade imp-pub --version 9.0.1.10000-9 --dry-run',
  ]

  async run() {
    const version = installableVersion(this.flags.version)
    const {client} = await this.node(this.args.node)
    await assertUpgradable(client)
    const request = {body: {version}}
    const r = this.flags['dry-run']
      ? planOutcome(await client.preview('POST /v1/node/upgrade', request))
      : await submitAction(client, 'POST /v1/node/upgrade', request, this.flags, (m) => this.progress(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
