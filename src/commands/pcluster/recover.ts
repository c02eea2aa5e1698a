import {GroupActionCommand, groupArg} from '../../lib/cli/group-action-command.js'

export default class PclusterRecover extends GroupActionCommand {
  static override summary = 'Manual recovery of a group whose nodes both failed: SRM restarts on both nodes (PRG-8)'
  static override args = groupArg
  static override examples = ['<%= config.bin %> pcluster recover prg1 --yes']
  protected readonly action = 'recover'
}
