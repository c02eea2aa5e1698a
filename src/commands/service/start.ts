import {ServiceActionCommand} from '../../lib/cli/service-actions.js'

export default class ServiceStart extends ServiceActionCommand {
  static override summary = "Start a service's processes (SVC-2)"
  static override examples = [
    '<%= config.bin %> service start CTIOSTrace --node ctios-a',
    '<%= config.bin %> service start "Cisco Tftp" --node cucm-sub --no-wait --json',
  ]
  protected readonly action = 'start'
}
