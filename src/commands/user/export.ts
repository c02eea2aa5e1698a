import * as Flags from '@oclif/core/flags'
import {writeFileSync} from 'node:fs'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {configCall} from '../../lib/cli/administration.js'
import {usersCsv} from '../../lib/domain/administration.js'
import {UsageError} from '../../lib/errors.js'

export default class UserExport extends BaseCommand<typeof UserExport> {
  static override summary = 'Export end users as a BAT CSV (the columns user import and user update --file take)'
  static override flags = {
    file: Flags.string({char: 'f', description: 'write the CSV to this file (default: stdout)'}),
    enabled: Flags.boolean({description: 'only users enabled for IM and Presence', allowNo: true}),
  }
  static override examples = ['<%= config.bin %> user export > users.csv', '<%= config.bin %> user export --file users.csv --json']

  async run() {
    const r = await configCall(await this.target(), 'GET /v1/config/users', {query: {enabled: this.flags.enabled}})
    const csv = usersCsv(r.users)
    if (this.flags.file) {
      try {
        writeFileSync(this.flags.file, csv)
      } catch (error) {
        throw new UsageError(`cannot write ${this.flags.file}: ${(error as NodeJS.ErrnoException).code ?? error}`)
      }
    } else if (!this.jsonEnabled()) process.stdout.write(csv)
    const doc = envelope('UserExport', {
      users: r.users.length,
      ...(this.flags.file ? {file: this.flags.file} : this.jsonEnabled() ? {csv} : {}),
    })
    return this.output(doc, this.flags.file ? {columns: ['FILE', 'USERS'], rows: [[this.flags.file, r.users.length]]} : undefined)
  }
}
