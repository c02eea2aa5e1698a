import {ClusterActionCommand} from '../../lib/cli/cluster-action-command.js'

export default class ClusterActivate extends ClusterActionCommand {
  static override summary = 'Activate a Deactivated server: Starting, then the fitting status; it resumes its share of calls (UC-4)'
  static override examples = ['<%= config.bin %> cluster activate cuc-sub']
  protected readonly action = 'activate'
}
