import {GroupActionCommand, groupArg} from '../../../lib/cli/group-action-command.js'

export default class PclusterHaDisable extends GroupActionCommand {
  static override summary =
    'Disable high availability of a group: the nodes run independently; users on a failed node stay on the backup (PRG-9)'
  static override args = groupArg
  static override examples = ['<%= config.bin %> pcluster ha disable prg1 --yes']
  protected readonly action = 'ha-disable'
}
