import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, importOutcome, importUsers, readCsvFile, userFieldFlags, userFields, userOutcome} from '../../lib/cli/administration.js'
import {UsageError} from '../../lib/errors.js'

export default class UserUpdate extends BaseCommand<typeof UserUpdate> {
  static override summary = 'Change an end user, or many from a CSV (BAT Update Users, ADM-2): all lines in one transaction, or none'
  static override description =
    `With --file, the file has a header line naming its columns (userid required; firstname, lastname, mailid, device, extension optional); every user must exist. A bad line rejects the whole file, reported by its line number (exit 2); --dry-run shows the outcome and changes nothing.`
  static override args = {user: Args.string({description: 'user id (without --file)'})}
  static override flags = {
    ...userFieldFlags,
    file: Flags.string({description: 'CSV file of users to update (BAT Update Users)'}),
    'dry-run': mutatingFlags['dry-run'],
    yes: mutatingFlags.yes,
  }
  static override examples = [
    '<%= config.bin %> user update jdoe --device CSFJDOE --extension 3000',
    '<%= config.bin %> user update --file changes.csv --dry-run',
  ]

  async run() {
    const target = await this.target()
    const fields = userFields(this.flags)
    if (this.flags.file) {
      if (this.args.user || Object.keys(fields).length)
        throw new UsageError('--file takes the changes from the file: give no user id and no field flags with it')
      const r = await importUsers(target, {csv: readCsvFile(this.flags.file), mode: 'update'}, this.flags['dry-run'])
      const o = importOutcome(r)
      for (const warning of r.warnings) this.notice(`warning: ${warning}`)
      return this.output(o.doc, o.view, o.exitCode)
    }
    if (!this.args.user) throw new UsageError('name the user to update, or give --file')
    if (Object.keys(fields).length === 0)
      throw new UsageError('nothing to change: give at least one field flag', {hint: 'ucctl user update --help'})
    if (this.flags['dry-run']) throw new UsageError('--dry-run is for --file (one user: ucctl user show shows it as it is)')
    const r = await configCall(target, 'POST /v1/config/users/:id/update', {params: {id: this.args.user}, body: fields})
    const o = userOutcome(r)
    for (const warning of o.warnings) this.notice(`warning: ${warning}`)
    return this.output(o.doc, o.view)
  }
}
