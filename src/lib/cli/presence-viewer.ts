// `ucctl pcluster user ID`: the presence viewer, offered only for users with Home Cluster and
// IM and Presence on (ADM-7). A user the IM and Presence node does not hold is looked up in the
// configuration database, so the answer says why rather than "no such user".
import type {Answer} from '../api/index.js'
import {AgentClient, type NodeRef} from '../client/agent-client.js'
import type {EndUser} from '../domain/administration.js'
import {NotFoundError, RefusedError} from '../errors.js'
import {configCall} from './administration.js'
import type {Target} from './target.js'

export async function viewerOf(
  target: Target,
  node: NodeRef,
  user: string,
  as: string | undefined,
): Promise<Answer<'GET /v1/presence/users/:id'>> {
  try {
    return await new AgentClient(node).call('GET /v1/presence/users/:id', {params: {id: user}, query: {as}})
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error
    let u: EndUser | undefined
    try {
      u = (await configCall(target, 'GET /v1/config/users/:id', {params: {id: user}})).user
    } catch {
      // No database to ask (or no such user there either): the node's answer stands.
    }
    if (u && !(u.homeCluster && u.imAndPresence))
      throw new RefusedError(
        `the presence viewer is offered only for users with Home Cluster and IM and Presence on; ${u.id} has Home Cluster ${u.homeCluster ? 'on' : 'off'}, IM and Presence ${u.imAndPresence ? 'on' : 'off'}`,
        {
          rule: 'ADM-7',
          hint: u.homeCluster ? `ucctl user enable ${u.id}` : `ucctl user update ${u.id} --home-cluster, then ucctl user enable ${u.id}`,
        },
      )
    throw error
  }
}
