import {GroupActionCommand, nodeArg} from '../../lib/cli/group-action-command.js'

export default class PclusterFallback extends GroupActionCommand {
  static override summary = 'Manual fallback to a node: SRM restarts its critical services and takes its users back from the peer (PRG-8)'
  static override args = nodeArg('IM and Presence node that takes its users back')
  static override examples = ['<%= config.bin %> pcluster fallback imp-pub --yes']
  protected readonly action = 'fallback'
}
