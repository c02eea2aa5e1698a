import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {runbookRun} from '../../lib/cli/runbook-run.js'

export default class RunbookRun extends BaseCommand<typeof RunbookRun> {
  static override summary = 'Run the lines of a runbook in order against a context, once `runbook check` of them passes'
  static override description =
    'Each line runs as the ucctl command it is, against the context (the lab by default); the run stops at the ' +
    'first line that exits non-zero and exits with its code. Before anything runs, the lines are checked as ' +
    '`ucctl runbook check` does, from the current state: a refused line runs nothing (exit 3). After each line ' +
    'the state reached is read and compared with the state the check predicted. The transcript (JSON, kind ' +
    'RunbookRun: line, command, exit code, start and end time, state reached) is written as the run goes.'
  static override args = {file: Args.string({description: 'runbook file', required: true})}
  static override flags = {
    step: Flags.boolean({description: 'ask before each line (needs a terminal)'}),
    from: Flags.integer({description: 'resume: run from this line of the file', default: 1, min: 1}),
    transcript: Flags.string({description: 'where to write the transcript (default: FILE.transcript.json)'}),
    settle: Flags.integer({
      description: 'seconds to wait after a line for the state the check predicted (transitions that end by themselves)',
      default: 30,
      min: 0,
    }),
  }
  static override examples = [
    '<%= config.bin %> runbook run window.ucctl',
    '<%= config.bin %> runbook run window.ucctl --step',
    '<%= config.bin %> runbook run window.ucctl --from 18 --transcript window-2.json',
  ]

  async run() {
    const r = await runbookRun({
      config: this.config,
      file: this.args.file,
      target: () => this.target(),
      from: this.flags.from,
      step: this.flags.step,
      transcript: this.flags.transcript,
      settleMs: this.flags.settle * 1000,
      notice: (m) => this.notice(m),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
