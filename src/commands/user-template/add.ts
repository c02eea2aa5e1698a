import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope, mutatingFlags} from '../../lib/cli/base-command.js'
import {configCall, templateListOutcome} from '../../lib/cli/administration.js'

export default class UserTemplateAdd extends BaseCommand<typeof UserTemplateAdd> {
  static override summary =
    'Add a BAT user template (for user import), or with --feature-group a feature group template (Quick User/Phone Add): ADM-2'
  static override args = {name: Args.string({description: 'template name', required: true})}
  static override flags = {
    'feature-group': Flags.boolean({description: 'a feature group template (Quick User/Phone Add) rather than a BAT user template'}),
    'home-cluster': Flags.boolean({description: 'users get Home Cluster on'}),
    'im-and-presence': Flags.boolean({description: 'users get "Enable User for Unified CM IM and Presence" on (needs --home-cluster)'}),
    'service-profile': Flags.string({description: 'users get this service profile as their own (else the default)'}),
    yes: mutatingFlags.yes,
  }
  static override examples = [
    '<%= config.bin %> user-template add staff --im-and-presence --home-cluster --service-profile standard',
    '<%= config.bin %> user-template add quick --feature-group --home-cluster --im-and-presence',
  ]

  async run() {
    const f = this.flags
    const r = await configCall(await this.target(), 'POST /v1/config/user-templates', {
      body: {
        name: this.args.name,
        kind: f['feature-group'] ? 'feature-group' : 'user',
        homeCluster: f['home-cluster'],
        imAndPresence: f['im-and-presence'],
        serviceProfile: f['service-profile'] ?? null,
      },
    })
    const o = templateListOutcome([r.template])
    return this.output(envelope('UserTemplate', {template: r.template}), o.view)
  }
}
