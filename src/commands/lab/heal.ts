import {NetworkFaultCommand} from '../../lib/cli/network-fault.js'

export default class LabHeal extends NetworkFaultCommand {
  static override summary = 'Restore the network between a node and its peers (undoes lab isolate)'
  static override examples = ['<%= config.bin %> lab heal cuc-sub']
  protected readonly verb = 'heal'
}
