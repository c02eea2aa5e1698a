// One outcome per node of a fan-out (DESIGN.md "Reading several nodes"): ok, auth refused,
// unreachable (refused, timed out, TLS) or error. Every backend produces these from the error
// classes of ../errors.ts, and every command that reads several nodes decides its exit from them.
import {ForbiddenError, UcctlError, UnauthorizedError, UnreachableError} from '../errors.js'
import {fanOut, type NodeRef} from './agent-client.js'

export type NodeErrorCode = 'Unauthorized' | 'Forbidden' | 'Unreachable' | 'Timeout' | 'Error'

/** What a JSON document carries for a node that could not be read. */
export interface NodeError {
  code: NodeErrorCode
  message: string
}

export type NodeOutcome<T> = {node: NodeRef; ok: true; value: T} | {node: NodeRef; ok: false; error: NodeError; cause: unknown}

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])

export function nodeError(error: unknown): NodeError {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof UnauthorizedError) return {code: 'Unauthorized', message}
  if (error instanceof ForbiddenError) return {code: 'Forbidden', message}
  if (error instanceof UnreachableError) return {code: TIMEOUTS.has(String(error.details?.cause)) ? 'Timeout' : 'Unreachable', message}
  return {code: 'Error', message}
}

/** Runs `read` on every node and keeps each node's outcome. */
export async function readNodes<T>(nodes: NodeRef[], read: (node: NodeRef) => Promise<T>): Promise<Array<NodeOutcome<T>>> {
  const answers = await fanOut(nodes, read)
  return answers.map((a) => (a.ok ? a : {node: a.node, ok: false, error: nodeError(a.error), cause: a.error}))
}

export function failed<T>(outcomes: Array<NodeOutcome<T>>): Array<Extract<NodeOutcome<T>, {ok: false}>> {
  return outcomes.filter((o): o is Extract<NodeOutcome<T>, {ok: false}> => !o.ok)
}

const isAuth = (e: NodeError) => e.code === 'Unauthorized' || e.code === 'Forbidden'

/**
 * The exit table's last two rows: when every node needed failed, exit 4 if all refused our
 * credentials, else 7. Nothing is thrown while one node answered (or nothing was needed).
 */
export function requireAnAnswer<T>(outcomes: Array<NodeOutcome<T>>, what: string): void {
  const bad = failed(outcomes)
  if (bad.length === 0 || bad.length < outcomes.length) return
  const detail = bad.map((o) => `${o.node.name}: ${o.error.code}`).join(', ')
  if (bad.every((o) => isAuth(o.error))) {
    const first = bad[0].cause
    // The agent's own answer says whether the token was missing, unknown or lacks the role.
    if (bad.length === 1 && first instanceof UcctlError) throw first
    const Cls = bad.every((o) => o.error.code === 'Forbidden') ? ForbiddenError : UnauthorizedError
    // The first refusal says what was refused (a token, a password, an SSH login) and how to fix it.
    const hint = (first instanceof UcctlError && first.hint) || 'log in again: ucctl login (or set UCCTL_TOKEN)'
    throw new Cls(`${what}: every node refused the credentials (${detail}); ${bad[0].error.message}`, {
      hint,
      details: {nodes: errorsByNode(bad)},
    })
  }
  if (bad.length === 1 && bad[0].cause instanceof UnreachableError) throw bad[0].cause
  const cause = bad.find((o) => o.cause instanceof UcctlError && o.cause.hint)?.cause as UcctlError | undefined
  throw new UnreachableError(`${what}: no node answered (${detail})`, {
    hint: cause?.hint ?? "are their agents running? (ucctl lab status, or the nodes' ucctl-agent service)",
    details: {nodes: errorsByNode(bad)},
  })
}

function errorsByNode(bad: Array<{node: NodeRef; error: NodeError}>): Record<string, NodeError> {
  return Object.fromEntries(bad.map((o) => [o.node.name, o.error]))
}

/** One warning line per node not read (stderr). */
export function warnUnread(unread: Array<{name: string; error: NodeError}>, notice: (m: string) => void): void {
  for (const u of unread) notice(`warning: could not read ${u.name}: ${u.error.message}`)
}

/** A check never passes on what it did not read: one error finding per node not read. */
export function unreadFindings(
  unread: Array<{name: string; error: NodeError}>,
  rule: string,
): Array<{rule: string; severity: 'error'; node: string; message: string; fix: string}> {
  return unread.map((u) => ({
    rule,
    severity: 'error' as const,
    node: u.name,
    message: `could not read ${u.name}: ${u.error.message}`,
    fix: isAuth(u.error) ? 'log in with a token the agent accepts (ucctl login)' : `check the agent of ${u.name}, then run the check again`,
  }))
}

/** The short mark of a node not read, for a table cell. */
export function unreadMark(error: NodeError): string {
  return `not read: ${error.code}`
}

/** The nodes not read, each with its error: a document's `unread[]` when its own list cannot hold them. */
export function unreadOf<T>(outcomes: Array<NodeOutcome<T>>): Array<{name: string; error: NodeError}> {
  return failed(outcomes).map((o) => ({name: o.node.name, error: o.error}))
}
