import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, profileListOutcome} from '../../lib/cli/administration.js'
import {UsageError} from '../../lib/errors.js'

export default class ServiceProfileAssign extends BaseCommand<typeof ServiceProfileAssign> {
  static override summary = 'Associate a service profile with users one by one: it becomes their own, instead of the default (ADM-3)'
  static override strict = false
  static override args = {
    name: Args.string({description: 'service profile name', required: true}),
    users: Args.string({description: 'user ids'}),
  }
  static override flags = {yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> service-profile assign executives jdoe asmith']

  async run() {
    const {argv} = await this.parse(ServiceProfileAssign)
    const users = (argv as string[]).slice(1)
    if (users.length === 0) throw new UsageError('name at least one user')
    const target = await this.target()
    await configCall(target, 'POST /v1/config/service-profiles/:name/assign', {params: {name: this.args.name}, body: {users}})
    const r = await configCall(target, 'GET /v1/config/service-profiles')
    const o = profileListOutcome(r.profiles)
    return this.output(o.doc, o.view)
  }
}
