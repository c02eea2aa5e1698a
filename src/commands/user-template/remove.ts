import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {removeThenList, templateListOutcome} from '../../lib/cli/administration.js'

export default class UserTemplateRemove extends BaseCommand<typeof UserTemplateRemove> {
  static override summary =
    'Remove a user template or feature group template (users made with it keep their settings); prints the templates left'
  static override args = {name: Args.string({description: 'template name', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> user-template remove staff']

  async run() {
    const r = await removeThenList(
      await this.target(),
      'DELETE /v1/config/user-templates/:name',
      this.args.name,
      'GET /v1/config/user-templates',
    )
    const o = templateListOutcome(r.templates)
    return this.output(o.doc, o.view)
  }
}
