import {GroupActionCommand, groupArg} from '../../../lib/cli/group-action-command.js'

export default class PclusterHaEnable extends GroupActionCommand {
  static override summary =
    'Enable high availability of a group: needs replication and critical services on a node; a node with its services down fails over at once (PRG-9)'
  static override args = groupArg
  static override examples = ['<%= config.bin %> pcluster ha enable prg1 --yes']
  protected readonly action = 'ha-enable'
}
