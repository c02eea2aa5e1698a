import {GroupActionCommand, nodeArg} from '../../lib/cli/group-action-command.js'

export default class PclusterFailover extends GroupActionCommand {
  static override summary =
    "Manual failover of a node: its peer's SRM stops the node's critical services and takes over its users (PRG-3, PRG-8)"
  static override args = nodeArg('IM and Presence node whose users move to its peer')
  static override examples = ['<%= config.bin %> pcluster failover imp-pub --yes', '<%= config.bin %> pcluster failover imp-pub --dry-run']
  protected readonly action = 'failover'
}
