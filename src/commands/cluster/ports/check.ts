import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../../lib/cli/base-command.js'
import {portsCheck} from '../../../lib/cli/connection-cluster.js'
import {INTEGRATIONS, type Integration, parsePerServer} from '../../../lib/domain/connection-checks.js'

export default class ClusterPortsCheck extends BaseCommand<typeof ClusterPortsCheck> {
  static override summary = 'Check voice-messaging ports against the integration type (UC-15); exit 3 explaining each mismatch'
  static override description = `N is the number of ports needed for all voice-messaging traffic.
  sccp       phone system 2N, each server N (half of the phone system's), subscriber answers most calls
  sip-trunk  phone system N, each server N/2, calls distributed evenly
  pimg-timg  phone system N, each server N (the same ports on both), evenly
  sip        phone system N, each server N/2, evenly
In every case one server alone must carry all calls when the other stops.
Without --per-server, the servers' own port settings are read from their agents.`
  static override flags = {
    integration: Flags.string({description: 'integration type', options: [...INTEGRATIONS], required: true}),
    needed: Flags.integer({description: 'N: ports needed for all voice-messaging traffic', required: true, min: 1}),
    'phone-system': Flags.integer({description: 'voice-messaging ports configured on the phone system', min: 0}),
    'per-server': Flags.string({description: 'ports of the publisher and the subscriber: "a,b"'}),
    offline: Flags.boolean({description: 'do not ask the agents (check the flags only)'}),
  }
  static override examples = [
    '<%= config.bin %> cluster ports check --integration sccp --needed 16 --phone-system 32 --per-server 16,16',
    '<%= config.bin %> cluster ports check --integration sip-trunk --needed 16 --per-server 8,8 --json',
  ]

  async run() {
    const perServer = this.flags['per-server'] === undefined ? undefined : parsePerServer(this.flags['per-server'])
    const target = perServer || this.flags.offline ? undefined : await this.target()
    const r = await portsCheck(target, {
      integration: this.flags.integration as Integration,
      needed: this.flags.needed,
      phoneSystem: this.flags['phone-system'],
      perServer,
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
