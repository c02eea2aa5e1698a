// The Unity Connection role manager (UC-5, UC-11, UC-12, UC-13, UC-14) as a pure state machine:
// no I/O, no clock: time comes in as `nowMs`, what the agent must do comes out as effects.

import {RefusedError} from '../errors.js'
import type {ManualAction} from './connection-cluster.js'
import {
  CRITICAL_SERVICES,
  criticalStopEffect,
  DELIVERY_SERVICES,
  SINGLE_INBOX_SERVICES,
  type SbrPhase,
  type ServerStatus,
  sbrAtLeast,
} from './connection-statuses.js'
import type {Role} from './services.js'

/**
 * UC-13 step 3 (run time): the network is fine when localhost and at least one other known
 * server answer. With no known server configured only localhost can be checked (ucctl's
 * choice; the lab's topology gives every server its known servers).
 */
export function networkFine(
  localhost: boolean,
  known: ReadonlyArray<{name: string; answered: boolean}>,
): {ok: boolean; unreachable: string[]} {
  const unreachable = [...(localhost ? [] : ['localhost']), ...known.filter((k) => !k.answered).map((k) => k.name)]
  return {ok: localhost && (known.length === 0 || known.some((k) => k.answered)), unreachable}
}

// ---------------------------------------------------------------------------------------
// The role manager (UC-5, UC-11, UC-12, UC-13, UC-14) as a pure state machine.

/** The messages one role manager sends the other (UC-12 notify and commit, UC-14 demote). */
export const HANDOVER_PHASES = ['notify', 'commit', 'demote'] as const
export type HandoverPhase = (typeof HANDOVER_PHASES)[number]

export interface RoleTiming {
  keepaliveIntervalMs: number
  keepaliveTimeoutMs: number
  startingMs: number
  replicatingDataMs: number
  splitBrainRecoveryMs: number
}

export interface PeerInfo {
  status: ServerStatus
  /**
   * When the peer entered that status (its own clock). A message older than what we know
   * (a keepalive sent just before a handover) must not bring an old status back.
   */
  since: number
  sbrPhase: SbrPhase | null
  /** Records this peer still has to send us. */
  pendingToPeer: number
}

export interface StatusChange {
  time: string
  from: ServerStatus
  to: ServerStatus
  reason: string
  rule: string
}

export interface RoleState {
  self: string
  role: Role
  peer: string
  status: ServerStatus
  /** Replicating Data returns here. */
  resumeStatus: ServerStatus | null
  statusSinceMs: number
  takingCalls: boolean
  lastChange: StatusChange | null
  bootMs: number
  peerLastHeardMs: number | null
  peerInfo: PeerInfo | null
  peerLost: boolean
  /** UC-13 step 2 in flight, and the last answer while the peer stays lost. */
  networkCheck: {inFlight: boolean; lastMs: number | null; ok: boolean | null}
  /** UC-12/UC-14 handover this server started and waits on. */
  handover: {rule: 'UC-12' | 'UC-14'; reason: string} | null
  sbr: {phase: SbrPhase | null; sinceMs: number; inFlight: boolean} | null
  /** Critical services down (UC-10 degraded). */
  down: string[]
  /** Records we still have to send the peer. */
  pendingToPeer: number
}

export type RoleEvent =
  | {type: 'tick'}
  | {type: 'keepalive'; peer: PeerInfo}
  | {type: 'networkChecked'; ok: boolean; unreachable: string[]}
  | {type: 'servicesDown'; down: string[]}
  | {type: 'pending'; pendingToPeer: number}
  /** The peer answered our handover request (UC-12 step 2, UC-14 step 2). */
  | {type: 'handoverAnswered'; ok: boolean; error?: string; peer?: PeerInfo}
  /** The peer's role manager tells us (UC-12: it gives up Primary; UC-14: we must give it up). */
  | {type: 'peerHandover'; phase: HandoverPhase; peer?: PeerInfo}
  | {type: 'sbrStepDone'; phase: SbrPhase}
  | {type: 'manual'; action: ManualAction}

export type RoleEffect =
  | {
      type: 'event'
      eventType: 'ClusterStatus' | 'Alarm' | 'RoleManager'
      message: string
      rule: string
      step?: number
      data?: Record<string, unknown>
    }
  | {type: 'startServices'; services: string[]; why: string}
  | {type: 'checkNetwork'}
  | {type: 'handover'; phase: HandoverPhase}
  | {type: 'sbrStep'; phase: SbrPhase; start: string[]; stop: string[]}
  | {type: 'dropCalls'; rule: 'UC-8'}
  | {type: 'kickKeepalive'}
  | {type: 'persist'}

export interface RoleStep {
  state: RoleState
  effects: RoleEffect[]
}

export function initialRoleState(opts: {
  self: string
  role: Role
  peer: string
  nowMs: number
  saved?: {status?: ServerStatus; takingCalls?: boolean; lastChange?: StatusChange | null}
}): RoleState {
  // A server that (re)starts goes through Starting, unless an administrator had deactivated it.
  const status: ServerStatus = opts.saved?.status === 'Deactivated' ? 'Deactivated' : 'Starting'
  return {
    self: opts.self,
    role: opts.role,
    peer: opts.peer,
    status,
    resumeStatus: null,
    statusSinceMs: opts.nowMs,
    takingCalls: opts.saved?.takingCalls ?? true,
    lastChange: opts.saved?.lastChange ?? null,
    bootMs: opts.nowMs,
    peerLastHeardMs: null,
    peerInfo: null,
    peerLost: false,
    networkCheck: {inFlight: false, lastMs: null, ok: null},
    handover: null,
    sbr: null,
    down: [],
    pendingToPeer: 0,
  }
}

/** The peer's status as this server sees it (lost: Not Functioning). */
export function peerStatusOf(s: RoleState): ServerStatus | undefined {
  if (s.peerLost) return 'Not Functioning'
  return s.peerInfo?.status
}

const iso = (ms: number) => new Date(ms).toISOString()

class Stepper {
  readonly effects: RoleEffect[] = []
  constructor(
    public s: RoleState,
    readonly now: number,
  ) {}

  event(message: string, rule: string, step?: number, data?: Record<string, unknown>): void {
    this.effects.push({
      type: 'event',
      eventType: 'RoleManager',
      message: step ? `step ${step}: ${message}` : message,
      rule,
      ...(step ? {step} : {}),
      ...(data ? {data} : {}),
    })
  }

  alarm(message: string, rule: string, step?: number): void {
    this.effects.push({type: 'event', eventType: 'Alarm', message, rule, ...(step ? {step} : {})})
  }

  setStatus(to: ServerStatus, reason: string, rule: string, step?: number): void {
    const from = this.s.status
    if (from === to) return
    this.s = {...this.s, status: to, statusSinceMs: this.now, lastChange: {time: iso(this.now), from, to, reason, rule}}
    const text = `${this.s.self} ${from} → ${to}: ${reason}`
    this.effects.push({
      type: 'event',
      eventType: 'ClusterStatus',
      message: step ? `step ${step}: ${text}` : text,
      rule,
      ...(step ? {step} : {}),
      data: {from, to, reason},
    })
    this.effects.push({type: 'persist'}, {type: 'kickKeepalive'})
  }

  /** UC-12 steps 5-9, UC-13 steps 4-8, UC-14 steps 5-9: this server becomes Primary. */
  becomePrimary(reason: string, rule: string, first: number): void {
    this.setStatus('Primary', reason, rule, first)
    this.event('the new Primary starts its critical services', rule, first + 1)
    this.effects.push({
      type: 'startServices',
      services: [...CRITICAL_SERVICES],
      why: `the new Primary starts its critical services (${rule})`,
    })
    this.event('the data connector switches to the database of the new Primary', rule, first + 2)
    this.event('replication of the database and message store continues where possible', rule, first + 3)
    this.alarm(`status change complete: ${this.s.self} is Primary`, rule, first + 4)
  }

  // The processes stay as the host started them: only the Primary needs single-inbox sync
  // (servicesWanted), and processes are stopped only where the document says so (UC-11).
  becomeSecondary(reason: string, rule: string, step?: number): void {
    this.setStatus('Secondary', reason, rule, step)
  }
}

/** One step of the role manager: the new state and what the agent must do. */
export function stepRole(state: RoleState, event: RoleEvent, nowMs: number, t: RoleTiming): RoleStep {
  const st = new Stepper(state, nowMs)
  switch (event.type) {
    case 'tick':
      onTick(st, t)
      break
    case 'keepalive':
      onKeepalive(st, event.peer, t)
      break
    case 'networkChecked':
      onNetworkChecked(st, event)
      break
    case 'servicesDown':
      onServicesDown(st, event.down)
      break
    case 'pending':
      st.s = {...st.s, pendingToPeer: event.pendingToPeer}
      advanceSbr(st, t)
      break
    case 'handoverAnswered':
      if (event.peer) notePeer(st, event.peer)
      onHandoverAnswered(st, event)
      break
    case 'peerHandover':
      if (event.peer) notePeer(st, event.peer)
      onPeerHandover(st, event.phase)
      break
    case 'sbrStepDone':
      onSbrStepDone(st, event.phase, t)
      break
    case 'manual':
      onManual(st, event.action)
      break
  }
  return {state: st.s, effects: st.effects}
}

function onTick(st: Stepper, t: RoleTiming): void {
  const s = st.s
  const heard = s.peerLastHeardMs ?? s.bootMs
  // UC-5: the peer is declared lost when no keepalive came within the timeout.
  if (!s.peerLost && st.now - heard > t.keepaliveTimeoutMs) {
    st.s = {...st.s, peerLost: true, networkCheck: {inFlight: false, lastMs: null, ok: null}}
    st.event(
      `no keepalive from ${s.peer} for ${Math.round((st.now - heard) / 1000)} s: ${s.peer} is Not Functioning or unreachable`,
      'UC-5',
    )
    if (st.s.status === 'Primary') st.event(`this server handles all calls and keeps the database and message store (UC-4)`, 'UC-4')
  }
  const cur = st.s
  // Transient statuses end by themselves.
  if (cur.status === 'Starting' && st.now - cur.statusSinceMs >= t.startingMs) {
    // Without news of the peer yet, wait until it is either heard or declared lost.
    if (cur.peerInfo || cur.peerLost) endStarting(st)
  } else if (cur.status === 'Replicating Data' && st.now - cur.statusSinceMs >= t.replicatingDataMs) {
    const back = cur.resumeStatus ?? 'Secondary'
    st.setStatus(back, 'replication done: back to the previous status', 'UC-2')
    st.s = {...st.s, resumeStatus: null}
  }
  if (st.s.status === 'Split Brain Recovery') {
    if (st.s.peerLost) abandonSbr(st)
    else advanceSbr(st, t)
  }
  // UC-13: a Secondary that hears nothing from the Primary.
  maybeTakeOver(st, t)
}

function endStarting(st: Stepper): void {
  const s = st.s
  const peer = peerStatusOf(s)
  if (peer === 'Primary' || peer === 'Split Brain Recovery') {
    st.becomeSecondary(`started; ${s.peer} is ${peer}`, 'UC-2')
  } else if (peer === 'Starting' && s.role === 'subscriber') {
    st.becomeSecondary(`started; the publisher ${s.peer} becomes Primary`, 'UC-3')
  } else {
    // UC-3: a healthy cluster has the publisher Primary; UC-4: with no Primary peer, this one handles everything.
    const healthy = s.role === 'publisher' && (peer === 'Starting' || peer === 'Secondary')
    const why = healthy
      ? 'started; the publisher is Primary when the cluster is healthy'
      : `started; ${s.peer} is ${peer ?? 'Not Functioning'}`
    st.setStatus('Primary', why, healthy ? 'UC-3' : 'UC-4')
    st.effects.push({type: 'startServices', services: [...CRITICAL_SERVICES], why: 'the Primary runs every critical service'})
  }
}

function maybeTakeOver(st: Stepper, t: RoleTiming): void {
  const s = st.s
  // UC-10: a Secondary whose own critical services are down does not take Primary.
  if (s.status !== 'Secondary' || !s.peerLost || s.networkCheck.inFlight || s.handover || s.down.length > 0) return
  if (s.networkCheck.lastMs !== null && st.now - s.networkCheck.lastMs < t.keepaliveTimeoutMs) return
  if (s.networkCheck.lastMs === null) st.event(`heard nothing from the Primary ${s.peer}`, 'UC-13', 1)
  if (s.networkCheck.lastMs === null) st.event('pinging localhost and the other known servers to verify the network', 'UC-13', 2)
  st.s = {...s, networkCheck: {...s.networkCheck, inFlight: true}}
  st.effects.push({type: 'checkNetwork'})
}

function onNetworkChecked(st: Stepper, e: {ok: boolean; unreachable: string[]}): void {
  const s = st.s
  const before = s.networkCheck.ok
  st.s = {...s, networkCheck: {inFlight: false, lastMs: st.now, ok: e.ok}}
  if (s.status !== 'Secondary' || !s.peerLost) return
  if (!e.ok) {
    if (before !== false)
      st.event(
        `network not fine (no answer from ${e.unreachable.join(', ')}): no status change; the remaining steps do not happen`,
        'UC-13',
        3,
      )
    return
  }
  st.alarm(`status change starting: ${s.self} takes over from ${s.peer} (heard nothing from the Primary)`, 'UC-13', 3)
  st.becomePrimary(`heard nothing from the Primary ${s.peer}; the network is fine`, 'UC-13', 4)
}

/** Takes the peer's news unless it is older than what we know; false when stale. */
function notePeer(st: Stepper, peer: PeerInfo): boolean {
  const known = st.s.peerInfo
  if (known && peer.since < known.since) return false
  st.s = {...st.s, peerInfo: peer}
  return true
}

function onKeepalive(st: Stepper, peer: PeerInfo, t: RoleTiming): void {
  const wasLost = st.s.peerLost
  const before = st.s.peerInfo
  st.s = {...st.s, peerLastHeardMs: st.now, peerLost: false, networkCheck: {inFlight: st.s.networkCheck.inFlight, lastMs: null, ok: null}}
  const fresh = notePeer(st, peer)
  if (wasLost) st.event(`keepalives from ${st.s.peer} again (${st.s.peerInfo?.status})`, 'UC-5')
  if (!fresh) return
  const s = st.s
  // UC-11: contact returns with both Primary (or the peer already recovering): Split Brain Recovery.
  if (
    s.status === 'Primary' &&
    !s.handover &&
    (peer.status === 'Primary' || (peer.status === 'Split Brain Recovery' && peer.sbrPhase !== 'subscriber-started'))
  ) {
    st.alarm(`split brain: ${s.self} and ${s.peer} are both Primary; Split Brain Recovery starts`, 'UC-11')
    st.setStatus('Split Brain Recovery', `contact with ${s.peer} returned while both were Primary`, 'UC-11')
    st.s = {...st.s, sbr: {phase: null, sinceMs: st.now, inFlight: false}}
    advanceSbr(st, t)
    return
  }
  // UC-4: a Secondary cut off from its Primary catches up when contact returns.
  if (wasLost && (s.status === 'Secondary' || s.status === 'Deactivated') && peer.status === 'Primary') {
    st.setStatus('Replicating Data', `contact with the Primary ${s.peer} returned: catching up its data`, 'UC-4')
    st.s = {...st.s, resumeStatus: s.status}
    return
  }
  if (s.status === 'Split Brain Recovery') advanceSbr(st, t)
  else if (s.status === 'Starting' && !before && st.now - s.statusSinceMs >= t.startingMs) endStarting(st)
}

function onServicesDown(st: Stepper, down: string[]): void {
  const s = st.s
  const added = down.filter((d) => !s.down.includes(d))
  st.s = {...s, down: [...down]}
  if (down.length === 0 && s.down.length > 0) {
    st.event(`critical services running again (${s.down.join(', ')}): no longer degraded`, 'UC-10')
    // UC-10: no server was Primary because of this one: with the peer still unable, it takes Primary again.
    const peer = peerStatusOf(s)
    if (
      s.status === 'Secondary' &&
      s.lastChange?.rule === 'UC-10' &&
      (peer === undefined || peer === 'Not Functioning' || peer === 'Deactivated')
    ) {
      st.setStatus(
        'Primary',
        `critical services running again and ${s.peer} is ${peer ?? 'Not Functioning'}: no other server is Primary`,
        'UC-10',
      )
      st.effects.push({type: 'startServices', services: [...CRITICAL_SERVICES], why: 'the Primary runs every critical service'})
    }
    return
  }
  if (added.length === 0) return
  const effect = criticalStopEffect(s.role, s.status, peerStatusOf(s))
  if (effect.effect === 'no-primary' && !s.handover) {
    st.event(`critical service stopped (${added.join(', ')}): ${effect.why}`, 'UC-10')
    st.alarm(
      `no server is Primary: ${s.self} became Secondary (critical service stopped: ${added.join(', ')}) and ${s.peer} is ${peerStatusOf(s) ?? 'Not Functioning'}`,
      'UC-10',
    )
    st.becomeSecondary(`critical service stopped: ${added.join(', ')}; ${s.peer} is ${peerStatusOf(s) ?? 'Not Functioning'}`, 'UC-10')
    return
  }
  if (effect.effect === 'degraded' || s.handover) {
    st.event(`critical service stopped (${added.join(', ')}): ${effect.why}`, 'UC-10')
    return
  }
  // UC-12 steps 1-2; the rest when the peer answers.
  const reason = `critical service stopped: ${added.join(', ')}`
  st.event(`the role manager detects an unrecoverable failure (${reason})`, 'UC-12', 1)
  st.event(`tells the role manager of ${s.peer} to change status`, 'UC-12', 2)
  st.s = {...st.s, handover: {rule: 'UC-12', reason}}
  st.effects.push({type: 'handover', phase: 'notify'})
}

function onHandoverAnswered(st: Stepper, e: {ok: boolean; error?: string}): void {
  const h = st.s.handover
  if (!h) return
  st.s = {...st.s, handover: null}
  if (!e.ok) {
    st.event(`${st.s.peer} did not take the status change (${e.error ?? 'no answer'}): status unchanged`, h.rule)
    return
  }
  if (h.rule === 'UC-12') {
    // The peer raised its alarm (step 3); now this Primary steps down, then the peer steps up.
    st.alarm(`status change starting: ${st.s.self} gives Primary to ${st.s.peer} (${h.reason})`, 'UC-12', 3)
    st.becomeSecondary(h.reason, 'UC-12', 4)
    st.effects.push({type: 'handover', phase: 'commit'})
  } else {
    st.alarm(`status change starting: ${st.s.self} becomes Primary (Make Primary)`, 'UC-14', 3)
    st.becomePrimary('Make Primary by an administrator', 'UC-14', 5)
  }
}

function onPeerHandover(st: Stepper, phase: HandoverPhase): void {
  const s = st.s
  if (phase === 'notify') {
    st.event(`the role manager of ${s.peer} says it is changing status`, 'UC-12', 2)
    st.alarm(`status change starting: ${s.peer} gives Primary to ${s.self}`, 'UC-12', 3)
  } else if (phase === 'commit') {
    st.becomePrimary(`${s.peer} had an unrecoverable failure and stepped down`, 'UC-12', 5)
  } else {
    st.event(`the role manager of ${s.peer} starts a manual status change (Make Primary ${s.peer})`, 'UC-14', 2)
    st.alarm(`status change starting: ${s.self} gives Primary to ${s.peer} (Make Primary)`, 'UC-14', 3)
    st.becomeSecondary(`Make Primary ${s.peer} by an administrator`, 'UC-14', 4)
  }
}

/** Whether the peer's role manager may accept a handover message now (checked by the receiver). */
export function acceptPeerHandover(s: RoleState, phase: HandoverPhase): void {
  if (phase === 'demote') {
    if (s.status !== 'Primary') throw new RefusedError(`${s.self} is ${s.status}, not Primary: nothing to hand over`, {rule: 'UC-14'})
    return
  }
  if (s.status === 'Deactivated' || s.status === 'Not Functioning') {
    throw new RefusedError(`${s.self} is ${s.status}: it does not become Primary`, {rule: 'UC-10'})
  }
  if (s.status !== 'Secondary' && s.status !== 'Primary')
    throw new RefusedError(`${s.self} is ${s.status}: no status change now`, {rule: 'UC-12'})
}

function onManual(st: Stepper, action: ManualAction): void {
  const s = st.s
  switch (action) {
    case 'make-primary':
      st.event('an administrator starts a manual status change (Make Primary)', 'UC-14', 1)
      st.event(`tells the role manager of the Primary ${s.peer}`, 'UC-14', 2)
      st.s = {...st.s, handover: {rule: 'UC-14', reason: 'Make Primary by an administrator'}}
      st.effects.push({type: 'handover', phase: 'demote'})
      break
    case 'deactivate':
      st.effects.push({type: 'dropCalls', rule: 'UC-8'})
      st.setStatus('Deactivated', 'deactivated by an administrator', 'UC-7')
      break
    case 'activate':
      // UC-4: once activated again it resumes its share of calls.
      st.s = {...st.s, takingCalls: true}
      st.setStatus('Starting', 'activated by an administrator', 'UC-4')
      break
    case 'stop-taking-calls':
      st.s = {...st.s, takingCalls: false}
      st.event(`${s.self} stops taking calls (status stays ${s.status})`, 'UC-8')
      st.effects.push({type: 'persist'})
      break
    case 'take-calls':
      st.s = {...st.s, takingCalls: true}
      st.event(`${s.self} takes calls again`, 'UC-8')
      st.effects.push({type: 'persist'})
      break
  }
}

// UC-11: Split Brain Recovery, in the documented order. The publisher is chosen Primary.
//   both:       stop MTA and Notifier, stop mailbox sync, unmount the message store  → 'stopped'
//   publisher:  (both stopped, data merged, minimum time passed) mount, start MTA and Notifier → 'publisher-started'
//   subscriber: (publisher started) mount, start MTA and Notifier, becomes Secondary → 'subscriber-started'
//   publisher:  (subscriber started) becomes Primary, starts mailbox sync            (done)

export interface SbrAction {
  phase: SbrPhase | 'done'
  start: string[]
  stop: string[]
  why: string
}

/** The next step of Split Brain Recovery on a server, or null to wait. */
export function nextSbrStep(
  role: Role,
  mine: SbrPhase | null,
  peers: SbrPhase | null,
  opts: {merged: boolean; elapsedMs: number; minimumMs: number},
): SbrAction | null {
  if (mine === null) {
    return {
      phase: 'stopped',
      start: [],
      stop: [...DELIVERY_SERVICES, ...SINGLE_INBOX_SERVICES],
      why: 'Message Transfer Agent and Notifier stop (no delivery, no notifications), Mailbox Sync and Exchange Notification Web Service stop (no single-inbox sync), the message store is unmounted ("mailbox temporarily unavailable")',
    }
  }
  if (role === 'publisher') {
    if (mine === 'stopped' && sbrAtLeast(peers, 'stopped') && opts.merged && opts.elapsedMs >= opts.minimumMs) {
      return {
        phase: 'publisher-started',
        start: [...DELIVERY_SERVICES],
        stop: [],
        why: 'the message store is mounted again; Message Transfer Agent and Notifier start on the publisher',
      }
    }
    if (mine === 'publisher-started' && sbrAtLeast(peers, 'subscriber-started')) {
      return {
        phase: 'done',
        start: [...SINGLE_INBOX_SERVICES],
        stop: [],
        why: 'the publisher ends Primary; Mailbox Sync and Exchange Notification Web Service start on the Primary',
      }
    }
    return null
  }
  if (mine === 'stopped' && sbrAtLeast(peers, 'publisher-started')) {
    return {
      phase: 'subscriber-started',
      start: [...DELIVERY_SERVICES],
      stop: [],
      why: 'the message store is mounted again; Message Transfer Agent and Notifier start on the subscriber, which ends Secondary',
    }
  }
  return null
}

function advanceSbr(st: Stepper, t: RoleTiming): void {
  const s = st.s
  if (s.status !== 'Split Brain Recovery' || !s.sbr || s.sbr.inFlight) return
  const merged = s.pendingToPeer === 0 && (s.peerInfo?.pendingToPeer ?? 1) === 0
  // A subscriber that finished its part is Secondary again and no longer says its phase.
  const peerPhase =
    s.peerInfo?.status === 'Split Brain Recovery'
      ? s.peerInfo.sbrPhase
      : s.peerInfo?.status === 'Secondary' && s.role === 'publisher'
        ? 'subscriber-started'
        : null
  const next = nextSbrStep(s.role, s.sbr.phase, peerPhase, {merged, elapsedMs: st.now - s.sbr.sinceMs, minimumMs: t.splitBrainRecoveryMs})
  if (!next) return
  if (next.phase === 'done') {
    st.s = {...st.s, sbr: null}
    st.setStatus('Primary', 'Split Brain Recovery complete: the publisher is chosen Primary', 'UC-11')
    st.event(`Split Brain Recovery: ${next.why}`, 'UC-11')
    st.effects.push({type: 'startServices', services: next.start, why: 'UC-11: mailbox sync starts on the Primary'})
    return
  }
  st.s = {...st.s, sbr: {...s.sbr, inFlight: true}}
  st.event(`Split Brain Recovery: ${next.why}`, 'UC-11')
  st.effects.push({type: 'sbrStep', phase: next.phase, start: next.start, stop: next.stop})
}

function onSbrStepDone(st: Stepper, phase: SbrPhase, t: RoleTiming): void {
  const s = st.s
  if (s.status !== 'Split Brain Recovery' || !s.sbr) return
  st.s = {...s, sbr: {...s.sbr, phase, inFlight: false}}
  st.effects.push({type: 'kickKeepalive'})
  if (phase === 'subscriber-started') {
    st.s = {...st.s, sbr: null}
    st.setStatus('Secondary', 'Split Brain Recovery complete: the publisher is Primary', 'UC-11')
    return
  }
  advanceSbr(st, t)
}

function abandonSbr(st: Stepper): void {
  // Contact lost again mid-recovery: this server carries on alone and delivers again.
  st.s = {...st.s, sbr: null}
  st.setStatus('Primary', `contact with ${st.s.peer} lost during Split Brain Recovery`, 'UC-11')
  st.effects.push({
    type: 'startServices',
    services: [...CRITICAL_SERVICES],
    why: 'alone again: the message store is mounted and every critical service runs',
  })
}
