import * as Args from '@oclif/core/args'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {cancelOperation} from '../../lib/cli/operation.js'

export default class OperationCancel extends BaseCommand<typeof OperationCancel> {
  static override summary =
    'Cancel an operation where it can stop safely (a drain, an upgrade before its switch-version); else exit 5 and why'
  static override description = `A cancelled drain takes calls again; a cancelled upgrade leaves the inactive partition as it was.
A switch-version, a failover or a service action cannot stop safely once started: cancel refuses (exit 5) and changes nothing.`
  static override args = {id: Args.string({description: 'operation id', required: true})}
  static override flags = {wait: mutatingFlags.wait, timeout: mutatingFlags.timeout, yes: mutatingFlags.yes}
  static override examples = ['<%= config.bin %> operation cancel 3f1c…']

  async run() {
    const target = await this.target()
    const r = await cancelOperation(target.nodes, this.args.id, target.context, this.flags, (m) => this.progress(m))
    return this.output(r.doc, r.view, r.exitCode)
  }
}
