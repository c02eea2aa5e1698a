import {BaseCommand} from '../../../lib/cli/base-command.js'
import {licenseCheck} from '../../../lib/cli/connection-cluster.js'

export default class ClusterLicenseCheck extends BaseCommand<typeof ClusterLicenseCheck> {
  static override summary = 'Check that each Unity Connection server holds its own license, with its own MAC address (UC-16)'
  static override examples = ['<%= config.bin %> cluster license check', '<%= config.bin %> cluster license check --json']

  async run() {
    const r = await licenseCheck(await this.target())
    return this.output(r.doc, r.view, r.exitCode)
  }
}
