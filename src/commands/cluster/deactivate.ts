import {ClusterActionCommand, drainFlag} from '../../lib/cli/cluster-action-command.js'

export default class ClusterDeactivate extends ClusterActionCommand {
  static override summary =
    'Deactivate a Secondary server: it answers no calls (UC-7: only a Secondary; UC-8: its calls in progress are dropped)'
  static override description = `Only a Secondary server can be deactivated; a Primary cannot (UC-7, exit 5).
With calls in progress it warns that they will be dropped (UC-8) and asks (--yes in scripts).
--drain does what the document recommends instead: Stop Taking Calls, wait until the calls have ended
(up to --timeout seconds), then deactivate.`
  static override flags = {...ClusterActionCommand.flags, ...drainFlag}
  static override examples = [
    '<%= config.bin %> cluster deactivate cuc-sub --drain --timeout 300',
    '<%= config.bin %> cluster deactivate cuc-sub --yes',
  ]
  protected readonly action = 'deactivate'
}
