// `ucctl status [--check]`: the NodeList (or its check) from one outcome per node, whatever
// read them (agents or a cisco context's Control Center), by DESIGN.md "Reading several nodes".
import {type NodeError, type NodeOutcome, requireAnAnswer, unreadFindings, unreadMark, unreadOf, warnUnread} from '../client/outcome.js'
import {type Envelope, envelope} from './base-command.js'
import {checkOutcome} from './check.js'
import type {View} from './render.js'

/** What a node says of itself (the fields of a NodeList entry). */
export interface NodeInfo {
  product: string
  role: string | null
  version: string | null
  health: string
  services: {running: number; total: number; failed?: number}
  [more: string]: unknown
}

/** `health` of a node not read: what a script can test without parsing the message. */
const HEALTH: Record<NodeError['code'], string> = {
  Unauthorized: 'unauthorized',
  Forbidden: 'unauthorized',
  Unreachable: 'unreachable',
  Timeout: 'unreachable',
  Error: 'error',
}

/** Exit 4 or 7 when no node answered; otherwise the NodeList (or, with `check`, SVC-4 findings, one per node not read). */
export function nodeListOutcome(
  context: string,
  outcomes: Array<NodeOutcome<NodeInfo>>,
  opts: {check: boolean; title: string; notice: (m: string) => void},
): {doc: Envelope; view: View; exitCode: number} {
  requireAnAnswer(outcomes, `status of context ${context}`)
  const unread = unreadOf(outcomes)
  warnUnread(unread, opts.notice)
  const nodes = outcomes.map((o) =>
    o.ok
      ? {...o.value, name: o.node.name, url: o.node.url}
      : {
          name: o.node.name,
          url: o.node.url,
          product: null,
          role: null,
          version: null,
          health: HEALTH[o.error.code],
          services: {running: 0, total: 0},
          error: o.error,
        },
  )
  if (opts.check) {
    const findings = [
      ...unreadFindings(unread, 'SVC-4'),
      ...nodes.flatMap((n) =>
        'error' in n || n.health === 'ok'
          ? []
          : [
              {
                rule: 'SVC-4',
                severity: 'error' as const,
                node: n.name,
                message: `${n.name} is ${n.health}: ${n.services.failed ?? n.services.total - n.services.running} service(s) Failed`,
                fix: `ucctl service list --node ${n.name}; start what NodeManager gave up on`,
              },
            ],
      ),
    ]
    return checkOutcome({ok: findings.length === 0, findings}, {context, nodes})
  }
  return {
    doc: envelope('NodeList', {context, nodes}),
    view: {
      title: opts.title,
      columns: ['NODE', 'PRODUCT', 'ROLE', 'VERSION', 'HEALTH', 'SERVICES', 'URL'],
      stateColumn: 4,
      rows: nodes.map((n) => [
        n.name,
        n.product,
        n.role,
        n.version,
        'error' in n && n.error ? unreadMark(n.error) : n.health,
        `${n.services.running}/${n.services.total}`,
        n.url,
      ]),
    },
    exitCode: 0,
  }
}
