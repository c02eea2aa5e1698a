// IM and Presence high availability (SPEC §6): the pure state machine of a two-node presence
// redundancy group that the node agents' Server Recovery Manager (SRM) drives. No I/O, no clock:
// time comes in as `nowMs`; what the agent must do comes out as effects.

import {
  assertAllowed,
  clone,
  type Draft,
  type DraftNode,
  type GroupState,
  type HaEffect,
  type HaEvent,
  indexOf,
  other,
  type Transition,
} from './presence-group.js'
import {DOCUMENTED_HA_TIMERS, type HaTimers, type NodeState, type Reason} from './presence-tables.js'

/**
 * PRG-9/ADM-9 (run time): with HA off a node shows its real state, not SRM's: Normal while its
 * critical services run; Idle while they are stopped (an Idle node keeps its reason). Never
 * "Normal" for a node whose services are stopped, so never PRG-7 row 1 by mistake.
 */
function independent(n: DraftNode): void {
  if (!n.up) set(n, null, null)
  else if (n.criticalServicesRunning) set(n, 'Normal', 'Normal')
  else set(n, 'Idle', n.state === 'Idle' && n.reason ? n.reason : 'Critical Service Down')
}

function set(n: DraftNode, state: NodeState | null, reason: Reason | null): void {
  n.state = state
  n.reason = reason
}

/** Moves users now (counts change); the effect tells the agent to do it. */
function moveNow(g: Draft, fx: HaEffect[], from: 0 | 1, to: 0 | 1, users: number): void {
  const n = Math.min(users, g.nodes[from].users)
  if (n <= 0) return
  g.nodes[from].users -= n
  g.nodes[to].users += n
  fx.push({kind: 'moveUsers', from: g.nodes[from].name, to: g.nodes[to].name, users: n, by: g.nodes[to].name})
}

/** Puts every user back on its assigned node (end of a fallback, recovery). */
function usersHome(g: Draft, fx: HaEffect[]): void {
  for (const i of [0, 1] as const) {
    const surplus = g.nodes[i].users - g.nodes[i].assignedUsers
    if (surplus > 0) moveNow(g, fx, i, other(i), surplus)
  }
}

function alarm(fx: HaEffect[], node: string | null, rule: string, message: string): void {
  fx.push({kind: 'raiseAlarm', node, rule, message})
}

/** Both nodes failed (rows 14, 15, 19, 20, 21); a down node keeps the recorded failed state. */
function failed(g: Draft, fx: HaEffect[], reason: Reason): void {
  for (const n of g.nodes) set(n, 'Running in Failed Mode', reason)
  g.healthySinceMs = null
  alarm(fx, null, 'PRG-7', `group ${g.name}: both nodes Running in Failed Mode / ${reason}: select Recover`)
}

/** PRG-9 (HA enable) and manual recovery: SRM starts on both nodes and sets their states. */
function initialize(g: Draft, fx: HaEffect[]): void {
  g.node1 = null
  g.healthySinceMs = null
  const [a, b] = g.nodes
  if (!a.up || !b.up) {
    // An SRM that cannot be reached cannot take part: HA is not enabled correctly (row 24).
    for (const n of g.nodes) set(n, 'Unknown', 'Unknown')
    alarm(fx, null, 'PRG-7', `group ${g.name}: high availability not enabled correctly; restart SRM on both nodes`)
    return
  }
  for (const n of g.nodes) {
    fx.push({kind: 'restartSrm', node: n.name})
    n.criticalServicesDownSinceMs = null
  }
  if (a.criticalServicesRunning && b.criticalServicesRunning) {
    for (const n of g.nodes) set(n, 'Normal', 'Normal')
    usersHome(g, fx)
  } else if (a.criticalServicesRunning || b.criticalServicesRunning) {
    // A node whose critical services are down fails over at once.
    const x: 0 | 1 = a.criticalServicesRunning ? 1 : 0
    set(g.nodes[x], 'Failed Over with Critical Services Not Running', 'Critical Service Down')
    set(g.nodes[other(x)], 'Running in Backup Mode', 'Critical Service Down')
    g.node1 = x
    moveNow(g, fx, x, other(x), g.nodes[x].users)
    alarm(fx, g.nodes[x].name, 'PRG-9', `critical services down on ${g.nodes[x].name}: failed over at once`)
  } else {
    failed(g, fx, 'Critical Service Down')
  }
}

const SERVING: readonly NodeState[] = [
  'Normal',
  'Running in Backup Mode',
  'Failed Over',
  'Taking Over',
  'Falling Back',
  'Taking Back',
  'Backup Activated',
]

/** Node x is gone (heartbeat lost, or announced reboot): its peer takes its users if it can. */
function nodeLost(g: Draft, fx: HaEffect[], x: 0 | 1, reason: 'Peer Down' | 'Peer Reboot'): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  if (!X.up) return
  X.up = false
  X.criticalServicesRunning = false
  X.criticalServicesDownSinceMs = null
  if (!g.haEnabled) {
    set(X, null, null)
    return
  }
  const canServe = P.up && P.criticalServicesRunning && P.state !== null && SERVING.includes(P.state)
  if (!canServe) {
    failed(g, fx, 'Unknown') // nobody left to serve: an internal error for SRM (row 21)
    return
  }
  set(X, null, null)
  set(P, 'Running in Backup Mode', reason)
  g.node1 = x
  g.healthySinceMs = null
  moveNow(g, fx, x, other(x), X.users)
  alarm(fx, X.name, 'PRG-2', `${X.name} is down (${reason}); its users moved to ${P.name}`)
}

/** SRM acts on a failure of node x's critical services or database (after the delay). */
function serviceFailure(g: Draft, fx: HaEffect[], x: 0 | 1, kind: 'Critical Service Down' | 'Database Failure'): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  X.criticalServicesDownSinceMs = null
  switch (X.state) {
    case 'Normal':
      if (P.up && P.criticalServicesRunning && P.state === 'Normal') {
        set(X, 'Failed Over with Critical Services Not Running', kind)
        set(P, 'Running in Backup Mode', kind)
        g.node1 = x
        moveNow(g, fx, x, other(x), X.users)
        alarm(fx, X.name, 'PRG-2', `${kind} on ${X.name}: automatic failover to ${P.name}`)
      } else failed(g, fx, 'Critical Service Down')
      return
    case 'Failed Over':
      set(X, 'Failed Over with Critical Services Not Running', kind)
      set(P, 'Running in Backup Mode', kind)
      g.healthySinceMs = null
      return
    case 'Failed Over with Critical Services Not Running':
      // Only the start-up pair (row 18) gets the new cause; rows 12 and 13 keep theirs.
      if (X.reason === 'Initialization') {
        X.reason = kind
        P.reason = kind
      }
      return
    case 'Running in Backup Mode': {
      if (P.state === 'Failed Over' && P.up && P.criticalServicesRunning) {
        // Automatic recovery (rows 22, 23): node 1 takes every user back from the failed backup.
        set(P, 'Backup Activated', 'Auto Recover Database Failure')
        set(
          X,
          'Failover Affected Services',
          kind === 'Database Failure' ? 'Auto Recover Database Failure' : 'Auto Recover Critical Service Down',
        )
        g.healthySinceMs = null
        fx.push({kind: 'moveUsers', from: X.name, to: P.name, users: X.users, by: P.name})
        alarm(fx, X.name, 'PRG-7', `${kind} on the backup node ${X.name}: automatic recovery to ${P.name}`)
      } else failed(g, fx, 'Critical Service Down') // row 15: backup node down, nobody to take over
      return
    }
    case 'Taking Back':
      failed(g, fx, 'Start of Critical Services Failed') // row 14
      return
    case 'Taking Over':
    case 'Falling Back':
    case 'Backup Activated':
      failed(g, fx, 'Critical Service Down') // the serving node of a transition failed (row 15)
      return
    default:
      // Idle and Failing Over have their services stopped anyway; failed states stay.
      return
  }
}

/** SRM of node x restarted (within the heartbeat timeout): rows 5-9, 11, 18, else row 21. */
function srmRestarted(g: Draft, fx: HaEffect[], x: 0 | 1): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  if (!X.up || !g.haEnabled) return
  switch (X.state) {
    case 'Normal':
    case 'Failed Over with Critical Services Not Running':
    case 'Unknown':
      return // SRM comes back to the same state; Unknown needs SRM restarted on both (Recover)
    case 'Idle':
      X.reason = 'Initialization'
      return
    case 'Failed Over':
      X.reason = 'Initialization'
      return
    case 'Running in Backup Mode':
      if (P.state === 'Idle') {
        X.reason = 'Initialization'
        return
      }
      break
    case 'Taking Over':
      if (P.state === 'Failing Over') {
        X.reason = 'Initialization'
        return
      }
      break
    case 'Taking Back':
      if (P.state === 'Falling Back' && (X.reason === 'By Admin Request' || X.reason === 'Initialization')) {
        X.reason = 'Initialization'
        return
      }
      break
    default:
      break
  }
  failed(g, fx, 'Unknown') // "SRM restarted while the other node failed, or an internal error"
}

function servicesBack(g: Draft, fx: HaEffect[], x: 0 | 1, now: number): void {
  const X = g.nodes[x]
  const P = g.nodes[other(x)]
  if (!X.up) return
  if (g.haEnabled && (X.state === 'Idle' || X.state === 'Failing Over')) {
    // PRG-4: SRM does not let critical services run on an Idle node (Starting → Started → Stopped).
    fx.push({kind: 'stopCriticalServices', node: X.name})
    return
  }
  X.criticalServicesRunning = true
  X.criticalServicesDownSinceMs = null
  if (!g.haEnabled) independent(X)
  if (g.haEnabled && X.state === 'Failed Over with Critical Services Not Running' && P.state === 'Running in Backup Mode') {
    X.state = 'Failed Over'
    if (X.reason !== 'Initialization') X.reason = 'Critical Service Down' // row 11 (row 18 keeps its reason)
    // Row 11 pairs node 2 with Critical Service Down; the database is a critical service too.
    if (P.reason !== 'Peer Down During Initialization') P.reason = 'Critical Service Down'
    g.healthySinceMs = now
  }
}

function criticalServiceDown(g: Draft, fx: HaEffect[], x: 0 | 1, since: number, now: number, t: HaTimers): void {
  const X = g.nodes[x]
  if (!X.up) return
  X.criticalServicesRunning = false
  X.criticalServicesDownSinceMs = Math.min(X.criticalServicesDownSinceMs ?? since, since)
  if (!g.haEnabled) {
    X.criticalServicesDownSinceMs = null
    independent(X)
    alarm(fx, X.name, 'PRG-3', `critical service down on ${X.name}; high availability is disabled`)
    return
  }
  // A start that fails during a takeback is acted on at once (row 14), not after the delay.
  if (X.state === 'Taking Back' || now - X.criticalServicesDownSinceMs >= t.criticalServiceDownDelayMs)
    serviceFailure(g, fx, x, 'Critical Service Down')
}

function tick(g: Draft, fx: HaEffect[], now: number, t: HaTimers): void {
  if (!g.haEnabled) return
  for (const i of [0, 1] as const) {
    const n = g.nodes[i]
    if (
      n.up &&
      !n.criticalServicesRunning &&
      n.criticalServicesDownSinceMs !== null &&
      now - n.criticalServicesDownSinceMs >= t.criticalServiceDownDelayMs
    )
      serviceFailure(g, fx, i, 'Critical Service Down')
  }
  // PRG-2/PRG-3: automatic fallback, when on, once node 1 has been healthy long enough.
  if (g.autoFallback && g.node1 !== null && g.healthySinceMs !== null && now - g.healthySinceMs >= t.autoFallbackDelayMs) {
    const x = g.node1
    const X = g.nodes[x]
    const P = g.nodes[other(x)]
    if (X.state === 'Failed Over' && X.up && X.criticalServicesRunning && P.state === 'Running in Backup Mode' && P.up) {
      set(X, 'Taking Back', 'Automatic Fallback')
      set(P, 'Falling Back', 'Automatic Fallback')
      g.healthySinceMs = null
      fx.push({kind: 'moveUsers', from: P.name, to: X.name, users: Math.min(P.users, X.assignedUsers - X.users), by: X.name})
    }
  }
}

/**
 * Applies one event to the group. Operator actions the state does not allow throw
 * RefusedError (PRG-8, PRG-9) and change nothing; faults and completions always apply (a
 * completion that does not fit the state is ignored). Pure: the input is not modified.
 */
export function applyEvent(group: GroupState, event: HaEvent, nowMs: number, timers: HaTimers = DOCUMENTED_HA_TIMERS): Transition {
  const fx: HaEffect[] = []
  const g = clone(group)
  switch (event.type) {
    case 'failover': {
      assertAllowed(group, event)
      const x = indexOf(g, event.node)
      const p = other(x)
      set(g.nodes[x], 'Failing Over', 'By Admin Request')
      set(g.nodes[p], 'Taking Over', 'By Admin Request')
      g.nodes[x].criticalServicesRunning = false
      g.nodes[x].criticalServicesDownSinceMs = null
      g.node1 = x
      g.healthySinceMs = null
      // PRG-8: SRM stops the failed node's critical services; its users sign in to the backup.
      fx.push({kind: 'stopCriticalServices', node: g.nodes[x].name})
      fx.push({kind: 'moveUsers', from: g.nodes[x].name, to: g.nodes[p].name, users: g.nodes[x].users, by: g.nodes[p].name})
      break
    }
    case 'fallback': {
      assertAllowed(group, event)
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      if (X.state === 'Idle') fx.push({kind: 'startCriticalServices', node: X.name})
      X.criticalServicesRunning = true
      set(X, 'Taking Back', 'By Admin Request')
      set(P, 'Falling Back', 'By Admin Request')
      g.healthySinceMs = null
      fx.push({kind: 'moveUsers', from: P.name, to: X.name, users: Math.min(P.users, X.assignedUsers - X.users), by: X.name})
      break
    }
    case 'recover':
      assertAllowed(group, event)
      // Recover restarts SRM on both nodes and starts their critical services.
      for (const n of g.nodes) {
        fx.push({kind: 'startCriticalServices', node: n.name})
        n.criticalServicesRunning = true
      }
      initialize(g, fx)
      break
    case 'haEnable':
      assertAllowed(group, event)
      g.haEnabled = true
      // ADM-9: enabling HA restarts SRM on both nodes; then SRM heartbeats and monitors.
      initialize(g, fx)
      fx.push({kind: 'haMonitoring', enabled: true})
      break
    case 'haDisable': {
      assertAllowed(group, event)
      // PRG-9: the nodes become independent; users of a failed node stay on the backup node.
      if (g.node1 !== null) {
        const p = other(g.node1)
        if (g.nodes[p].up) moveNow(g, fx, g.node1, p, g.nodes[g.node1].users)
      }
      for (const n of g.nodes) {
        n.assignedUsers = n.users
        n.criticalServicesDownSinceMs = null
        independent(n)
      }
      g.haEnabled = false
      g.node1 = null
      g.healthySinceMs = null
      fx.push({kind: 'haMonitoring', enabled: false})
      break
    }
    case 'criticalServiceDown':
      criticalServiceDown(g, fx, indexOf(g, event.node), event.sinceMs ?? nowMs, nowMs, timers)
      break
    case 'databaseFailure': {
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      if (!X.up) break
      X.criticalServicesRunning = false // the database counts as a critical service (PRG-3)
      if (g.haEnabled) serviceFailure(g, fx, x, 'Database Failure')
      else alarm(fx, X.name, 'PRG-3', `database failure on ${X.name}; high availability is disabled`)
      break
    }
    case 'peerHeartbeatLost':
      nodeLost(g, fx, indexOf(g, event.node), 'Peer Down')
      break
    case 'peerRebootAnnounced':
      nodeLost(g, fx, indexOf(g, event.node), 'Peer Reboot')
      break
    case 'srmRestarted':
      srmRestarted(g, fx, indexOf(g, event.node))
      break
    case 'nodeBoot': {
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      const servicesUp = event.servicesUp ?? true
      if (!X.up) {
        X.up = true
        X.criticalServicesRunning = servicesUp
        X.criticalServicesDownSinceMs = null
        if (!g.haEnabled) independent(X)
        else if (X.state === null && P.state === 'Running in Backup Mode') {
          // Node 1 comes back into a failed-over group (row 18).
          set(X, servicesUp ? 'Failed Over' : 'Failed Over with Critical Services Not Running', 'Initialization')
          P.reason = 'Peer Down During Initialization'
          g.healthySinceMs = servicesUp ? nowMs : null
        }
        // A recorded failed or Unknown state stays until Recover.
        break
      }
      // Rebooted within the heartbeat timeout.
      if (
        g.haEnabled &&
        X.state === 'Failed Over with Critical Services Not Running' &&
        servicesUp &&
        P.state === 'Running in Backup Mode'
      ) {
        set(X, 'Failed Over', 'Initialization') // row 11: the reboot brought the services back
        X.criticalServicesRunning = true
        X.criticalServicesDownSinceMs = null
        if (P.reason !== 'Peer Down During Initialization') P.reason = 'Critical Service Down'
        g.healthySinceMs = nowMs
        break
      }
      srmRestarted(g, fx, x)
      if (servicesUp) servicesBack(g, fx, x, nowMs)
      else criticalServiceDown(g, fx, x, nowMs, nowMs, timers)
      break
    }
    case 'servicesBack':
      servicesBack(g, fx, indexOf(g, event.node), nowMs)
      break
    case 'peerNotSeenAtInit': {
      const x = indexOf(g, event.node)
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      if (!g.haEnabled || !X.up || !P.up || X.state !== 'Normal' || P.state !== 'Normal') break
      // Row 18: the starting node's SRM did not see its peer within the initialization timeout.
      set(X, X.criticalServicesRunning ? 'Failed Over' : 'Failed Over with Critical Services Not Running', 'Initialization')
      set(P, 'Running in Backup Mode', 'Peer Down During Initialization')
      g.node1 = x
      g.healthySinceMs = X.criticalServicesRunning ? nowMs : null
      moveNow(g, fx, x, other(x), X.users)
      alarm(fx, X.name, 'PRG-7', `${P.name} did not see ${X.name} at start-up; users moved to ${P.name}`)
      break
    }
    case 'userMoveFailed': {
      const states = g.nodes.map((n) => n.state)
      if (states.includes('Taking Over') || states.includes('Backup Activated'))
        failed(g, fx, 'Cisco Server Recovery Manager Take Over Users Failed') // row 19
      else if (states.includes('Taking Back')) failed(g, fx, 'Cisco Server Recovery Manager Take Back Users Failed') // row 20
      break
    }
    case 'takeoverComplete': {
      if (g.node1 === null) break
      const x = g.node1
      const X = g.nodes[x]
      const P = g.nodes[other(x)]
      if (X.state === 'Failing Over' && P.state === 'Taking Over') {
        // Rows 2 → 3 and 8 → 7: node 2 keeps its reason (Initialization after an SRM restart).
        set(X, 'Idle', 'By Admin Request')
        P.state = 'Running in Backup Mode'
        moveCounts(g, x, other(x), X.users)
      } else if (X.state === 'Backup Activated' && P.state === 'Failover Affected Services') {
        // Rows 22/23 end with the roles swapped: the failed backup is now node 1 (rows 13/12).
        const kind: Reason = P.reason === 'Auto Recover Database Failure' ? 'Database Failure' : 'Critical Service Down'
        set(P, 'Failed Over with Critical Services Not Running', kind)
        set(X, 'Running in Backup Mode', kind)
        moveCounts(g, other(x), x, P.users)
        g.node1 = other(x)
      }
      break
    }
    case 'takebackComplete': {
      if (g.node1 === null) break
      const X = g.nodes[g.node1]
      const P = g.nodes[other(g.node1)]
      if (X.state === 'Taking Back' && P.state === 'Falling Back') {
        set(X, 'Normal', 'Normal')
        set(P, 'Normal', 'Normal')
        X.users = X.assignedUsers
        P.users = P.assignedUsers
        g.node1 = null
        g.healthySinceMs = null
      }
      break
    }
    case 'tick':
      tick(g, fx, nowMs, timers)
      break
  }
  return {group: g, effects: fx}
}

/** Count update of a move whose effect was issued when the transition started. */
function moveCounts(g: Draft, from: 0 | 1, to: 0 | 1, users: number): void {
  g.nodes[from].users -= users
  g.nodes[to].users += users
}
