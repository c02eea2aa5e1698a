// `ucctl lab load`: simulated calls and voice messages at given rates against nodes, so that the
// effects of status changes and faults are real and countable (issue 3). Works against any
// node that answers POST /v1/calls with 201/429 (Unity Connection, Unified CM); messages only
// where POST /v1/messages exists.
import {randomBytes} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient, type NodeRef} from '../client/agent-client.js'
import {NotFoundError, RefusedError, UcctlError, UnreachableError} from '../errors.js'

export interface LoadOptions {
  callsPerSecond: number
  callDurationS: number
  messagesPerSecond: number
  durationS: number
  listIds?: boolean
  signal?: AbortSignal
  /** The counters so far, about four times a second (live progress). */
  onProgress?: (nodes: readonly NodeLoad[]) => void
}

export interface NodeLoad {
  name: string
  calls: {attempted: number; answered: number; rejected: number; unanswered: number}
  messages: {
    supported: boolean
    sent: number
    accepted: number
    duplicates: number
    rejected: number
    unanswered: number
    acceptedIds?: string[]
    unansweredIds?: string[]
  }
  /** Rejections by the rule the node named (UC-2, UC-5, UC-8, THR-...). */
  rejectedBy: Record<string, number>
}

export interface LoadReport {
  startedAt: string
  durationMs: number
  stoppedEarly: boolean
  rates: {callsPerSecondPerNode: number; callDurationS: number; messagesPerSecondPerNode: number}
  nodes: NodeLoad[]
  totals: {
    callsAttempted: number
    callsAnswered: number
    callsRejected: number
    messagesSent: number
    messagesAccepted: number
    messagesRejected: number
  }
}

const TICK_MS = 20
const MAX_OUTSTANDING = 64
const REQUEST_TIMEOUT_MS = 5000

export async function runLoad(nodes: NodeRef[], opts: LoadOptions): Promise<LoadReport> {
  const run = randomBytes(4).toString('hex')
  const started = Date.now()
  const state = nodes.map((n) => ({
    node: n,
    client: new AgentClient(n, {timeoutMs: REQUEST_TIMEOUT_MS}),
    calls: 0,
    messages: 0,
    outstanding: 0,
    report: {
      name: n.name,
      calls: {attempted: 0, answered: 0, rejected: 0, unanswered: 0},
      messages: {
        supported: true,
        sent: 0,
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        unanswered: 0,
        ...(opts.listIds ? {acceptedIds: [], unansweredIds: []} : {}),
      },
      rejectedBy: {},
    } as NodeLoad,
  }))
  const pending = new Set<Promise<void>>()
  const track = (p: Promise<void>) => {
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  const rejected = (r: NodeLoad, error: unknown) => {
    const rule = error instanceof UcctlError ? (error.rule ?? error.code) : 'unknown'
    r.rejectedBy[rule] = (r.rejectedBy[rule] ?? 0) + 1
  }

  const call = async (s: (typeof state)[number]) => {
    const r = s.report
    r.calls.attempted++
    try {
      await s.client.call('POST /v1/calls', {body: {durationMs: Math.round(opts.callDurationS * 1000)}})
      r.calls.answered++
    } catch (error) {
      if (error instanceof RefusedError) {
        r.calls.rejected++
        rejected(r, error)
      } else r.calls.unanswered++
    }
  }

  const message = async (s: (typeof state)[number], seq: number) => {
    const r = s.report
    const id = `${run}-${s.node.name}-${seq}`
    r.messages.sent++
    try {
      const {status} = await s.client.exchange('POST /v1/messages', {
        body: {id, from: `caller-${seq % 100}`, to: `mailbox-${seq % 50}`, text: `voice message ${seq} (load ${run})`},
      })
      if (status === 200) r.messages.duplicates++
      else {
        r.messages.accepted++
        r.messages.acceptedIds?.push(id)
      }
    } catch (error) {
      if (error instanceof NotFoundError && /no such route/.test(error.message)) {
        // Unified CM answers calls but keeps no voice messages: skip messages there.
        r.messages.supported = false
        r.messages.sent--
      } else if (error instanceof RefusedError) {
        r.messages.rejected++
        rejected(r, error)
      } else {
        r.messages.unanswered++
        r.messages.unansweredIds?.push(id)
        if (!(error instanceof UnreachableError)) throw error
      }
    }
  }

  const endAt = started + opts.durationS * 1000
  let shownAt = 0
  while (Date.now() < endAt && !opts.signal?.aborted) {
    if (opts.onProgress && Date.now() - shownAt >= 250) {
      shownAt = Date.now()
      opts.onProgress(state.map((s) => s.report))
    }
    const elapsed = (Date.now() - started) / 1000
    for (const s of state) {
      while (s.outstanding < MAX_OUTSTANDING && s.calls < Math.floor(elapsed * opts.callsPerSecond)) {
        s.calls++
        s.outstanding++
        track(call(s).finally(() => s.outstanding--))
      }
      while (s.report.messages.supported && s.outstanding < MAX_OUTSTANDING && s.messages < Math.floor(elapsed * opts.messagesPerSecond)) {
        const seq = ++s.messages
        s.outstanding++
        track(
          message(s, seq)
            .catch(() => {})
            .finally(() => s.outstanding--),
        )
      }
    }
    await sleep(TICK_MS)
  }
  await Promise.all([...pending])
  const reports = state.map((s) => s.report)
  const sum = (f: (n: NodeLoad) => number) => reports.reduce((a, n) => a + f(n), 0)
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    stoppedEarly: opts.signal?.aborted ?? false,
    rates: {
      callsPerSecondPerNode: opts.callsPerSecond,
      callDurationS: opts.callDurationS,
      messagesPerSecondPerNode: opts.messagesPerSecond,
    },
    nodes: reports,
    totals: {
      callsAttempted: sum((n) => n.calls.attempted),
      callsAnswered: sum((n) => n.calls.answered),
      callsRejected: sum((n) => n.calls.rejected),
      messagesSent: sum((n) => n.messages.sent),
      messagesAccepted: sum((n) => n.messages.accepted),
      messagesRejected: sum((n) => n.messages.rejected),
    },
  }
}
