// The routes of the Server Recovery Manager (src/lib/api/routes/presence.ts): the group as this
// node sees it, its users and the presence viewer, the operator's group actions (forwarded to the
// SRM that performs them), and what the two SRMs tell each other.
import type {FastifyInstance} from 'fastify'
import type {Answer, Body, Preview} from '../api/index.js'
import {type GroupAction, performerOf} from '../domain/presence-plan.js'
import {UnreachableError} from '../errors.js'
import {PEER_HEADER} from './faults.js'
import type {AgentContext} from './module.js'
import {serve} from './route.js'
import type {ServerRecoveryManager} from './server-recovery-manager.js'

const ACTION = 'POST /v1/presence/groups/:group/:action'

export function srmRoutes(app: FastifyInstance, ctx: AgentContext, srm: ServerRecoveryManager): void {
  serve(app, 'GET /v1/presence', async () => srm.view())
  serve(app, 'GET /v1/presence/groups/:group', async (req) => {
    srm.checkGroup(req.params.group)
    return srm.view()
  })
  serve(app, 'GET /v1/presence/groups/:group/users', async (req) => {
    srm.checkGroup(req.params.group)
    return srm.users(req.query.node)
  })
  serve(app, 'GET /v1/presence/users/:id', async (req) => srm.presenceViewer(req.params.id, req.query.as))

  serve(app, 'POST /v1/presence/groups/:group/heartbeat', async (req) => {
    srm.checkGroup(req.params.group)
    return srm.heartbeat(req.body)
  })
  serve(app, 'POST /v1/presence/groups/:group/reboot', async (req) => {
    srm.checkGroup(req.params.group)
    srm.rebootAnnounced(req.body.from)
    return {accepted: true}
  })
  serve(app, 'POST /v1/presence/groups/:group/lease', async (req) => {
    srm.checkGroup(req.params.group)
    srm.takeLease(req.body.token, req.body.holder, req.body.ttlMs)
    return {group: srm.group, holder: req.body.holder}
  })
  serve(app, 'POST /v1/presence/groups/:group/lease/release', async (req) => {
    srm.checkGroup(req.params.group)
    srm.releaseLease(req.body.token)
    return {group: srm.group}
  })

  /**
   * The SRM that performs the action (PRG-3: the peer of the failed node, the node taking its
   * users back), when it is not this one: the request goes there, and its answer comes back. A
   * request the peer forwarded is never forwarded again (their replicas may briefly disagree).
   */
  const performer = (action: GroupAction, node: string | undefined, from: unknown): string | null => {
    const p = performerOf(srm.state, action, node)
    return p === null || p === srm.me || from === srm.peer ? null : p
  }
  const unreachable = (action: GroupAction, p: string, error: unknown) =>
    error instanceof UnreachableError
      ? new UnreachableError(`the Server Recovery Manager that performs ${action} (${p}) did not answer: ${error.message}`, {
          rule: action === 'failover' ? 'PRG-3' : undefined,
          hint:
            action === 'failover'
              ? "PRG-3: the peer's SRM performs the failover; check its agent (ucctl lab status)"
              : 'check the agents of the group (ucctl lab status)',
        })
      : error
  serve(
    app,
    ACTION,
    async (req, reply) => {
      const {group, action} = req.params
      srm.checkGroup(group)
      const p = performer(action, req.body.node, req.headers[PEER_HEADER])
      if (p === null) {
        const r = await srm.groupAction(action, req.body.node)
        reply.code(r.status)
        return r.body
      }
      try {
        const r = await ctx.peer(p, {timeoutMs: 10_000}).exchange(ACTION, {params: req.params, body: req.body as Body<typeof ACTION>})
        reply.code(r.status)
        return r.body as Answer<typeof ACTION>
      } catch (error) {
        throw unreachable(action, p, error)
      }
    },
    async (req): Promise<Preview<typeof ACTION>> => {
      const {group, action} = req.params
      srm.checkGroup(group)
      const p = performer(action, req.body.node, req.headers[PEER_HEADER])
      if (p === null) return srm.previewAction(action, req.body.node)
      try {
        return await ctx.peer(p, {timeoutMs: 10_000}).preview(ACTION, {params: req.params, body: req.body})
      } catch (error) {
        throw unreachable(action, p, error)
      }
    },
  )
}
