// Submitting an action to an agent and waiting for its operation to reach a stable state,
// showing each transition as it happens (DESIGN.md "Long operations").
import type {AgentClient} from '../client/agent-client.js'
import {errorFromWire, type WireError} from '../errors.js'
import type {View} from './render.js'
import {type Envelope, envelope} from './base-command.js'
import {progressDeadline} from './progress.js'

export interface OperationDoc {
  id: string
  node: string
  action: string
  target?: Record<string, string>
  state: 'running' | 'succeeded' | 'failed'
  createdAt: string
  updatedAt: string
  transitions: Array<{time: string; message: string}>
  result?: Record<string, unknown>
  error?: WireError
}

const POLL_SLICE_MS = 10_000

export async function waitForOperation(
  client: AgentClient,
  op: OperationDoc,
  opts: {timeoutMs: number; onTransition: (message: string) => void},
): Promise<{op: OperationDoc; timedOut: boolean}> {
  const deadline = Date.now() + opts.timeoutMs
  let shown = 0
  const show = (o: OperationDoc) => {
    for (; shown < o.transitions.length; shown++) opts.onTransition(o.transitions[shown].message)
  }
  show(op)
  while (op.state === 'running') {
    const left = deadline - Date.now()
    if (left <= 0) return {op, timedOut: true}
    const wait = Math.min(left, POLL_SLICE_MS)
    op = await client.get<OperationDoc>(`/v1/operations/${op.id}`, {wait, seen: op.transitions.length}, wait + 5000)
    show(op)
  }
  return {op, timedOut: false}
}

/**
 * The Operation document of an action, and the exit code it deserves: 0 when it succeeded,
 * the error's own code when it failed, 124 when we stopped waiting.
 */
export function operationOutcome(op: OperationDoc, timedOut: boolean): {doc: Envelope; view: View; exitCode: number} {
  const {result, ...rest} = op
  const doc = envelope('Operation', {...rest, ...(result ?? {})})
  const exitCode = timedOut ? 124 : op.state === 'failed' ? (op.error ? errorFromWire(500, op.error).exitCode : 1) : 0
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
export async function submitAction(
  client: AgentClient,
  path: string,
  body: unknown,
  flags: {wait: boolean; timeout: number},
  progress: (message: string) => void,
): Promise<{doc: Envelope; view: View; exitCode: number}> {
  const {body: op} = await client.post<OperationDoc>(path, body)
  if (!flags.wait) return operationOutcome(op, false)
  // The countdown to --timeout on the node's progress line.
  progressDeadline(client.node.name, Date.now() + flags.timeout * 1000)
  const {op: last, timedOut} = await waitForOperation(client, op, {
    timeoutMs: flags.timeout * 1000,
    onTransition: (m) => progress(`${client.node.name}: ${m}`),
  }).finally(() => progressDeadline(client.node.name, undefined))
  return operationOutcome(last, timedOut)
}
