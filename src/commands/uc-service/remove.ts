import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {removeThenList, ucServiceListOutcome} from '../../lib/cli/administration.js'

export default class UcServiceRemove extends BaseCommand<typeof UcServiceRemove> {
  static override summary = 'Remove a UC service that no service profile holds; prints the UC services left'
  static override args = {name: Args.string({description: 'UC service name', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> uc-service remove vm1']

  async run() {
    const r = await removeThenList(await this.target(), 'DELETE /v1/config/uc-services/:name', this.args.name, 'GET /v1/config/uc-services')
    const o = ucServiceListOutcome(r.services)
    return this.output(o.doc, o.view)
  }
}
