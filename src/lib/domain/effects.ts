// What an action will do beyond its own node, said before it happens (issue 10): the effect of
// stopping or cycling a service, restarting a node, restarting the PG. Each agent gathers its own
// facts and calls these; the CLI asks for confirmation with the sentences and rule ids.
import {criticalStopEffect, type ServerStatus} from './connection-statuses.js'
import type {Role} from './services.js'

export interface ActionEffect {
  rule: string
  /** 'change': what will happen; 'warning': what operators must know while it happens. */
  kind: 'change' | 'warning'
  message: string
}

/** An effect in one line, as a plan lists it. */
export const effectLine = (e: ActionEffect) => `${e.kind === 'warning' ? 'warning: ' : ''}${e.message} (${e.rule})`

/** The node-level actions whose effect is asked before they run. */
export type EffectAction =
  | {type: 'service'; action: 'stop' | 'cycle' | 'start'; service: string}
  | {type: 'node-restart'}
  | {type: 'pg-restart'}

/** Whether the action stops `service` for a while (a node restart stops every service). */
export function stopsService(a: EffectAction, service: string): boolean {
  return a.type === 'node-restart' || (a.type === 'service' && a.action !== 'start' && a.service === service)
}

/** CTI-6: desktops buffer what agents click during a failover and apply it afterwards. */
export const CTI6_WARNING: ActionEffect = {
  rule: 'CTI-6',
  kind: 'warning',
  message: 'agents must not click during the failover: desktops buffer the actions and apply them after it completes',
}

/** PRG-2/PRG-3 (and PRG-9): stopping a critical service of an IM and Presence node. */
export function presenceStopEffect(f: {
  node: string
  peer: string | null
  services: string[]
  users: number
  haEnabled: boolean
  peerUp: boolean
}): ActionEffect[] {
  const what = `stopping ${f.services.join(', ')} on ${f.node}`
  if (!f.haEnabled) {
    return [
      {
        rule: 'PRG-9',
        kind: 'change',
        message: `${what}: high availability is disabled, so its ${f.users} user(s) lose presence and IM until the services run again (no failover)`,
      },
    ]
  }
  if (!f.peer || !f.peerUp) {
    return [
      {
        rule: 'PRG-2',
        kind: 'change',
        message: `${what}: its ${f.users} user(s) lose service; the peer ${f.peer ?? '(none)'} is not up to take them over`,
      },
    ]
  }
  return [
    {
      rule: 'PRG-2',
      kind: 'change',
      message: `${what}: its ${f.users} user(s) fail over to ${f.peer} (disconnected, then signed in again there)`,
    },
    {
      rule: 'PRG-3',
      kind: 'change',
      message: `the Server Recovery Manager of ${f.peer} performs the failover after the critical service down delay; users come back on fallback (PRG-8)`,
    },
  ]
}

/** UC-10/UC-12: stopping a critical service of a Unity Connection server. */
export function connectionStopEffect(f: {
  server: string
  role: Role
  status: ServerStatus
  peer: string
  peerStatus: ServerStatus | undefined
  services: string[]
}): ActionEffect[] {
  const e = criticalStopEffect(f.role, f.status, f.peerStatus)
  const what = `stopping ${f.services.join(', ')} on ${f.server} (${f.status})`
  if (e.effect === 'status-change') {
    return [
      {rule: 'UC-10', kind: 'change', message: `${what}: ${f.server} becomes Secondary and ${f.peer} becomes Primary`},
      {
        rule: 'UC-12',
        kind: 'change',
        message: `an automatic status change: both raise "status change starting", ${f.peer} starts its critical services and the data connector switches to its database`,
      },
    ]
  }
  return [{rule: 'UC-10', kind: 'change', message: `${what}: ${e.why}`}]
}

/** CTI-3 with CTI-6: stopping the CTI OS server process. */
export function ctiosServerStopEffect(f: {
  server: string
  softphones: number
  peer: string
  peerOnline: boolean
  peerCapacity: number
}): ActionEffect[] {
  const reconnect = f.peerOnline ? Math.min(f.softphones, f.peerCapacity) : 0
  return [
    {
      rule: 'CTI-3',
      kind: 'change',
      message: `${f.softphones} softphone(s) of ${f.server} are disconnected; ${reconnect} reconnect to ${f.peer}${f.peerOnline ? '' : ' (offline)'}, ${f.softphones - reconnect} get Offline; NodeManager restarts the server, which then takes a snapshot`,
    },
    CTI6_WARNING,
  ]
}

/** CTI-1 with CTI-6: a PG restart takes the PG offline. */
export function pgRestartEffect(f: {softphones: number}): ActionEffect[] {
  return [
    {
      rule: 'CTI-1',
      kind: 'change',
      message: `the PG goes offline: every one of the ${f.softphones} softphone(s) gets an "Offline" event until it is back online`,
    },
    CTI6_WARNING,
  ]
}
