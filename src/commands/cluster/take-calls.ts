import {ClusterActionCommand} from '../../lib/cli/cluster-action-command.js'

export default class ClusterTakeCalls extends ClusterActionCommand {
  static override summary = "Take Calls: resume a server's ports after Stop Taking Calls"
  static override examples = ['<%= config.bin %> cluster take-calls cuc-sub']
  protected readonly action = 'take-calls'
}
