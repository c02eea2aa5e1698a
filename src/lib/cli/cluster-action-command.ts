// The manual status changes of a Unity Connection server (UC-7, UC-8, UC-14, Take Calls):
// one thin command class, the verb's own rules in ../domain/connection-cluster.ts.
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import type {ManualAction} from '../domain/connection-cluster.js'
import {BaseCommand, mutatingFlags} from './base-command.js'
import {confirmOrRefuse} from './confirm.js'
import {clusterAction} from './connection-cluster.js'
import {productNode} from './product-nodes.js'

export abstract class ClusterActionCommand extends BaseCommand<typeof ClusterActionCommand> {
  static override args = {server: Args.string({description: 'the Unity Connection server (node name)', required: true})}
  static override flags = {...mutatingFlags}

  protected abstract readonly action: ManualAction

  async run() {
    const {client} = await productNode(await this.target(), this.args.server, 'cuc', `cluster ${this.action}`)
    const flags = this.flags as typeof this.flags & {drain?: boolean}
    const r = await clusterAction(client, this.action, flags, {
      progress: (m) => this.progress(m),
      notice: (m) => this.notice(m),
      confirm: (q) => confirmOrRefuse(q, this.flags.yes),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}

export const drainFlag = {
  drain: Flags.boolean({description: 'Stop Taking Calls first, wait (up to --timeout) until its calls have ended, then deactivate (UC-8)'}),
}
