import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../../lib/cli/base-command.js'
import {runClientSimulator} from '../../../lib/cli/ctios-status.js'
import {productNode} from '../../../lib/cli/product-nodes.js'

export default class CtiosClientsOpen extends BaseCommand<typeof CtiosClientsOpen> {
  static override summary =
    'Client simulator: open many softphones (real connections) on a CTI OS node and show what they receive, until Ctrl-C'
  static override description =
    `Each softphone is its own long-lived connection; it logs its agent in, reconnects on its own when its CTI OS
server fails (CTI-3), and buffers state changes made during a failover (CTI-6). What the softphones receive is
printed gathered by event, rule and reason (with --json: one SoftphoneEvents document per line).`
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
    count: Flags.integer({
      char: 'c',
      description: "how many softphones (the node's first ones not already connected)",
      default: 100,
      min: 1,
      max: 20_000,
    }),
    login: Flags.string({description: 'agent state to log in with', options: ['Available', 'Not Ready', 'none'], default: 'Available'}),
    duration: Flags.integer({description: 'close them after this many seconds (default: until Ctrl-C)', min: 1}),
    every: Flags.integer({description: 'gather received events over this many milliseconds per line', default: 250, min: 10}),
  }
  static override examples = [
    '<%= config.bin %> ctios clients open --count 1000',
    '<%= config.bin %> ctios clients open --count 200 --duration 30 --json',
  ]

  async run() {
    const target = await this.target()
    const {node, client} = await productNode(target, this.flags.node, 'ctios', 'CTI OS failover')
    const {signal, stop, done} = this.interruption()
    const timer = this.flags.duration ? setTimeout(stop, this.flags.duration * 1000) : undefined
    try {
      const r = await runClientSimulator(
        {name: node.name, url: node.url, token: target.token, ca: target.ca},
        client,
        {count: this.flags.count, login: this.flags.login as 'Available' | 'Not Ready' | 'none', everyMs: this.flags.every, signal},
        {
          report: (d) => this.streamLine('SoftphoneEvents', {node: node.name, ...d}, [d.time, d.event, d.rule, d.reason, d.count]),
          notice: (m) => this.notice(m),
        },
      )
      this.notice(`closed ${r.opened} softphone(s): ${r.received} event(s) received, ${r.drops} connection(s) lost and reopened`)
    } finally {
      if (timer) clearTimeout(timer)
      done()
    }
    return undefined
  }
}
