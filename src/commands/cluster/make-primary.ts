import {ClusterActionCommand} from '../../lib/cli/cluster-action-command.js'

export default class ClusterMakePrimary extends ClusterActionCommand {
  static override summary =
    'Make a Secondary server Primary; the Primary becomes Secondary (UC-14, UC-3); calls in progress are not affected (UC-8)'
  static override examples = ['<%= config.bin %> cluster make-primary cuc-pub', '<%= config.bin %> cluster make-primary cuc-sub --dry-run']
  protected readonly action = 'make-primary'
}
