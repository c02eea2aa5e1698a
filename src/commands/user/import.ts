import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {importOutcome, importUsers, readCsvFile} from '../../lib/cli/administration.js'

export default class UserImport extends BaseCommand<typeof UserImport> {
  static override summary =
    'Insert end users from a CSV (BAT Insert Users), with a user template: all lines in one transaction, or none (ADM-2)'
  static override description =
    `The file has a header line naming its columns: userid required; firstname, lastname, mailid, device, extension optional. A template that enables IM and Presence assigns each new user to the least loaded IM and Presence node (PRG-10). A bad line rejects the whole file, reported by its line number (exit 2); --dry-run shows the outcome and changes nothing.`
  static override args = {file: Args.string({description: 'CSV file', required: true})}
  static override flags = {
    template: Flags.string({description: 'user template (or feature group template) whose settings the new users take'}),
    'dry-run': mutatingFlags['dry-run'],
    yes: mutatingFlags.yes,
  }
  static override examples = [
    '<%= config.bin %> user import users.csv --template staff',
    '<%= config.bin %> user import users.csv --template staff --dry-run --json',
  ]

  async run() {
    const csv = readCsvFile(this.args.file)
    const r = await importUsers(
      await this.target(),
      {csv, mode: 'insert', ...(this.flags.template ? {template: this.flags.template} : {})},
      this.flags['dry-run'],
    )
    const o = importOutcome(r)
    for (const warning of r.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view, o.exitCode)
  }
}
