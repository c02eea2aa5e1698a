import {BaseCommand} from '../../lib/cli/base-command.js'
import {configCall, ucServiceListOutcome} from '../../lib/cli/administration.js'

export default class UcServiceList extends BaseCommand<typeof UcServiceList> {
  static override summary = 'UC services and their types (ADM-3); directory services with their kind (ADM-4)'
  static override examples = ['<%= config.bin %> uc-service list', '<%= config.bin %> uc-service list --json']

  async run() {
    const r = await configCall(await this.target(), 'GET /v1/config/uc-services')
    const o = ucServiceListOutcome(r.services)
    return this.output(o.doc, o.view)
  }
}
