import {ServiceActionCommand} from '../../lib/cli/service-actions.js'

export default class ServiceCycle extends ServiceActionCommand {
  static override summary = 'Cycle a service: stop, then start (SVC-2)'
  static override examples = [
    '<%= config.bin %> service cycle CTIOSTrace --node ctios-a',
    '<%= config.bin %> service cycle "Cisco Tftp" --node cucm-sub --no-wait --json',
  ]
  protected readonly action = 'cycle'
}
