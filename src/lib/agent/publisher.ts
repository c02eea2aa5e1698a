// The Unified CM publisher among a node's peers: the one that holds the configuration database
// (ADM-10). Unified CM subscribers read through it; IM and Presence Sync Agents take users from it.
import type {AgentContext} from './module.js'

/** The publisher's name; `asked: true` when every peer answered (null then means there is none). */
export async function findCucmPublisher(ctx: AgentContext): Promise<{name: string | null; asked: boolean}> {
  let asked = true
  for (const p of ctx.config.peers) {
    try {
      const info = await ctx.peer(p.name, {timeoutMs: 2000}).call('GET /v1/node')
      if (info.product === 'cucm' && info.role === 'publisher') return {name: p.name, asked: true}
    } catch {
      // Not answering now: it may be the publisher; ask again later.
      asked = false
    }
  }
  return {name: null, asked}
}
