// The operator's presence redundancy group actions (PRG-8, PRG-9, PRG-10): one thin command
// class; which SRM performs each and what it would do are the agent's (./presence.ts groupAction).
import * as Args from '@oclif/core/args'
import {GROUP_ACTION_TABLE, type GroupAction} from '../domain/presence-plan.js'
import {BaseCommand, type Envelope, mutatingFlags} from './base-command.js'
import {groupAction} from './presence.js'

export abstract class GroupActionCommand extends BaseCommand<typeof GroupActionCommand> {
  static override flags = {...mutatingFlags}

  protected abstract readonly action: GroupAction

  async run(): Promise<Envelope> {
    const target = await this.target()
    const args = this.args as {group?: string; node?: string}
    const subject = GROUP_ACTION_TABLE[this.action].node ? {node: args.node} : {group: args.group}
    const r = await groupAction(target, this.action, {...subject, flags: this.flags, progress: (m) => this.progress(m)})
    return this.output(r.doc, r.view, r.exitCode)
  }
}

/** The argument of each action: the node it names (failover, fallback), else the group. */
export const nodeArg = (description: string) => ({node: Args.string({description, required: true})})
export const groupArg = {group: Args.string({description: 'presence redundancy group', required: true})}
