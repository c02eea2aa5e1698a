import {BaseCommand} from '../../lib/cli/base-command.js'
import {configCall, profileListOutcome} from '../../lib/cli/administration.js'

export default class ServiceProfileList extends BaseCommand<typeof ServiceProfileList> {
  static override summary = 'Service profiles: their UC services, which is the system default, and how many users each serves (ADM-3)'
  static override examples = ['<%= config.bin %> service-profile list --json']

  async run() {
    const r = await configCall(await this.target(), 'GET /v1/config/service-profiles')
    const o = profileListOutcome(r.profiles)
    return this.output(o.doc, o.view)
  }
}
