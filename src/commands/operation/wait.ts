import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {findOperation, operationOutcome, waitForOperation} from '../../lib/cli/operation.js'

export default class OperationWait extends BaseCommand<typeof OperationWait> {
  static override summary = 'Wait for an operation to reach a stable state, showing its transitions; exits as the action itself would'
  static override args = {id: Args.string({description: 'operation id', required: true})}
  static override flags = {
    timeout: Flags.integer({
      description: 'seconds to wait before giving up (exit 124; the operation may still be running)',
      default: 60,
      min: 1,
    }),
  }
  static override examples = ['<%= config.bin %> operation wait 3f1c… --timeout 120']

  async run() {
    const target = await this.target()
    const {client, op} = await findOperation(target.nodes, this.args.id, target.context)
    const {op: last, timedOut} = await waitForOperation(client, op, {
      timeoutMs: this.flags.timeout * 1000,
      onTransition: (m) => this.progress(`${client.node.name}: ${m}`),
    })
    const r = operationOutcome(last, timedOut)
    return this.output(r.doc, r.view, r.exitCode)
  }
}
