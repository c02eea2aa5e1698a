import * as Args from '@oclif/core/args'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {configCall} from '../../lib/cli/administration.js'
import {NotFoundError} from '../../lib/errors.js'

export default class ServiceProfileShow extends BaseCommand<typeof ServiceProfileShow> {
  static override summary = 'One service profile with its UC services and their types'
  static override args = {name: Args.string({description: 'service profile name', required: true})}
  static override examples = ['<%= config.bin %> service-profile show standard']

  async run() {
    const target = await this.target()
    const {profiles} = await configCall(target, 'GET /v1/config/service-profiles')
    const p = profiles.find((x) => x.name.toLowerCase() === this.args.name.toLowerCase())
    if (!p)
      throw new NotFoundError(`no service profile ${this.args.name}`, {
        hint: profiles.length ? `profiles: ${profiles.map((x) => x.name).join(', ')}` : 'ucctl service-profile add ...',
      })
    const {services} = await configCall(target, 'GET /v1/config/uc-services')
    const mine = p.services.map((n) => services.find((s) => s.name === n)!).filter(Boolean)
    return this.output(envelope('ServiceProfile', {profile: p, services: mine}), {
      title: `service profile ${p.name}${p.default ? ' (system default)' : ''} · ${p.users} users`,
      columns: ['UC SERVICE', 'TYPE', 'DIRECTORY TYPE', 'HOST'],
      rows: mine.map((s) => [s.name, s.type, s.directoryType ?? '', s.host]),
    })
  }
}
