import * as Args from '@oclif/core/args'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {findOperation, operationOutcome} from '../../lib/cli/operation.js'

export default class OperationShow extends BaseCommand<typeof OperationShow> {
  static override summary = 'One operation: its state, every transition, its result or error (exit 0 whatever its state: this is a read)'
  static override args = {id: Args.string({description: 'operation id (from the action, or operation list)', required: true})}
  static override examples = ['<%= config.bin %> operation show 3f1c…']

  async run() {
    const target = await this.target()
    const {op} = await findOperation(target.nodes, this.args.id, target.context)
    const r = operationOutcome(op, false)
    r.view.rows = op.transitions.map((t) => [op.id, op.node, op.action, t.time, t.message])
    r.view.columns = ['OPERATION', 'NODE', 'ACTION', 'TIME', 'TRANSITION']
    r.view.notes = [`state: ${op.state}${op.error ? ` (${op.error.code}: ${op.error.message})` : ''}`]
    return this.output(r.doc, r.view)
  }
}
