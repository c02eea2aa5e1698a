// Unity Connection cluster (SPEC §4, UC-1..16; seed 002 "Cisco Unity Connection クラスタについて"):
// the rules of manual status changes (UC-1, UC-3, UC-7, UC-8, UC-14) and what to do while no server
// is Primary (UC-10). The statuses are ./connection-statuses.ts, the role manager's machine
// ./connection-role.ts, the port and license checks ./connection-checks.ts.

import {RefusedError, UsageError} from '../errors.js'
import {type ServerStatus, statusDefinition} from './connection-statuses.js'
import type {Role} from './services.js'

// ---------------------------------------------------------------------------------------
// UC-1, UC-3, UC-7, UC-8, UC-14: manual actions

export const MANUAL_ACTIONS = ['make-primary', 'activate', 'deactivate', 'stop-taking-calls', 'take-calls'] as const
export type ManualAction = (typeof MANUAL_ACTIONS)[number]

export interface ServerView {
  name: string
  role: Role
  status: ServerStatus
  takingCalls: boolean
  callsInProgress: number
}

export interface ActionPlan {
  action: ManualAction
  server: string
  /** The status transitions (and other changes) that would happen, in order. */
  changes: string[]
  rules: string[]
  /** Things the operator should know first (calls that would be dropped). */
  warnings: string[]
  /** Nothing to do: the server is already where the action would put it. */
  noop: boolean
  /** Calls in progress that the action drops (UC-8). */
  dropsCalls: number
}

const TRANSIENT_WAIT = 'wait until the transient status ends (ucctl cluster status)'

/**
 * What a manual action on `self` does given its peer's status, or a RefusedError naming the rule.
 * `peer` is undefined when the peer is Not Functioning or unreachable.
 */
export function planManualAction(
  action: ManualAction,
  self: ServerView,
  peer: Pick<ServerView, 'name' | 'status'> | undefined,
): ActionPlan {
  const plan = (changes: string[], rules: string[], extra: Partial<ActionPlan> = {}): ActionPlan => ({
    action,
    server: self.name,
    changes,
    rules,
    warnings: [],
    noop: changes.length === 0,
    dropsCalls: 0,
    ...extra,
  })
  const s = self.status
  if (statusDefinition(s).transient) {
    throw new RefusedError(`${self.name} is ${s}: no manual status change until it ends`, {
      rule: 'UC-2',
      hint: TRANSIENT_WAIT,
      details: {status: s},
    })
  }
  if (s === 'Not Functioning') throw new RefusedError(`${self.name} is Not Functioning`, {rule: 'UC-2'})
  switch (action) {
    case 'make-primary': {
      if (s === 'Primary') return plan([], ['UC-14: already Primary; nothing to do'])
      if (s !== 'Secondary') {
        throw new RefusedError(`${self.name} is ${s}: only a Secondary server can be made Primary`, {
          rule: 'UC-14',
          hint: s === 'Deactivated' ? `activate it first: ucctl cluster activate ${self.name}` : undefined,
          details: {status: s},
        })
      }
      if (peer?.status !== 'Primary') {
        throw new RefusedError(
          `${self.name} cannot be made Primary: its peer is ${peer?.status ?? 'not reachable'}, and the Primary's role manager must be told (step 2)`,
          {
            rule: 'UC-14',
            details: {peerStatus: peer?.status ?? null},
          },
        )
      }
      return plan(
        [`${peer.name}: Primary → Secondary`, `${self.name}: Secondary → Primary`, `${self.name}: starts its critical services`],
        [
          'UC-14: manual status change (Make Primary)',
          `UC-3: the other server becomes Secondary automatically`,
          'UC-8: made manually, calls in progress are not affected',
        ],
      )
    }
    case 'deactivate': {
      if (s === 'Deactivated') return plan([], ['UC-7: already Deactivated; nothing to do'])
      if (s !== 'Secondary') {
        throw new RefusedError(`${self.name} is ${s}: only a Secondary server can be deactivated; a Primary cannot`, {
          rule: 'UC-7',
          hint:
            s === 'Primary' && peer?.status === 'Secondary'
              ? `make the other server Primary first: ucctl cluster make-primary ${peer.name}`
              : undefined,
          details: {status: s},
        })
      }
      const n = self.callsInProgress
      return plan(
        [`${self.name}: Secondary → Deactivated (answers no calls, accepts no messages)`],
        ['UC-7: only a Secondary can be deactivated', 'UC-8: Secondary → Deactivated drops calls in progress'],
        {
          warnings:
            n > 0
              ? [
                  `${n} call${n === 1 ? '' : 's'} in progress on ${self.name} will be dropped (UC-8); to avoid it: --drain (Stop Taking Calls, wait for the calls to end, then deactivate)`,
                ]
              : [],
          dropsCalls: n,
        },
      )
    }
    case 'activate': {
      if (s !== 'Deactivated') {
        if (s === 'Primary' || s === 'Secondary') return plan([], [`UC-4: ${self.name} is ${s}, already active; nothing to do`])
      }
      return plan(
        [`${self.name}: Deactivated → Starting → ${peer?.status === 'Primary' ? 'Secondary' : 'the fitting status'}`],
        ['UC-4: once activated again it resumes its share of calls', 'UC-2: Starting lasts a few minutes, then the fitting status'],
      )
    }
    case 'stop-taking-calls': {
      if (!self.takingCalls) return plan([], ['UC-8: already not taking calls; nothing to do'])
      if (!statusDefinition(s).takesCalls) return plan([], [`UC-2: ${s} answers no calls anyway; nothing to do`])
      return plan(
        [`${self.name}: stops taking new calls (status stays ${s}); ${self.callsInProgress} call(s) in progress continue`],
        ['UC-8: Stop Taking Calls, then wait until the calls have ended before deactivating'],
      )
    }
    case 'take-calls': {
      if (self.takingCalls) return plan([], ['Take Calls: already taking calls; nothing to do'])
      return plan(
        [`${self.name}: takes calls again${statusDefinition(s).takesCalls ? '' : ` (once its status answers calls; now ${s})`}`],
        ["Take Calls resumes a server's ports after Stop Taking Calls (SPEC §4)"],
      )
    }
  }
}

/** UC-1: the publisher cannot be removed from the cluster. */
export function planRemoveServer(server: {name: string; role: Role}): never {
  if (server.role === 'publisher') {
    throw new RefusedError(`${server.name} is the publisher: the publisher cannot be removed from the cluster`, {rule: 'UC-1'})
  }
  // Removing the subscriber is done on the real servers (reinstall), not by ucctl.
  throw new RefusedError(`removing ${server.name} from the cluster is not done by ucctl`, {rule: 'UC-1'})
}

/** UC-1: a cluster has exactly two servers, a publisher and a subscriber. */
export function checkClusterMembers(servers: ReadonlyArray<{name: string; role: Role}>): void {
  const pubs = servers.filter((s) => s.role === 'publisher')
  const subs = servers.filter((s) => s.role === 'subscriber')
  if (servers.length !== 2 || pubs.length !== 1 || subs.length !== 1) {
    throw new UsageError(
      `a Unity Connection cluster has exactly two servers, one publisher and one subscriber; got ${servers.map((s) => `${s.name} (${s.role})`).join(', ') || 'none'}`,
      {rule: 'UC-1'},
    )
  }
}

/**
 * UC-10 (literal): what to do while no server is Primary, for `cluster status`; null when a
 * server is Primary (or the cluster is in a transient status).
 */
export function noPrimaryAdvice(
  servers: ReadonlyArray<{name: string; role?: Role; status: ServerStatus; degraded?: readonly string[]}>,
): string | null {
  if (
    servers.some(
      (s) => s.status === 'Primary' || s.status === 'Starting' || s.status === 'Replicating Data' || s.status === 'Split Brain Recovery',
    )
  )
    return null
  const pub = servers.find((s) => s.role === 'publisher')
  const sub = servers.find((s) => s.role === 'subscriber')
  const fixes: string[] = []
  if (pub?.degraded?.length)
    fixes.push(`start ${pub.degraded.join(', ')} on ${pub.name} (ucctl service start NAME --node ${pub.name}): it becomes Primary again`)
  if (sub?.status === 'Deactivated') fixes.push(`or activate ${sub.name} (ucctl cluster activate ${sub.name})`)
  else if (sub?.status === 'Not Functioning') fixes.push(`or bring ${sub.name} back`)
  return `UC-10: no server is Primary: ${pub ? `${pub.name} is ${pub.status}${pub.degraded?.length ? ` (degraded: ${pub.degraded.join(', ')} stopped)` : ''}` : 'the publisher is unknown'}${sub ? `, ${sub.name} is ${sub.status}` : ''}; no server answers as Primary (MWI, notifications, message transfer) until one is. To do: ${fixes.join('; ') || 'start the stopped critical services on the publisher'}`
}
