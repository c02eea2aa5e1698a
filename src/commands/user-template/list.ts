import {BaseCommand} from '../../lib/cli/base-command.js'
import {configCall, templateListOutcome} from '../../lib/cli/administration.js'

export default class UserTemplateList extends BaseCommand<typeof UserTemplateList> {
  static override summary = 'User templates and feature group templates (ADM-2)'
  static override examples = ['<%= config.bin %> user-template list']

  async run() {
    const r = await configCall(await this.target(), 'GET /v1/config/user-templates')
    const o = templateListOutcome(r.templates)
    return this.output(o.doc, o.view)
  }
}
