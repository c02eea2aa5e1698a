// What the tests of the Server Recovery Manager share (presence-srm*.test.ts): a fresh pair of
// in-process IM and Presence agents per test, disposed after it, and what they read of it.
import assert from 'node:assert/strict'
import {afterEach} from 'node:test'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {A, act, B, InProcessPair, view, waitRow} from './presence-lab.js'

export type Pair = InProcessPair

export const ENGINE = 'Cisco Presence Engine'
export const DB = 'Cisco IM and Presence Database'
export const SLOW = {moveBatchSize: 250, moveBatchPauseMs: 40}

let current: Pair | undefined
export async function group(opts: ConstructorParameters<typeof InProcessPair>[0] = {}): Promise<Pair> {
  current = await new InProcessPair(opts).start()
  return current
}
// Each test's pair is disposed after it (registered for the test file that imports this).
afterEach(async () => {
  await current?.dispose()
  current = undefined
})

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
