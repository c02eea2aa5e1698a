import {ServiceActionCommand} from '../../lib/cli/service-actions.js'

export default class ServiceStop extends ServiceActionCommand {
  static override summary = "Stop a service's processes; NodeManager does not restart them (SVC-2, SVC-4)"
  static override examples = [
    '<%= config.bin %> service stop CTIOSTrace --node ctios-a',
    '<%= config.bin %> service stop "Cisco Tftp" --node cucm-sub --no-wait --json',
  ]
  protected readonly action = 'stop'
}
