import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {confirmOrRefuse} from '../../lib/cli/confirm.js'
import {productNode} from '../../lib/cli/product-nodes.js'
import {agentThrottleParams, setThrottleParams, showThrottleParams} from '../../lib/cli/throttle.js'

export default class ThrottleParamsCommand extends BaseCommand<typeof ThrottleParamsCommand> {
  static override summary =
    "Show or change a Unified CM node's throttle parameters (THR-2..5); changes are validated and warned about (THR-7)"
  static override description = `Without --set: every parameter with its value, default and range.
With --set name=value (key or service-parameter name, repeatable): ranges are checked first (exit 2, nothing changed),
warnings go to stderr, and the change asks for confirmation (--yes in scripts).
Code Yellow Duration is in minutes; in the lab's fast timing profile a minute lasts 1 s (timing codeYellowMinuteMs),
so Code Red comes in seconds there. Samples are taken once a second (fast: every 200 ms); the sample size counts samples.`
  static override flags = {
    node: Flags.string({char: 'n', description: 'Unified CM node (default: the only one of the context)'}),
    set: Flags.string({description: 'name=value, e.g. codeYellowEntryLatencyMs=30 (repeatable)', multiple: true}),
    ...mutatingFlags,
  }
  static override examples = [
    '<%= config.bin %> throttle params --node cucm-pub',
    '<%= config.bin %> throttle params --node cucm-pub --set codeYellowEntryLatencyMs=30 --set codeYellowExitLatencyPercent=50 --yes',
    '<%= config.bin %> throttle params --node cucm-pub --set "Code Yellow Duration=10" --dry-run',
  ]

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'cucm', 'call throttling')
    const store = agentThrottleParams(client)
    const r = this.flags.set?.length
      ? await setThrottleParams(store, this.flags.set, this.flags, {
          notice: (m) => this.notice(m),
          confirm: (q) => confirmOrRefuse(q, this.flags.yes),
        })
      : await showThrottleParams(store)
    return this.output(r.doc, r.view, r.exitCode)
  }
}
