import {ClusterActionCommand} from '../../lib/cli/cluster-action-command.js'

export default class ClusterStopTakingCalls extends ClusterActionCommand {
  static override summary = 'Stop Taking Calls on a server: new calls are not answered, calls in progress continue (UC-8)'
  static override examples = ['<%= config.bin %> cluster stop-taking-calls cuc-sub']
  protected readonly action = 'stop-taking-calls'
}
