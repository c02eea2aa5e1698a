// A Unity Connection agent's routes (declared in ../api/routes/connection.ts): the cluster's status
// and manual changes, the role managers' peer messages, and the simulated calls, voice messages
// and administrative changes. The role manager (./connection-role-manager.ts) holds the state.
import {randomUUID} from 'node:crypto'
import type {FastifyInstance} from 'fastify'
import {acceptPeerHandover} from '../domain/connection-role.js'
import {replicationAllowed, statusDefinition} from '../domain/connection-statuses.js'
import {RefusedError, RejectedError, UsageError} from '../errors.js'
import type {ManualBody, RoleManager} from './connection-role-manager.js'
import type {AgentContext} from './module.js'
import {serve} from './route.js'

export function serveConnection(app: FastifyInstance, rm: RoleManager, ctx: AgentContext): void {
  const {self, peerName, records, calls, counters} = rm
  /** UC-1: a role manager talks to its own peer only. */
  const fromPeer = (from: string) => {
    if (from !== peerName) throw new UsageError(`${from} is not the peer of ${self}`, {rule: 'UC-1'})
  }
  const drainOnDeactivate = (action: string, body: ManualBody) => {
    if ((body.drain || body.drainTimeoutMs !== undefined) && action !== 'deactivate')
      throw new UsageError('drain applies to deactivate only')
    return body
  }

  serve(app, 'GET /v1/cluster', async () => rm.view())

  // A keepalive is the peer's state as a read (no audit, no idempotency): it changes only
  // what this server knows about its peer.
  serve(app, 'GET /v1/cluster/keepalive', async (req) => {
    const q = req.query
    fromPeer(q.from)
    rm.dispatch({
      type: 'keepalive',
      peer: {status: q.status, since: q.since, sbrPhase: q.sbrPhase || null, pendingToPeer: q.pending ?? 0},
    })
    return rm.myInfo()
  })

  serve(app, 'POST /v1/cluster/replicate', async (req) => {
    fromPeer(req.body.from)
    const allowed = replicationAllowed(req.body.status, rm.state().status)
    if (!allowed.allowed)
      throw new RefusedError(`no replication from ${req.body.status} to ${rm.state().status}: ${allowed.why}`, {rule: allowed.rule})
    return {node: self, ...records.receive(req.body.records, peerName)}
  })

  serve(app, 'POST /v1/cluster/handover', async (req) => {
    fromPeer(req.body.from)
    const {phase, status, since} = req.body
    acceptPeerHandover(rm.state(), phase)
    rm.dispatch({
      type: 'peerHandover',
      phase,
      peer: {status, since, sbrPhase: null, pendingToPeer: rm.state().peerInfo?.pendingToPeer ?? 0},
    })
    return {node: self, status: rm.state().status, since: rm.state().statusSinceMs}
  })

  serve(
    app,
    'POST /v1/cluster/:action',
    async (req, reply) => {
      const {action} = req.params
      const body = drainOnDeactivate(action, req.body ?? {})
      const plan = rm.planFor(action) // RefusedError (422) names the rule; nothing changes
      const target = {server: self}
      if (plan.noop) return ctx.operations.done(`cluster ${action}`, target, plan.rules[0], {server: self, status: rm.state().status, plan})
      if (action === 'deactivate' && plan.dropsCalls > 0 && !body.dropCalls && !body.drain) {
        throw new RefusedError(`${plan.dropsCalls} call(s) in progress on ${self} would be dropped`, {
          rule: 'UC-8',
          hint: 'confirm dropping them, or drain: Stop Taking Calls, wait for the calls to end, then deactivate (--drain)',
          details: {callsInProgress: plan.dropsCalls},
        })
      }
      // A drain can stop safely while it waits for calls (Take Calls restored); not later.
      const drain = {waiting: false}
      const op = ctx.operations.start(
        `cluster ${action}`,
        target,
        [`cluster:${self}`],
        (progress, signal) => rm.manual(action, body, progress, signal, drain),
        {
          cancellable: () =>
            drain.waiting
              ? undefined
              : body.drain
                ? `${self} is no longer draining: the deactivation has begun`
                : `cluster ${action} is not a drain`,
        },
      )
      reply.code(202)
      return op
    },
    async (req) => rm.preview(req.params.action, drainOnDeactivate(req.params.action, req.body ?? {})),
  )

  serve(app, 'POST /v1/calls', async (req, reply) => {
    const {durationMs} = req.body ?? {}
    if (durationMs === undefined) throw new UsageError("invalid body: body must have required property 'durationMs'")
    const no = rm.notTaking()
    if (no) {
      counters.callsRejected++
      throw new RejectedError(no.message, {rule: no.rule})
    }
    const id = randomUUID()
    const now = Date.now()
    const endsAt = new Date(now + durationMs).toISOString()
    const timer = setTimeout(() => {
      calls.delete(id)
      rm.wake()
    }, durationMs)
    timer.unref()
    calls.set(id, {id, startedAt: new Date(now).toISOString(), endsAt, timer})
    counters.callsAnswered++
    reply.code(201)
    return {id, node: self, endsAt}
  })

  serve(app, 'GET /v1/calls', async () => ({
    node: self,
    callsInProgress: calls.size,
    calls: [...calls.values()].map(({timer: _t, ...c}) => c),
    answered: counters.callsAnswered,
    rejected: counters.callsRejected,
    dropped: rm.callsDropped(),
  }))

  serve(app, 'POST /v1/messages', async (req, reply) => {
    const id = req.body.id ?? randomUUID()
    if (records.has(id)) return {id, node: self, duplicate: true as const}
    const no = rm.notTaking()
    if (no || rm.deafSecondary()) {
      counters.messagesRejected++
      throw new RejectedError(no?.message ?? `${self} is Secondary and hears nothing from the Primary: mailbox temporarily unavailable`, {
        rule: no?.rule ?? 'UC-5',
      })
    }
    const {id: _id, ...data} = req.body
    records.add({id, kind: 'message', acceptedBy: self, acceptedAt: new Date().toISOString(), data})
    counters.messagesAccepted++
    rm.replicateSoon()
    reply.code(201)
    return {id, node: self}
  })

  serve(app, 'GET /v1/messages', async (req) => {
    const kind = req.query.kind ?? 'message'
    const withIds = req.query.ids === '1' || req.query.ids === 'true'
    return {node: self, kind, count: records.count(kind), digest: records.digest(kind), ...(withIds ? {ids: records.idsOf(kind)} : {})}
  })

  serve(app, 'POST /v1/cluster/admin-changes', async (req, reply) => {
    const id = req.body.id ?? randomUUID()
    if (records.has(id)) return {id, node: self, duplicate: true as const}
    if (!statusDefinition(rm.state().status).acceptsAdminChanges) {
      throw new RefusedError(`${self} is ${rm.state().status}: it does not accept administrative changes`, {rule: 'UC-2'})
    }
    const {id: _id, ...data} = req.body
    records.add({id, kind: 'admin', acceptedBy: self, acceptedAt: new Date().toISOString(), data})
    rm.replicateSoon()
    reply.code(201)
    return {id, node: self}
  })
}
