// `events --follow` over several nodes: one Server-Sent Events stream per node that survives
// agent restarts and network faults. Each stream resumes with Last-Event-ID after the last
// event it delivered, so every event is delivered once, in order per node.
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient, type NodeRef} from '../client/agent-client.js'
import {type NodeOutcome, nodeError, requireAnAnswer} from '../client/outcome.js'
import type {AgentEvent} from '../api/schemas.js'

export interface FollowOptions {
  since?: string
  signal: AbortSignal
  onEvent: (e: AgentEvent) => void
  notice: (message: string) => void
  /** Reconnection delays: the first, doubled after each failure up to the last. */
  backoffMs?: {first: number; max: number}
}

const BACKOFF = {first: 200, max: 5000}

/**
 * Follows every node until `signal` aborts. When every node fails on the first attempt the
 * exit table applies (4 or 7); a node that fails later, or first while others answer, is
 * retried with backoff (except a refused token: retrying would not change it).
 */
export async function followEvents(nodes: NodeRef[], opts: FollowOptions): Promise<void> {
  const stop = new AbortController()
  const signal = AbortSignal.any([opts.signal, stop.signal])
  const followers = nodes.map((n) => followNode(n, {...opts, signal}))
  const firsts = await Promise.all(followers.map((f) => f.first))
  try {
    requireAnAnswer(firsts, 'events')
  } catch (error) {
    stop.abort()
    await Promise.all(followers.map((f) => f.done))
    throw error
  }
  await Promise.all(followers.map((f) => f.done))
}

function followNode(node: NodeRef, opts: FollowOptions): {first: Promise<NodeOutcome<true>>; done: Promise<void>} {
  const backoff = opts.backoffMs ?? BACKOFF
  const client = new AgentClient(node)
  let settleFirst!: (o: NodeOutcome<true>) => void
  const first = new Promise<NodeOutcome<true>>((resolve) => (settleFirst = resolve))
  let started = false
  /** The last event delivered (its seq), and where to resume. */
  let lastSeq = -1
  let lastId: string | undefined
  let lost = false
  const done = (async () => {
    let delay = backoff.first
    while (!opts.signal.aborted) {
      try {
        await client.follow(
          'GET /v1/events',
          {query: {follow: 'true', since: lastId === undefined ? opts.since : undefined}},
          (e, frame) => {
            if (e.seq <= lastSeq) return
            lastSeq = e.seq
            lastId = frame.id ?? String(e.seq)
            opts.onEvent(e)
          },
          opts.signal,
          {
            lastEventId: lastId,
            // The agent first says where the stream starts: connected (again) from there.
            onId: (id) => {
              const from = Number(id)
              // A history that started again (the node's state was purged): follow the new one.
              if (from < lastSeq) lastSeq = from
              lastId = id
              if (!started) settleFirst({node, ok: true, value: true})
              else if (lost) opts.notice(`${node.name}: event stream back; resumed after event ${from}`)
              started = true
              lost = false
              delay = backoff.first
            },
          },
        )
        if (opts.signal.aborted) break
        if (!lost) opts.notice(`warning: ${node.name}: event stream ended (agent stopping?); reconnecting`)
      } catch (error) {
        if (opts.signal.aborted) break
        const ne = nodeError(error)
        if (!started) {
          started = true
          settleFirst({node, ok: false, error: ne, cause: error})
          opts.notice(
            `warning: could not read ${node.name}: ${ne.message}${ne.code === 'Unauthorized' || ne.code === 'Forbidden' ? '' : '; retrying'}`,
          )
        } else if (!lost) opts.notice(`warning: ${node.name}: event stream lost (${ne.message}); reconnecting`)
        // A refused token stays refused: retrying would only hammer the agent.
        if (ne.code === 'Unauthorized' || ne.code === 'Forbidden') return
      }
      lost = true
      try {
        await sleep(delay, undefined, {signal: opts.signal})
      } catch {
        break
      }
      delay = Math.min(delay * 2, backoff.max)
    }
    if (!started) settleFirst({node, ok: false, error: {code: 'Error', message: 'interrupted'}, cause: undefined})
  })()
  return {first, done}
}
