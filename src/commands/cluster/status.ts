import {BaseCommand, watchFlag} from '../../lib/cli/base-command.js'
import {clusterServers, statusOutcome} from '../../lib/cli/connection-cluster.js'

export default class ClusterStatus extends BaseCommand<typeof ClusterStatus> {
  static override summary =
    'Status of the Unity Connection cluster: each server, its status, whether it answers calls, calls in progress, ports, replication (UC-2)'
  static override flags = {watch: watchFlag}
  static override description = `Statuses are the product's own (UC-2): Primary, Secondary, Deactivated, Not Functioning, Starting,
Replicating Data, Split Brain Recovery. A server whose agent does not answer is shown as its peer sees it.
LAST CHANGE says when the status last changed, from what, why, and under which rule.
The publisher cannot be removed from the cluster (UC-1): ucctl has no verb for it.
Status changes: cluster make-primary (UC-14), deactivate (UC-7, UC-8), activate, stop-taking-calls, take-calls.`
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --json']

  async run() {
    const target = await this.target()
    const {servers, unread} = await clusterServers(target)
    for (const u of unread) this.notice(`warning: could not read ${u.name}: ${u.error.message}`)
    const r = statusOutcome(target, servers, unread)
    return this.output(r.doc, r.view, r.exitCode)
  }
}
