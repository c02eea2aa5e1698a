import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {runbookCheck} from '../../lib/cli/runbook.js'

export default class RunbookCheck extends BaseCommand<typeof RunbookCheck> {
  static override summary = "Simulate a runbook's ucctl commands in order on the rules, before the maintenance window"
  static override description =
    'FILE holds one ucctl command per line (the word ucctl optional), # comments, blank lines, shell quoting and ' +
    "\\ line continuation. Each line is parsed with its command's own flags (an unknown command or flag is a " +
    "finding with its line), then simulated on the domain model from the context's current state, or from a " +
    'snapshot (ucctl snapshot save). Each line says allowed or refused (rule, message, fix), the state after it ' +
    '(statuses, PRG-7 row, versions and partitions, users per node) and its effects (users failing over, calls ' +
    'dropped). Lines the model cannot simulate are named. The first refused line fails the check (exit 3).'
  static override args = {file: Args.string({description: 'runbook file; - reads stdin', required: true})}
  static override flags = {
    snapshot: Flags.string({description: "simulate from this snapshot file instead of the context's current state"}),
  }
  static override examples = [
    '<%= config.bin %> runbook check window.ucctl',
    '<%= config.bin %> snapshot save before.json && <%= config.bin %> runbook check window.ucctl --snapshot before.json --json',
  ]

  async run() {
    const r = await runbookCheck({
      config: this.config,
      file: this.args.file,
      snapshot: this.flags.snapshot,
      target: () => this.target(),
      nowMs: Date.now(),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
