// `ucctl cluster ...`: the Unity Connection cluster (SPEC §4, UC-1..16). The rules are
// ../domain/connection-cluster.ts; this is the I/O around them (agents' GET /v1/cluster and
// their actions).
import type {Answer, Body} from '../api/index.js'
import type {AgentClient} from '../client/agent-client.js'
import {type NodeError, unreadFindings, unreadMark, unreadOf} from '../client/outcome.js'
import {NotFoundError, UsageError} from '../errors.js'
import {checkLicenses, checkPorts, type Integration} from '../domain/connection-checks.js'
import {type ManualAction, noPrimaryAdvice} from '../domain/connection-cluster.js'
import type {ServerStatus} from '../domain/connection-statuses.js'
import {envelope} from './base-command.js'
import {checkOutcome} from './check.js'
import {submitAction} from './operation.js'
import {type Outcome, planOutcome} from './plan.js'
import {readProductNodes} from './product-nodes.js'
import type {Target} from './target.js'

/** GET /v1/cluster of a Unity Connection agent. */
export type ServerDoc = Answer<'GET /v1/cluster'>

export interface ClusterServer extends Partial<ServerDoc> {
  name: string
  status: ServerStatus
  answersCalls: boolean
  callsInProgress: number
  reachable: boolean
  error?: NodeError
}

async function getServer(client: AgentClient): Promise<ServerDoc> {
  try {
    return await client.call('GET /v1/cluster')
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new UsageError(`${client.node.name} is not a Unity Connection server`, {hint: "ucctl status shows each node's product"})
    }
    throw error
  }
}

/**
 * Every Unity Connection server of the context, as each tells it; a server whose agent does not
 * answer is shown as its peer sees it (Not Functioning, UC-2).
 */
export async function clusterServers(target: Target): Promise<{servers: ClusterServer[]; unread: Array<{name: string; error: NodeError}>}> {
  const outcomes = await readProductNodes(target, 'cuc', getServer)
  const servers: ClusterServer[] = outcomes.flatMap((a) => (a.ok ? [{...a.value, reachable: true}] : []))
  const unread = unreadOf(outcomes)
  // Peers that did not answer: their status as the other server sees it.
  for (const s of [...servers]) {
    const p = s.peer
    if (!p || servers.some((x) => x.name === p.name)) continue
    const down = unread.find((u) => u.name === p.name)
    servers.push({
      name: p.name,
      role: s.role === 'publisher' ? 'subscriber' : 'publisher',
      status: p.lost || down ? 'Not Functioning' : (p.status ?? 'Not Functioning'),
      answersCalls: false,
      callsInProgress: 0,
      reachable: false,
      ...(down ? {error: down.error} : {}),
    })
  }
  servers.sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'publisher' ? -1 : 1))
  return {servers, unread}
}

export function statusOutcome(target: Target, servers: ClusterServer[], unread: Array<{name: string; error: NodeError}> = []): Outcome {
  const publisherDown = servers.some((s) => s.role === 'publisher' && s.status === 'Not Functioning')
  const splitBrain = servers.filter((s) => s.status === 'Primary').length > 1
  const notes: string[] = []
  if (publisherDown)
    notes.push(
      'UC-6: the publisher is Not Functioning: no LDAP directory sync and no digital-network directory updates until it returns (authentication and messaging continue)',
    )
  if (splitBrain) notes.push('UC-11: split brain: both servers are Primary; they do not replicate until contact returns')
  const noPrimary = noPrimaryAdvice(servers)
  if (noPrimary) notes.push(noPrimary)
  notes.push('UC-1: the publisher cannot be removed from the cluster')
  return {
    doc: envelope('ConnectionCluster', {context: target.context, servers, ...(unread.length ? {unread} : {}), notes}),
    view: {
      title: `Unity Connection cluster (context ${target.context})`,
      columns: ['SERVER', 'ROLE', 'STATUS', 'ANSWERS CALLS', 'CALLS', 'PORTS', 'REPLICATION', 'LAST CHANGE'],
      stateColumn: 2,
      // Two Primaries is split brain (UC-11): never shown as the healthy green of one.
      alarmRows:
        servers.filter((s) => s.status === 'Primary').length > 1
          ? servers.flatMap((s, i) => (s.status === 'Primary' ? [i] : []))
          : undefined,
      rows: servers.map((s) => [
        s.name,
        s.role ?? '',
        (s.error ? `${unreadMark(s.error)}; ` : '') + s.status + (s.degraded?.length ? ` (degraded: ${s.degraded.join(', ')})` : ''),
        s.answersCalls ? 'yes' : s.takingCalls === false ? 'no (Stop Taking Calls)' : 'no',
        s.callsInProgress,
        s.ports ?? '',
        s.replication ? `${s.replication.state}${s.replication.pendingToPeer ? ` (${s.replication.pendingToPeer} pending)` : ''}` : '',
        s.lastChange ? `${s.lastChange.time} ${s.lastChange.from} → ${s.lastChange.to}: ${s.lastChange.reason} (${s.lastChange.rule})` : '',
      ]),
      notes,
    },
    exitCode: 0,
  }
}

export interface ActionFlags {
  wait: boolean
  timeout: number
  'dry-run': boolean
  yes: boolean
  drain?: boolean
}

/**
 * A manual action on one server: the agent's preview first (a refusal names its rule and changes
 * nothing), --dry-run shows it, deactivation with calls in progress asks first (UC-8).
 */
export async function clusterAction(
  client: AgentClient,
  action: ManualAction,
  flags: ActionFlags,
  io: {progress: (m: string) => void; notice: (m: string) => void; confirm: (question: string) => Promise<boolean>},
): Promise<Outcome> {
  const route = 'POST /v1/cluster/:action'
  // With --drain, the agent stops taking calls and waits up to --timeout for them; then it deactivates.
  const body: Body<typeof route> = action === 'deactivate' && flags.drain ? {drain: true, drainTimeoutMs: flags.timeout * 1000} : {}
  const plan = await client.preview(route, {params: {action}, body})
  if (flags['dry-run']) return planOutcome(plan)
  if (plan.dropsCalls > 0) {
    for (const w of plan.warnings) io.notice(`warning: ${w}`)
    if (!(await io.confirm(`Deactivate ${client.node.name} and drop its ${plan.dropsCalls} call(s) in progress? (UC-8)`))) {
      throw new UsageError('not confirmed; nothing was changed', {hint: '--drain stops taking calls and waits for them to end first'})
    }
    body.dropCalls = true
  }
  // With --drain, --timeout bounds the wait for calls; the deactivation itself then follows.
  const wait = {wait: flags.wait, timeout: flags.drain ? flags.timeout + 30 : flags.timeout}
  return submitAction(client, route, {params: {action}, body}, wait, io.progress)
}

/** `cluster ports check` (UC-15): the flags, or the servers' own port settings for what is not given. */
export async function portsCheck(
  target: Target | undefined,
  input: {integration: Integration; needed: number; phoneSystem?: number; perServer?: [number, number]},
): Promise<Outcome> {
  let perServer: Array<{name: string; ports: number}> | undefined
  let phoneSystem = input.phoneSystem
  let source = 'flags'
  let unread: Array<{name: string; error: NodeError}> = []
  if (input.perServer)
    perServer = [
      {name: 'publisher', ports: input.perServer[0]},
      {name: 'subscriber', ports: input.perServer[1]},
    ]
  else if (target) {
    const read = await clusterServers(target)
    const servers = read.servers
    unread = read.unread
    const known = servers.filter((s) => s.reachable && typeof s.ports === 'number')
    if (known.length > 0) {
      perServer = known.map((s) => ({name: s.name, ports: s.ports!}))
      phoneSystem ??= known.find((s) => typeof s.phoneSystemPorts === 'number')?.phoneSystemPorts ?? undefined
      source = 'agents'
    }
  }
  const result = checkPorts({integration: input.integration, needed: input.needed, phoneSystem, perServer})
  const findings = [...result.findings, ...unreadFindings(unread, 'UC-15')]
  const r = checkOutcome(
    {ok: result.ok, findings},
    {
      integration: input.integration,
      needed: input.needed,
      expected: result.expected,
      phoneSystem: phoneSystem ?? null,
      perServer: perServer ?? null,
      source,
      ...(unread.length ? {unread} : {}),
    },
  )
  r.view.notes = [
    ...(r.view.notes ?? []),
    `UC-15 ${input.integration}: phone system ${result.expected.phoneSystem} ports, ${result.expected.perServer} per server, distribution: ${result.expected.distribution}; one server alone must carry all calls when the other stops`,
  ]
  return r
}

/** `cluster license check` (UC-16): each server's license MAC against its own MAC. */
export async function licenseCheck(target: Target): Promise<Outcome> {
  const {servers, unread} = await clusterServers(target)
  const reachable = servers.filter((s) => s.reachable)
  const result = checkLicenses(reachable.map((s) => ({name: s.name, role: s.role!, mac: s.mac, licenseMac: s.licenseMac})))
  const findings = [...result.findings, ...unreadFindings(unread, 'UC-16')]
  const licenses = reachable.map((s) => ({name: s.name, role: s.role, mac: s.mac ?? null, licenseMac: s.licenseMac ?? null}))
  return checkOutcome({ok: result.ok, findings}, {licenses, ...(unread.length ? {unread} : {})})
}
