import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {enc, removeThenList, ucServiceListOutcome} from '../../lib/cli/administration.js'
import type {UcService} from '../../lib/domain/administration.js'

export default class UcServiceRemove extends BaseCommand<typeof UcServiceRemove> {
  static override summary = 'Remove a UC service that no service profile holds; prints the UC services left'
  static override args = {name: Args.string({description: 'UC service name', required: true})}
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> uc-service remove vm1']

  async run() {
    const r = await removeThenList<{services: UcService[]}>(
      await this.target(),
      `/v1/config/uc-services/${enc(this.args.name)}`,
      '/v1/config/uc-services',
    )
    const o = ucServiceListOutcome(r.services)
    return this.output(o.doc, o.view)
  }
}
