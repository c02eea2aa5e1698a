// What a cisco context reads, each from the interface that publishes it, in the same JSON
// kinds as against agents. A node that cannot be read is marked, never guessed.
import type {NodeRef} from '../../client/agent-client.js'
import {failed, type NodeError, nodeError, type NodeOutcome, readNodes, requireAnAnswer, unreadOf} from '../../client/outcome.js'
import {answersCalls, type ServerStatus} from '../../domain/connection-statuses.js'
import {groupStatus, describePair, type GroupState, classifyGroup} from '../../domain/presence-redundancy.js'
import type {ThrottleParams} from '../../domain/throttle.js'
import {InternalError, NotFoundError, UcctlError} from '../../errors.js'
import {
  CALLMANAGER_SERVICE,
  connectionStatus,
  serviceState,
  THROTTLE_COUNTERS,
  THROTTLE_OBJECT,
  THROTTLE_SERVICE_PARAMETERS,
  throttleStateFromCounters,
} from './mapping.js'
import {type HaStatus, parseHaStatus, parseShowVersion} from './platform-cli.js'
import type {CiscoNode, CiscoSession} from './session.js'

export interface CiscoService {
  name: string
  state: ReturnType<typeof serviceState>
  /** Control Center's status as it printed it (Started, Stopped, ...). */
  status: string
  activated: boolean
  reason: string | null
  startTime: string | null
  uptimeMs: number | null
  /** What Control Center does not publish: null, never made up. */
  pid: null
  restarts: null
  startup: null
  console: false
}

const text = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v))

/** Control Center `soapGetServiceStatus` (ControlCenterServices.wsdl): every service, or the one named. */
export async function serviceStatuses(s: CiscoSession, node: CiscoNode, only?: string): Promise<CiscoService[]> {
  const r = await s.controlCenter(node, 'soapGetServiceStatus', {ServiceStatus: only ?? ''})
  const ret = r.soapGetServiceStatusReturn ?? {}
  const items: any[] = ret.ServiceInfoList?.item ?? []
  return items.map((i) => {
    const reason = text(i.ReasonCodeString)
    const upTime = Number(i.UpTime)
    return {
      name: String(i.ServiceName),
      state: serviceState(i.ServiceStatus),
      status: String(i.ServiceStatus ?? 'Unknown'),
      activated: !/not activated/i.test(reason ?? ''),
      reason,
      startTime: text(i.StartTime),
      uptimeMs: Number.isFinite(upTime) && upTime >= 0 && i.UpTime !== '' && i.UpTime !== undefined ? upTime * 1000 : null,
      pid: null,
      restarts: null,
      startup: null,
      console: false,
    }
  })
}

type Unread = Array<{name: string; error: NodeError}>

/**
 * Asks `nodes` in turn until one answers (one answer covers the cluster): its value and the
 * nodes asked before it that could not be read. When none answered: exit 4 or 7
 * (DESIGN.md "Reading several nodes"). A refusal is ucctl's own answer, not the node's: it stops.
 */
async function firstAnswer<N extends NodeRef, T>(
  nodes: N[],
  read: (node: N) => Promise<T>,
  what: string,
): Promise<{value: T; node: N; unread: Unread}> {
  const tried: Array<NodeOutcome<T>> = []
  for (const node of nodes) {
    try {
      return {value: await read(node), node, unread: unreadOf(tried)}
    } catch (error) {
      if (error instanceof UcctlError && error.code === 'Refused') throw error
      tried.push({node, ok: false, error: nodeError(error), cause: error})
    }
  }
  requireAnAnswer(tried, what)
  throw new InternalError(`${what}: no node to ask`)
}

/** `status`: each node's version (Control Center getProductInformationList) and services (soapGetServiceStatus). */
export async function nodeList(s: CiscoSession) {
  return readNodes(s.nodes, async (ref) => {
    const n = ref as CiscoNode
    const [services, info] = await Promise.all([serviceStatuses(s, n), s.controlCenter(n, 'getProductInformationList', {ServiceInfo: ''})])
    const active = services.filter((x) => x.activated)
    const running = active.filter((x) => x.state === 'Running').length
    return {
      product: n.product,
      role: n.role ?? null,
      version: text(info.getProductInformationListReturn?.ActiveServerVersion),
      health: running === active.length ? 'ok' : 'degraded',
      services: {running, total: active.length},
    }
  })
}

/** The four throttle service parameters of a Unified CM node (AXL getServiceParameter, service Cisco CallManager). */
export async function throttleParams(s: CiscoSession, node: CiscoNode): Promise<ThrottleParams> {
  const out: Record<string, number> = {}
  for (const [key, name] of Object.entries(THROTTLE_SERVICE_PARAMETERS)) {
    const r = await s.axl('getServiceParameter', {processNodeName: node.name, name, service: CALLMANAGER_SERVICE})
    const value = Number(r.return?.serviceParameter?.value)
    if (!Number.isInteger(value))
      throw new InternalError(
        `AXL getServiceParameter ${name} of ${node.name} answered ${JSON.stringify(r.return?.serviceParameter?.value)}, not an integer`,
      )
    out[key] = value
  }
  return out as unknown as ThrottleParams
}

/** `throttle status` of one node: PerfMon counters (THR-6) and the thresholds from the service parameters. */
export async function throttleOfNode(s: CiscoSession, node: CiscoNode) {
  const r = await s.perfmon(node, 'perfmonCollectCounterData', {Host: node.name, Object: THROTTLE_OBJECT})
  const counters: Record<string, number> = {}
  for (const c of r.perfmonCollectCounterDataReturn ?? []) {
    const name = String(c.Name).split('\\').at(-1) ?? ''
    const status = Number(c.CStatus)
    // PerfMon: CStatus 0 and 1 mean the value is valid.
    if ((status === 0 || status === 1) && (THROTTLE_COUNTERS as readonly string[]).includes(name)) counters[name] = Number(c.Value)
  }
  const missing = THROTTLE_COUNTERS.filter((c) => typeof counters[c] !== 'number' || !Number.isFinite(counters[c]))
  if (missing.length) throw new InternalError(`PerfMon of ${node.name} gave no valid ${missing.join(', ')} of "${THROTTLE_OBJECT}"`)
  const params = await throttleParams(s, node)
  return {
    node: node.name,
    state: throttleStateFromCounters(counters),
    averageExpectedDelayMs: counters.AverageExpectedDelay,
    throttlingSampleActivity: counters.ThrottlingSampleActivity,
    callsRejected: counters.CallsRejectedDueToThrottling,
    sampleSize: params.systemThrottleSampleSizeSec,
    enabled: params.systemThrottleSampleSizeSec > 0,
    thresholds: {
      entryMs: params.codeYellowEntryLatencyMs,
      exitMs: (params.codeYellowEntryLatencyMs * params.codeYellowExitLatencyPercent) / 100,
    },
    counters,
    params,
  }
}

export interface CupiServer {
  name: string
  role: 'publisher' | 'subscriber'
  status: ServerStatus
  answersCalls: boolean
  /** CUPI publishes no count of calls in progress. */
  callsInProgress: null
  reachable: boolean
  cupi: {serverState: number; serverDisplayState: number}
  error?: NodeError
}

/** CUPI `GET /vmrest/vmsservers`: each Unity Connection server's status (UC-2), asked of the first server that answers. */
export async function connectionServers(s: CiscoSession): Promise<{servers: CupiServer[]; unread: Unread}> {
  const cuc = s.nodes.filter((n) => n.product === 'cuc')
  if (cuc.length === 0)
    throw new NotFoundError(`no Unity Connection node in context ${s.context}`, {
      hint: 'add them by hand: ucctl context add NAME --cisco URL --node cuc-pub=cuc@https://HOST',
    })
  const {value: answer, node: n, unread} = await firstAnswer(cuc, (c) => s.cupi(c, '/vmrest/vmsservers'), `CUPI of context ${s.context}`)
  const list: any[] = Array.isArray(answer?.VmsServer) ? answer.VmsServer : answer?.VmsServer ? [answer.VmsServer] : []
  if (list.length === 0) throw new InternalError(`CUPI of ${n.name} listed no server in /vmrest/vmsservers`)
  const servers = list.map((v): CupiServer => {
    const host = String(v.HostName ?? v.ServerName ?? '')
    const known = cuc.find((c) => c.name.toLowerCase() === host.toLowerCase().split('.')[0] || c.name.toLowerCase() === host.toLowerCase())
    const status = connectionStatus(v.ServerDisplayState)
    const down = unread.find((u) => u.name === (known?.name ?? host))
    if (status === null)
      throw new InternalError(
        `CUPI of ${n.name}: server ${host} has ServerDisplayState ${JSON.stringify(v.ServerDisplayState)}, which has no UC-2 status`,
        {hint: 'run again with --debug-wire FILE and report the exchange'},
      )
    return {
      name: known?.name ?? host,
      role: String(v.ClusterMemberId) === '0' ? 'publisher' : 'subscriber',
      status,
      answersCalls: answersCalls(status, true),
      callsInProgress: null,
      reachable: status !== 'Not Functioning',
      cupi: {serverState: Number(v.ServerState), serverDisplayState: Number(v.ServerDisplayState)},
      // Its own CUPI did not answer: shown as the server that answered sees it, with why.
      ...(down ? {error: down.error} : {}),
    }
  })
  servers.sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'publisher' ? -1 : 1))
  return {servers, unread}
}

/** `utils ha status` on the first IM and Presence node that answers. */
export async function haStatus(s: CiscoSession): Promise<{ha: HaStatus; seenBy: string; unread: Unread}> {
  const imp = s.nodes.filter((n) => n.product === 'imp').sort((a, b) => (a.role === 'publisher' ? -1 : b.role === 'publisher' ? 1 : 0))
  if (imp.length === 0) throw new NotFoundError(`no IM and Presence node in context ${s.context}`)
  const {
    value: ha,
    node,
    unread,
  } = await firstAnswer(
    imp,
    async (n) => parseHaStatus(await (await s.shell(n)).run('utils ha status', {timeoutMs: 90_000})),
    `utils ha status in context ${s.context}`,
  )
  return {ha, seenBy: node.name, unread}
}

/** A subcluster of `utils ha status` as the PRG state machine's group (node 1 as PRG-7 orients it). */
export function groupFromHa(sub: HaStatus['subclusters'][number]): GroupState {
  if (sub.nodes.length !== 2) throw new InternalError(`utils ha status: subcluster ${sub.name} shows ${sub.nodes.length} nodes, not a pair`)
  const node = (n: (typeof sub.nodes)[number]) => ({
    name: n.name,
    state: n.state,
    reason: n.reason,
    up: n.state !== null,
    criticalServicesRunning: n.state !== 'Failed Over with Critical Services Not Running',
    criticalServicesDownSinceMs: null,
    users: 0,
    assignedUsers: 0,
  })
  const g: GroupState = {
    name: sub.name,
    haEnabled: sub.haEnabled,
    autoFallback: false,
    replicationReady: true,
    nodes: [node(sub.nodes[0]), node(sub.nodes[1])],
    node1: null,
    healthySinceMs: null,
  }
  const c = classifyGroup(g)
  return c && c.row.row !== 1 ? {...g, node1: c.node1} : g
}

/** PresenceRedundancyGroupList entries; users are not published by the platform CLI (null). */
export function groupDoc(g: GroupState, sub: HaStatus['subclusters'][number], seenBy: string, unread: Unread) {
  const st = groupStatus(g)
  const errorOf = (name: string) => unread.find((u) => u.name.toLowerCase() === name.toLowerCase())?.error
  return {
    ...st,
    pair: describePair(g),
    seenBy,
    nodes: st.nodes.map((n, i) => ({
      ...n,
      users: null,
      ...(errorOf(n.name) ? {error: errorOf(n.name)} : {}),
      printed: {state: sub.nodes[i].stateText, reason: sub.nodes[i].reasonText},
    })),
  }
}

/** Active and inactive versions of each Unified CM and IM and Presence node (platform CLI `show version active|inactive`). */
export async function partitions(s: CiscoSession) {
  const nodes = s.nodes.filter((n) => n.product === 'cucm' || n.product === 'imp')
  const outcomes = await readNodes(nodes, async (ref) => {
    const n = ref as CiscoNode
    const shell = await s.shell(n)
    const active = parseShowVersion(await shell.run('show version active'), 'active')
    if (!active)
      throw new InternalError(`show version active on ${n.name} printed no "Active Master Version"`, {
        hint: 'run again with --debug-wire FILE and report the exchange',
      })
    const inactive = parseShowVersion(await shell.run('show version inactive'), 'inactive')
    return {
      node: n.name,
      product: n.product as 'cucm' | 'imp',
      role: n.role ?? 'subscriber',
      cluster: s.context,
      active,
      inactive,
      history: [],
    }
  })
  // A plan checked against part of the cluster would be a guess.
  requireAnAnswer(failed(outcomes), `show version of the Unified CM and IM and Presence nodes of context ${s.context}`)
  return outcomes.flatMap((o) => (o.ok ? [o.value] : []))
}
