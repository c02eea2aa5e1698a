import * as Flags from '@oclif/core/flags'
import {BaseCommand, watchFlag} from '../../lib/cli/base-command.js'
import {throttleStatus} from '../../lib/cli/throttle.js'

export default class ThrottleStatus extends BaseCommand<typeof ThrottleStatus> {
  static override summary =
    'Code Yellow state of Unified CM nodes: average expected delay, ThrottlingSampleActivity, thresholds, counters (THR-2..6)'
  static override description =
    `Without --node, every Unified CM node of the context. States: Normal, Code Yellow (new calls hear reorder tone), Code Red.`
  static override flags = {
    watch: watchFlag,
    node: Flags.string({char: 'n', description: 'Unified CM node (default: every one of the context)'}),
  }
  static override examples = ['<%= config.bin %> throttle status', '<%= config.bin %> throttle status --node cucm-pub --json']

  async run() {
    const r = await throttleStatus(await this.target(), this.flags.node, (m) => this.notice(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
