// Submitting an action to an agent and waiting for its operation to reach a stable state,
// showing each transition as it happens (DESIGN.md "Long operations").
import type {Args, OperationRoute} from '../api/index.js'
import type {Operation} from '../api/schemas.js'
import {AgentClient, type NodeRef} from '../client/agent-client.js'
import {failed, type NodeError, readNodes, requireAnAnswer, unreadMark, unreadOf} from '../client/outcome.js'
import {errorFromWire, InterruptedError, NotFoundError} from '../errors.js'
import type {View} from './render.js'
import {type Envelope, envelope} from './base-command.js'
import {progressDeadline} from './progress.js'

/** An operation as its agent reports it (the contract's Operation). */
export type OperationDoc = Operation

const POLL_SLICE_MS = 10_000

/**
 * One Ctrl-C listener for a whole submit-and-wait. Removing a listener and adding the next one
 * between the agent's answer and the wait could drop a Ctrl-C that arrives with that answer: the
 * CLI would then wait on, deaf to it, until the operation ended.
 */
export interface Interrupt {
  readonly fired: boolean
  /** Resolves when Ctrl-C comes (at once if it came already). */
  wait(): Promise<void>
  done(): void
}

export function listenForInterrupt(): Interrupt {
  let fired = false
  const waiters: Array<() => void> = []
  const onSigint = () => {
    fired = true
    for (const w of waiters.splice(0)) w()
  }
  process.on('SIGINT', onSigint)
  return {
    get fired() {
      return fired
    },
    wait: () => new Promise<void>((resolve) => (fired ? resolve() : waiters.push(resolve))),
    done: () => process.off('SIGINT', onSigint),
  }
}

export async function waitForOperation(
  client: AgentClient,
  op: OperationDoc,
  opts: {timeoutMs: number; onTransition: (message: string) => void; interrupt?: Interrupt},
): Promise<{op: OperationDoc; timedOut: boolean}> {
  const deadline = Date.now() + opts.timeoutMs
  let shown = 0
  const show = (o: OperationDoc) => {
    for (; shown < o.transitions.length; shown++) opts.onTransition(o.transitions[shown].message)
  }
  // Ctrl-C stops the waiting, not the operation: say how to follow it (DESIGN.md "Exit codes").
  const interrupt = opts.interrupt ?? listenForInterrupt()
  const interrupted = interrupt.wait().then((): never => {
    throw interruptedWaiting(op, client.node.name)
  })
  interrupted.catch(() => {})
  try {
    show(op)
    while (op.state === 'running') {
      const left = deadline - Date.now()
      if (left <= 0) return {op, timedOut: true}
      const wait = Math.min(left, POLL_SLICE_MS)
      op = await Promise.race([
        client.call('GET /v1/operations/:id', {params: {id: op.id}, query: {wait, seen: op.transitions.length}, timeoutMs: wait + 5000}),
        interrupted,
      ])
      show(op)
    }
    return {op, timedOut: false}
  } finally {
    if (!opts.interrupt) interrupt.done()
  }
}

/** Ctrl-C while an operation runs: its id and how to follow it on stderr; exit 130, it goes on. */
function interruptedWaiting(op: OperationDoc, node: string): InterruptedError {
  process.stderr.write(
    `\ninterrupted: operation ${op.id} (${op.action}) goes on on ${node}; follow it with: ucctl operation wait ${op.id}\n`,
  )
  return new InterruptedError(`interrupted while waiting; operation ${op.id} goes on`, {
    hint: `ucctl operation wait ${op.id}`,
    details: {operation: op.id, node, state: op.state},
  })
}

/**
 * The Operation document of an action, and the exit code it deserves: 0 when it succeeded,
 * the error's own code when it failed, 124 when we stopped waiting.
 */
export function operationOutcome(op: OperationDoc, timedOut: boolean): {doc: Envelope; view: View; exitCode: number} {
  const {result, ...rest} = op
  const doc = envelope('Operation', {...rest, ...(result ?? {})})
  // Cancelled by an operator: the action did not happen as asked (exit 1; `operation cancel` itself exits 0).
  const exitCode = timedOut
    ? 124
    : op.state === 'failed'
      ? op.error
        ? errorFromWire(500, op.error).exitCode
        : 1
      : op.state === 'cancelled'
        ? 1
        : 0
  const last = op.transitions.at(-1)?.message ?? ''
  const view: View = {
    columns: ['OPERATION', 'NODE', 'ACTION', 'STATE', 'LAST'],
    rows: [[op.id, op.node, op.action, timedOut ? 'running (timed out waiting)' : op.state, op.error ? op.error.message : last]],
    stateColumn: 3,
  }
  return {doc, view, exitCode}
}

/**
 * POSTs an action to an agent and, unless --no-wait, waits for its operation to reach a stable
 * state, showing transitions as progress. The one way commands run an agent action.
 */
export async function submitAction<K extends OperationRoute>(
  client: AgentClient,
  route: K,
  request: Args<K>[0],
  flags: {wait: boolean; timeout: number},
  progress: (message: string) => void,
  /** The client of another node: an agent that forwarded the action answers that node's operation. */
  clientOf?: (node: string) => AgentClient | undefined,
): Promise<{doc: Envelope; view: View; exitCode: number}> {
  // Ctrl-C while the action is being submitted: once the agent answers, say what it started.
  const interrupt = listenForInterrupt()
  try {
    const op: OperationDoc = await client.call(route, ...([request] as Args<K>))
    if (interrupt.fired && op.state === 'running') throw interruptedWaiting(op, client.node.name)
    if (!flags.wait) return operationOutcome(op, false)
    const runner = op.node === client.node.name ? client : (clientOf?.(op.node) ?? client)
    // The countdown to --timeout on the node's progress line.
    progressDeadline(runner.node.name, Date.now() + flags.timeout * 1000)
    const {op: last, timedOut} = await waitForOperation(runner, op, {
      timeoutMs: flags.timeout * 1000,
      onTransition: (m) => progress(`${runner.node.name}: ${m}`),
      interrupt,
    }).finally(() => progressDeadline(runner.node.name, undefined))
    return operationOutcome(last, timedOut)
  } finally {
    interrupt.done()
  }
}

/** One line of `operation list`: what an agent holds of an operation. */
export interface OperationSummary {
  id: string
  node: string
  group?: string
  action: string
  target?: Record<string, string>
  state: OperationDoc['state']
  createdAt: string
  updatedAt: string
  last: string | null
}

/** `operation list`: every operation the agents hold (running and recent), newest first. */
export async function listOperations(
  nodes: NodeRef[],
  opts: {all: boolean; context: string},
): Promise<{doc: Envelope; view: View; unread: Array<{name: string; error: NodeError}>}> {
  const outcomes = await readNodes(nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).call('GET /v1/operations'))
  requireAnAnswer(outcomes, `operations of context ${opts.context}`)
  const unread = unreadOf(outcomes)
  const operations = outcomes
    .flatMap((o) => (o.ok ? o.value.operations : []))
    .filter((o) => opts.all || o.state === 'running' || Date.now() - Date.parse(o.updatedAt) < RECENT_MS)
    .map((o) => ({...o, ...(o.target?.group ? {group: o.target.group} : {}), startedAt: o.createdAt}))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  return {
    doc: envelope('OperationList', {context: opts.context, operations, ...(unread.length ? {unread} : {})}),
    view: {
      title: `context ${opts.context}`,
      columns: ['OPERATION', 'NODE', 'ACTION', 'STATE', 'STARTED', 'LAST'],
      stateColumn: 3,
      rows: [
        ...operations.map((o) => [o.id, o.group ?? o.node, o.action, o.state, o.startedAt, o.last]),
        ...unread.map((u) => ['', u.name, '', unreadMark(u.error), '', u.error.message]),
      ],
      notes:
        operations.length === 0
          ? [opts.all ? 'no operations' : 'no operation running or finished in the last hour (--all shows every one the agents keep)']
          : [],
    },
    unread,
  }
}

const RECENT_MS = 3600_000

/** The agent that holds operation `id` (each agent knows its own); exit 2 when none does. */
export async function findOperation(nodes: NodeRef[], id: string, context: string): Promise<{client: AgentClient; op: OperationDoc}> {
  const outcomes = await readNodes(nodes, async (n) => {
    const client = new AgentClient(n)
    try {
      return {client, op: await client.call('GET /v1/operations/:id', {params: {id}})}
    } catch (error) {
      if (error instanceof NotFoundError) return null
      throw error
    }
  })
  const found = outcomes.find((o) => o.ok && o.value !== null)
  if (found?.ok && found.value) return found.value
  // It may be held by a node that could not be asked: that node's failure is the answer (4 or 7).
  const unread = failed(outcomes)
  if (unread.length > 0) requireAnAnswer(unread, `operation ${id} (not on the nodes that answered)`)
  throw new NotFoundError(`no node of context ${context} holds operation ${id}`, {
    hint: 'ucctl operation list --all shows the operations the agents keep',
  })
}

/** `operation cancel`: asks the agent that holds it; waits (unless --no-wait) until it has stopped. */
export async function cancelOperation(
  nodes: NodeRef[],
  id: string,
  context: string,
  flags: {wait: boolean; timeout: number},
  progress: (m: string) => void,
): Promise<{doc: Envelope; view: View; exitCode: number}> {
  const {client} = await findOperation(nodes, id, context)
  const op = await client.call('POST /v1/operations/:id/cancel', {params: {id}})
  const {op: last, timedOut} = flags.wait
    ? await waitForOperation(client, op, {timeoutMs: flags.timeout * 1000, onTransition: (m) => progress(`${client.node.name}: ${m}`)})
    : {op, timedOut: false}
  const r = operationOutcome(last, timedOut)
  // Asked to cancel: cancelled is this command's success; finished otherwise meanwhile is not.
  return {...r, exitCode: last.state === 'cancelled' || (!flags.wait && last.state === 'running') ? 0 : timedOut ? 124 : 1}
}
