import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {MAX_LATENCY_FAULT_MS, parseLatencyMs, setLatencyFault} from '../../lib/cli/throttle.js'

export default class LabLatency extends BaseCommand<typeof LabLatency> {
  static override summary =
    'Add latency on purpose to a Unified CM agent: every internal message and call attempt takes MS longer (0 clears)'
  static override description = `A lab fault for Code Yellow (THR-2..4): the agent's measured message-processing delay rises for real,
and above Code Yellow Entry Latency for System Throttle Sample Size samples the node throttles new calls.`
  static override args = {
    node: Args.string({description: 'Unified CM node', required: true}),
    // A string: oclif's integer argument reports a range error as exit 1; ours is exit 2.
    ms: Args.string({description: `added latency per message, ms (0-${MAX_LATENCY_FAULT_MS}; 0 clears)`, required: true}),
  }
  static override flags = {...mutatingFlags}
  static override examples = ['<%= config.bin %> lab latency cucm-pub 60', '<%= config.bin %> lab latency cucm-pub 0']

  async run() {
    const ms = parseLatencyMs(this.args.ms)
    const {client} = await this.node(this.args.node)
    const r = await setLatencyFault(client, ms, this.flags)
    return this.output(r.doc, r.view, r.exitCode)
  }
}
