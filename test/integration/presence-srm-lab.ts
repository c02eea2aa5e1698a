// What the tests of the Server Recovery Manager share (presence-srm*.test.ts): a fresh pair of
// in-process IM and Presence agents per test, disposed after it, and what they read of it.
import assert from 'node:assert/strict'
import type {TestContext} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {A, act, B, InProcessPair, view, waitRow} from './presence-lab.js'

export type Pair = InProcessPair

export const ENGINE = 'Cisco Presence Engine'
export const DB = 'Cisco IM and Presence Database'
export const SLOW = {moveBatchSize: 250, moveBatchPauseMs: 40}
/**
 * Tests at once in a file, each with its own pair (ports, state). The pairs share this process's
 * event loop, whose stalls (synchronous fsyncs and spawns) must stay below the fast profile's
 * 1.5 s keepalive timeout: at three, on a loaded 2-core machine, they stayed around 1 s at most.
 */
export const CONCURRENCY = 3

/** The test's own pair, disposed after it. */
export async function group(t: TestContext, opts: ConstructorParameters<typeof InProcessPair>[0] = {}): Promise<Pair> {
  const p = new InProcessPair(opts)
  t.after(() => p.dispose())
  return p.start()
}

export const urls = (p: Pair) => ({[A]: p.url(A), [B]: p.url(B)})
export const users = async (p: Pair, from = A) => Object.fromEntries((await view(p.url(from))).status.nodes.map((n) => [n.name, n.users]))
export const events = async (p: Pair, n: string) => (await new AgentClient({name: n, url: p.url(n)}).call('GET /v1/events')).events
export const rowsSeen = async (p: Pair, n: string) =>
  new Set((await events(p, n)).filter((e) => e.type === 'PresenceState').map((e) => Number(/row (\d+)\)$/.exec(e.message)?.[1])))

export async function failedOver(p: Pair): Promise<void> {
  const op = await act(p.url(B), 'failover', A)
  assert.equal(op.state, 'succeeded', JSON.stringify(op.error))
  await waitRow(p.url(A), 3)
}
