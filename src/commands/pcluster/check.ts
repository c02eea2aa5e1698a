import * as Args from '@oclif/core/args'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {checkOutcome} from '../../lib/cli/check.js'
import {presenceCheck} from '../../lib/cli/presence.js'

export default class PclusterCheck extends BaseCommand<typeof PclusterCheck> {
  static override summary =
    'Check presence redundancy groups against PRG-1 (membership, versions, cluster, publisher, WAN) and PRG-10 (capacity, balance); exit 3 on errors'
  static override args = {group: Args.string({description: 'presence redundancy group (default: every group)'})}
  static override examples = ['<%= config.bin %> pcluster check', '<%= config.bin %> pcluster check --json']

  async run() {
    const target = await this.target()
    const result = await presenceCheck(target, this.args.group, (m) => this.notice(m))
    const r = checkOutcome(result, {context: target.context, ...(result.unread.length ? {unread: result.unread} : {})})
    return this.output(r.doc, r.view, r.exitCode)
  }
}
