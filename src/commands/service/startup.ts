import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {STARTUP_TYPES} from '../../lib/domain/services.js'

export default class ServiceStartup extends BaseCommand<typeof ServiceStartup> {
  static override summary = "Set a service's startup type: Automatic (started with the host; recommended) or Manual (SVC-3)"
  static override args = {
    service: Args.string({description: 'service (process) name', required: true}),
    type: Args.string({description: 'startup type', required: true, options: [...STARTUP_TYPES]}),
  }
  static override flags = {
    node: Flags.string({char: 'n', description: 'node to act on (required when the context has several)'}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }
  static override examples = ['<%= config.bin %> service startup CTIOSTrace Manual --node ctios-a']

  async run() {
    const {target, client} = await this.node(this.flags.node)
    if (this.args.type === 'Manual') this.notice('warning: Manual services do not start with the host; Automatic is recommended (SVC-3)')
    const {node, service} = await client.call('PUT /v1/services/:name/startup', {
      params: {name: this.args.service},
      body: {startup: this.args.type as (typeof STARTUP_TYPES)[number]},
    })
    return this.output(envelope('Service', {context: target.context, node, service}), {
      columns: ['NODE', 'SERVICE', 'STARTUP', 'STATE'],
      rows: [[node, service.name, service.startup, service.state]],
      stateColumn: 3,
    })
  }
}
