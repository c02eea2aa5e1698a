import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {checkOutcome} from '../../lib/cli/check.js'
import {clusterFromAgents, clusterFromTopology, parseRunbook, readInput} from '../../lib/cli/upgrade.js'
import {validatePlan} from '../../lib/domain/upgrade-runbook.js'
import {parseVersion} from '../../lib/domain/version.js'
import {UsageError} from '../../lib/errors.js'

export default class UpgradeValidate extends BaseCommand<typeof UpgradeValidate> {
  static override summary =
    "Check a runbook's upgrade steps against the documented order (UPG-5, UPG-6, UPG-7) before the maintenance window"
  static override description =
    'The runbook is YAML or JSON: a list of steps {number, action: upgrade|switch-version, nodes: [...]}, or a ' +
    'document with `steps:` and its target (`to: 9.0(1)`), such as the output of `ucctl upgrade plan --json`. ' +
    "Steps with the same number run in parallel. Versions come from the context's agents, or from a topology " +
    'file with --topology (offline, no agent needed). Each violation names its step, node and rule; exit 3.'
  static override flags = {
    plan: Flags.string({description: 'runbook file (YAML or JSON); - reads stdin', required: true}),
    to: Flags.string({description: "target release or version (default: the runbook's `to`)"}),
    topology: Flags.string({description: 'read the versions from this topology file instead of the agents (offline)'}),
    cluster: Flags.string({description: 'the Unified CM cluster, when there are several'}),
  }
  static override examples = [
    '<%= config.bin %> upgrade validate --plan window.yaml --topology site.yaml',
    '<%= config.bin %> upgrade plan --to "9.0(1)" --json | <%= config.bin %> upgrade validate --plan -',
  ]

  async run() {
    const source = this.flags.plan === '-' ? 'stdin' : this.flags.plan
    const runbook = await parseRunbook(await readInput(this.flags.plan), source)
    const target = this.flags.to === undefined ? runbook.target : parseVersion(this.flags.to).text
    if (target === undefined)
      throw new UsageError(`runbook ${source} names no target version`, {hint: 'pass --to 9.0(1), or add `to: 9.0(1)` to the runbook'})
    const picture = this.flags.topology
      ? await clusterFromTopology(this.flags.topology, this.flags.cluster)
      : await clusterFromAgents(await this.target(), this.flags.cluster)
    const r = checkOutcome(validatePlan(picture.cluster, target, runbook.steps), {plan: source, cluster: picture.name, target})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
