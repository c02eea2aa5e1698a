import * as Args from '@oclif/core/args'
import {GroupActionCommand} from '../../../lib/cli/group-action-command.js'

export default class PclusterUsersRebalance extends GroupActionCommand {
  static override summary = 'Spread the users of a group evenly over its nodes, and move them there (PRG-10)'
  static override args = {group: Args.string({description: 'presence redundancy group (default: the only one)'})}
  static override examples = [
    '<%= config.bin %> pcluster users rebalance prg1 --yes',
    '<%= config.bin %> pcluster users rebalance --dry-run',
  ]
  protected readonly action = 'rebalance'
}
