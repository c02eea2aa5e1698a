import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {checkNodes, checkOffline} from '../../lib/cli/load.js'
import {UsageError} from '../../lib/errors.js'

export default class LoadCheck extends BaseCommand<typeof LoadCheck> {
  static override summary =
    "Check a peripheral's Configuration Parameters field for /LOAD against ICM and CTI OS versions (LOAD-1..6; exit 3 on an error finding)"
  static override description = `With --node (or no flag: every CTI OS node of the context), reads the node's peripheral from its agent.
With --params and --icm, checks the given field offline, with no agent: a change can be validated before it is made.
Each finding names its rule and the fix.`
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node whose peripheral to check', exclusive: ['params']}),
    params: Flags.string({description: 'the Configuration Parameters field to check offline (e.g. "/LOAD 0")'}),
    icm: Flags.string({description: 'ICM version of the peripheral (with --params; e.g. 8.0(1), 4.6.2)', dependsOn: ['params']}),
    ctios: Flags.string({description: 'CTI OS version (with --params; omit when the peripheral has no CTI OS)', dependsOn: ['params']}),
    'upgraded-from': Flags.string({description: 'ICM version before the last upgrade (with --params; LOAD-3)', dependsOn: ['params']}),
    'reject-if-already-logged-in': Flags.string({
      description: 'RejectIfAlreadyLoggedIn of the desktop connection profile (with --params; LOAD-5)',
      options: ['0', '1'],
      dependsOn: ['params'],
    }),
  }
  static override examples = [
    '<%= config.bin %> load check --node ctios-a',
    '<%= config.bin %> load check --params "/LOAD 1 /PBX ACD1" --icm 6.0 --ctios 7.0 --upgraded-from 4.6.1.2',
    '<%= config.bin %> load check --params "" --icm "8.0(1)" --ctios 8.0 --json',
  ]

  async run() {
    const f = this.flags
    if (f.params !== undefined) {
      if (f.icm === undefined) throw new UsageError('--icm is required with --params', {hint: 'e.g. --icm "8.0(1)"'})
      const reject = f['reject-if-already-logged-in']
      const r = checkOffline({
        params: f.params,
        icm: f.icm,
        ctios: f.ctios,
        upgradedFrom: f['upgraded-from'],
        rejectIfAlreadyLoggedIn: reject === undefined ? undefined : (Number(reject) as 0 | 1),
      })
      return this.output(r.doc, r.view, r.exitCode)
    }
    const r = await checkNodes(await this.target(), f.node)
    return this.output(r.doc, r.view, r.exitCode)
  }
}
