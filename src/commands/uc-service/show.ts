import * as Args from '@oclif/core/args'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {configCall} from '../../lib/cli/administration.js'
import {NotFoundError} from '../../lib/errors.js'

export default class UcServiceShow extends BaseCommand<typeof UcServiceShow> {
  static override summary = 'One UC service, with its directory settings (custom TFTP file, LDAP attribute mappings: ADM-4)'
  static override args = {name: Args.string({description: 'UC service name', required: true})}
  static override examples = ['<%= config.bin %> uc-service show dir-basic']

  async run() {
    const r = await configCall(await this.target(), 'GET /v1/config/uc-services')
    const s = r.services.find((x) => x.name.toLowerCase() === this.args.name.toLowerCase())
    if (!s)
      throw new NotFoundError(`no UC service ${this.args.name}`, {
        hint: r.services.length ? `UC services: ${r.services.map((x) => x.name).join(', ')}` : 'ucctl uc-service add ...',
      })
    const rows: Array<[string, string]> = [
      ['name', s.name],
      ['type', s.type],
      ['host', s.host],
    ]
    if (s.directoryType) rows.push(['directory type', s.directoryType])
    if (s.customTftpFile) rows.push(['custom TFTP file', s.customTftpFile])
    for (const [k, v] of Object.entries(s.attributeMappings ?? {})) rows.push([`LDAP mapping ${k}`, v])
    return this.output(envelope('UcService', {service: s}), {columns: ['FIELD', 'VALUE'], rows})
  }
}
