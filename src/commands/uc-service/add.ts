import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, ucServiceListOutcome} from '../../lib/cli/administration.js'
import {DEFAULT_LDAP_ATTRIBUTE_MAPPINGS, DIRECTORY_TYPE_NAMES, UC_SERVICE_TYPES} from '../../lib/domain/administration.js'

export default class UcServiceAdd extends BaseCommand<typeof UcServiceAdd> {
  static override summary =
    'Add a UC service: voicemail, mailstore, conferencing, CTI, IM and Presence or directory (ADM-3); directory: UDS, enhanced or basic (ADM-4)'
  static override description =
    `Directory services: uds (users stored in Unified CM); enhanced (clients find settings and attribute mappings from the desktop; --custom-tftp-file names the custom TFTP file loaded on Unified CM that changes those defaults); basic (every LDAP attribute mapping is set on the server and clients download it: --mapping FIELD=attribute changes one; fields: ${Object.keys(DEFAULT_LDAP_ATTRIBUTE_MAPPINGS).join(', ')}).`
  static override args = {name: Args.string({description: 'UC service name', required: true})}
  static override flags = {
    type: Flags.string({description: 'UC service type', options: [...UC_SERVICE_TYPES], required: true}),
    'directory-type': Flags.string({description: 'kind of directory service (ADM-4)', options: DIRECTORY_TYPE_NAMES}),
    host: Flags.string({description: 'host name or address of the service', required: true}),
    'custom-tftp-file': Flags.string({description: "enhanced directory: the custom TFTP file that changes the clients' defaults"}),
    mapping: Flags.string({description: 'basic directory: FIELD=ldapAttribute (repeatable)', multiple: true}),
    yes: mutatingFlags.yes,
  }
  static override examples = [
    '<%= config.bin %> uc-service add dir-uds --type directory --directory-type uds --host cucm-pub',
    '<%= config.bin %> uc-service add dir-enh --type directory --directory-type enhanced --host ldap.example.com --custom-tftp-file jabber-config.xml',
    '<%= config.bin %> uc-service add dir-basic --type directory --directory-type basic --host ldap.example.com --mapping BusinessPhone=ipPhone',
    '<%= config.bin %> uc-service add imp1 --type im-and-presence --host imp-pub',
  ]

  async run() {
    const f = this.flags
    const r = await configCall(await this.target(), 'POST /v1/config/uc-services', {
      body: {
        name: this.args.name,
        type: f.type,
        host: f.host,
        ...(f['directory-type'] ? {directoryType: f['directory-type']} : {}),
        ...(f['custom-tftp-file'] ? {customTftpFile: f['custom-tftp-file']} : {}),
        ...(f.mapping ? {mappings: f.mapping} : {}),
      },
    })
    const o = ucServiceListOutcome([r.service])
    return this.output(envelope('UcService', {service: r.service}), o.view)
  }
}
