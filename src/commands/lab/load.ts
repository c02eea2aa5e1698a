import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {pickNode} from '../../lib/cli/target.js'
import {UsageError} from '../../lib/errors.js'
import {runLoad} from '../../lib/lab/load.js'
import {progressDeadline, progressLine} from '../../lib/cli/progress.js'

const rate = (what: string) =>
  Flags.custom<number>({
    description: what,
    parse: async (input) => {
      const n = Number(input)
      if (input.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${what}: a number of at least 0, not "${input}"`)
      return n
    },
  })

export default class LabLoad extends BaseCommand<typeof LabLoad> {
  static override summary =
    'Place simulated calls and leave voice messages at given rates on nodes, and count what was answered, rejected or accepted'
  static override description = `Each node gets the given rates (per node). Calls are POST /v1/calls (answered: 201; rejected: 429
naming the rule, e.g. UC-2 when the status answers no calls, or Code Yellow on Unified CM); voice messages are
POST /v1/messages with unique ids (nodes without messages, such as Unified CM, get calls only).
Runs for --duration seconds, or until interrupted (Ctrl-C, SIGTERM): the report is printed either way.`
  static override flags = {
    node: Flags.string({char: 'n', description: 'node to load (repeatable)', multiple: true, required: true}),
    'calls-per-second': rate('calls per second, per node')({default: 0}),
    'call-duration': rate('duration of each call in seconds')({default: 2}),
    'messages-per-second': rate('voice messages per second, per node')({default: 0}),
    duration: rate('seconds to run')({default: 10}),
    'list-ids': Flags.boolean({description: 'list the ids of the messages accepted (and unanswered) in the report'}),
  }
  static override examples = [
    '<%= config.bin %> lab load --node cuc-pub --node cuc-sub --calls-per-second 2 --call-duration 5 --messages-per-second 5 --duration 30',
    '<%= config.bin %> lab load --node cucm-pub --calls-per-second 20 --duration 10 --json',
  ]

  async run() {
    const target = await this.target()
    const nodes = this.flags.node.map((n) => pickNode(target, n))
    const {signal, done} = this.interruption()
    this.progress(`load on ${nodes.map((n) => n.name).join(', ')} for ${this.flags.duration} s (Ctrl-C stops and reports)`)
    const endAt = Date.now() + this.flags.duration * 1000
    const report = await runLoad(nodes, {
      callsPerSecond: this.flags['calls-per-second'],
      callDurationS: this.flags['call-duration'],
      messagesPerSecond: this.flags['messages-per-second'],
      durationS: this.flags.duration,
      listIds: this.flags['list-ids'],
      signal,
      onProgress: (counts) => {
        for (const n of counts) {
          const messages = n.messages.supported
            ? ` · messages ${n.messages.sent}: ${n.messages.accepted} accepted, ${n.messages.rejected} rejected`
            : ''
          progressLine(
            n.name,
            `calls ${n.calls.attempted}: ${n.calls.answered} answered, ${n.calls.rejected} rejected${messages}`,
            'counter',
          )
          progressDeadline(n.name, endAt)
        }
      },
    }).finally(done)
    return this.output(envelope('LoadReport', {context: target.context, ...report}), {
      title: `load report (context ${target.context}, ${Math.round(report.durationMs / 100) / 10} s)`,
      columns: ['NODE', 'CALLS', 'ANSWERED', 'REJECTED', 'UNANSWERED', 'MESSAGES', 'ACCEPTED', 'REJECTED', 'UNANSWERED', 'REJECTED BY'],
      rows: report.nodes.map((n) => [
        n.name,
        n.calls.attempted,
        n.calls.answered,
        n.calls.rejected,
        n.calls.unanswered,
        n.messages.supported ? n.messages.sent : '-',
        n.messages.supported ? n.messages.accepted : '-',
        n.messages.supported ? n.messages.rejected : '-',
        n.messages.supported ? n.messages.unanswered : '-',
        Object.entries(n.rejectedBy)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', '),
      ]),
    })
  }
}
