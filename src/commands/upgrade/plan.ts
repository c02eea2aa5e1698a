import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {clusterFromAgents, clusterFromTopology, planOutcome} from '../../lib/cli/upgrade.js'
import {planUpgrade} from '../../lib/domain/upgrade.js'
import {parseVersion} from '../../lib/domain/version.js'

export default class UpgradePlan extends BaseCommand<typeof UpgradePlan> {
  static override summary =
    'The ordered upgrade steps of a Unified CM and IM and Presence cluster: standard (UPG-5) or refresh (UPG-6) by its versions'
  static override description =
    "Reads the versions of the cluster (the context's agents, or a topology file with --topology), decides " +
    'the standard or refresh upgrade and prints its steps with the nodes of each; the nodes of a step may run ' +
    'in parallel (UPG-7). With agents, DONE says which steps have finished. The --json output is a runbook ' +
    'that `ucctl upgrade validate --plan -` accepts.'
  static override flags = {
    to: Flags.string({description: 'target release or version for both products (e.g. 9.0(1))', required: true}),
    topology: Flags.string({description: 'read the versions from this topology file instead of the agents (offline)'}),
    cluster: Flags.string({description: 'the Unified CM cluster, when there are several'}),
  }
  static override examples = [
    '<%= config.bin %> upgrade plan --to "9.0(1)"',
    '<%= config.bin %> upgrade plan --to "9.0(1)" --topology site.yaml --json',
  ]

  async run() {
    const to = parseVersion(this.flags.to).text
    const picture = this.flags.topology
      ? await clusterFromTopology(this.flags.topology, this.flags.cluster)
      : await clusterFromAgents(await this.target(), this.flags.cluster)
    const {doc, view} = planOutcome(planUpgrade(picture.cluster, to), picture)
    return this.output(doc, view)
  }
}
