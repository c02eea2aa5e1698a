import {NetworkFaultCommand} from '../../lib/cli/network-fault.js'

export default class LabIsolate extends NetworkFaultCommand {
  static override summary =
    'Cut a node off from everything, or with --from only from those peers (both directions): heartbeats and keepalives stop, as on a lost network'
  static override examples = ['<%= config.bin %> lab isolate cuc-sub', '<%= config.bin %> lab isolate imp-pub --from imp-sub']
  protected readonly verb = 'isolate'
}
