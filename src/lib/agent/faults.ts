// Network faults between peers, for the lab and tests (real blocked heartbeats, no mocks):
// an isolated agent neither sends to nor answers the peers it is isolated from, so both sides
// see the other vanish exactly as on a lost network. Off unless the node config enables it.
// Isolated without naming peers, a node is cut off from everything (UC-13: its "other known
// servers" too); isolated from named peers, only those links are cut (a split between a pair).
import type {FastifyInstance} from 'fastify'
import {ForbiddenError, UnreachableError, UsageError} from '../errors.js'
import type {EventLog} from './events.js'
import {serve} from './route.js'

/** Header naming the sending node on agent-to-agent requests. */
export const PEER_HEADER = 'x-ucctl-peer'

export class NetworkFaults {
  private readonly isolated = new Set<string>()
  /** Cut off from everything, not only from its peers. */
  private everything = false

  constructor(
    private readonly peers: readonly string[],
    private readonly events: EventLog,
  ) {}

  isIsolatedFrom(peer: string): boolean {
    return this.isolated.has(peer)
  }

  /** Cut off from everything (`lab isolate NODE` without --from)? */
  isCutOff(): boolean {
    return this.everything
  }

  /** Throws as a lost network would, before anything is sent (to a peer, or any other server when cut off). */
  checkOutbound(peer: string): void {
    if (this.isolated.has(peer) || this.everything) throw new UnreachableError(`${peer} is unreachable: network isolated (lab fault)`)
  }

  list(): string[] {
    return [...this.isolated].sort()
  }

  isolate(peers: readonly string[] | undefined): string[] {
    if (!peers || peers.length === 0) this.everything = true
    for (const p of this.pick(peers)) this.isolated.add(p)
    this.events.emit({
      type: 'Fault',
      message: `network isolated from ${this.everything ? 'everything' : this.list().join(', ') || 'nobody'}`,
      data: {isolatedFrom: this.list(), cutOff: this.everything},
    })
    return this.list()
  }

  heal(peers: readonly string[] | undefined): string[] {
    if (!peers || peers.length === 0) this.everything = false
    for (const p of this.pick(peers)) this.isolated.delete(p)
    this.events.emit({
      type: 'Fault',
      message: `network healed; isolated from ${this.everything ? 'everything' : this.list().join(', ') || 'nobody'}`,
      data: {isolatedFrom: this.list(), cutOff: this.everything},
    })
    return this.list()
  }

  private pick(peers: readonly string[] | undefined): readonly string[] {
    const unknown = (peers ?? []).filter((p) => !this.peers.includes(p))
    if (unknown.length > 0)
      throw new UsageError(`not peers of this node: ${unknown.join(', ')}`, {hint: `peers: ${this.peers.join(', ') || 'none'}`})
    return peers && peers.length > 0 ? peers : this.peers
  }

  routes(app: FastifyInstance, enabled: boolean): void {
    // Requests from an isolated peer are dropped like packets: the socket closes unanswered.
    app.addHook('onRequest', async (request, reply) => {
      const from = request.headers[PEER_HEADER]
      if (typeof from === 'string' && this.isolated.has(from)) {
        reply.hijack()
        request.raw.socket.destroy()
      }
    })
    const guard = () => {
      if (!enabled)
        throw new ForbiddenError('fault injection is disabled on this node', {
          hint: 'only lab and test agents (faultInjection: true) accept faults',
        })
    }
    serve(app, 'GET /v1/faults/network', async () => ({isolatedFrom: this.list(), cutOff: this.everything, peers: [...this.peers]}))
    serve(app, 'POST /v1/faults/network/isolate', async (req) => {
      guard()
      return {isolatedFrom: this.isolate(req.body?.peers), cutOff: this.everything}
    })
    serve(app, 'POST /v1/faults/network/heal', async (req) => {
      guard()
      return {isolatedFrom: this.heal(req.body?.peers), cutOff: this.everything}
    })
  }
}
