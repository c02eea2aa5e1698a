// The one dispatch on a context of kind cisco: each command ucctl has is served here through the
// products' interfaces, or refused (exit 5) saying why, before anything is sent. Commands that
// do not touch a deployment (context, logout, agent, help) run as always.
import {type Envelope, envelope} from '../../cli/base-command.js'
import {checkOutcome} from '../../cli/check.js'
import {confirmOrRefuse} from '../../cli/confirm.js'
import type {View} from '../../cli/render.js'
import {nodeListOutcome} from '../../cli/node-list.js'
import {setThrottleParams, showThrottleParams, throttleStatusOutcome, type ThrottleParamsStore} from '../../cli/throttle.js'
import {planOutcome, parseRunbook, readInput} from '../../cli/upgrade.js'
import {readNodes, requireAnAnswer, unreadMark, warnUnread} from '../../client/outcome.js'
import type {ManualAction} from '../../domain/connection-cluster.js'
import type {ThrottleParams} from '../../domain/throttle.js'
import {planUpgrade} from '../../domain/upgrade.js'
import {clusterFromPartitions} from '../../domain/upgrade-guards.js'
import {validatePlan} from '../../domain/upgrade-runbook.js'
import {parseVersion} from '../../domain/version.js'
import {RefusedError, UsageError} from '../../errors.js'
import {connectionAction, haAction, serviceAction} from './actions.js'
import {CALLMANAGER_SERVICE, THROTTLE_SERVICE_PARAMETERS} from './mapping.js'
import {
  connectionServers,
  groupDoc,
  groupFromHa,
  haStatus,
  nodeList,
  partitions,
  serviceStatuses,
  throttleOfNode,
  throttleParams,
} from './reads.js'
import type {CiscoNode, CiscoSession} from './session.js'

export interface CommandIO {
  flags: Record<string, any>
  args: Record<string, any>
  output(doc: Envelope, view?: View, exitCode?: number): Promise<Envelope>
  notice(message: string): void
  progress(message: string): void
}

interface Handler {
  mutating?: (flags: Record<string, any>) => boolean
  run(s: CiscoSession, io: CommandIO): Promise<Envelope>
}

const confirm = (io: CommandIO) => (q: string) => confirmOrRefuse(q, io.flags.yes === true)
const acts = (flags: Record<string, any>) => !flags['dry-run']

const service = (action: 'start' | 'stop' | 'cycle'): Handler => ({
  mutating: acts,
  async run(s, io) {
    const r = await serviceAction(s, s.node(io.flags.node), action, io.args.service, io.flags as any, {
      progress: io.progress,
      confirm: confirm(io),
    })
    return io.output(r.doc, r.view, r.exitCode)
  },
})

const connection = (action: ManualAction): Handler => ({
  mutating: acts,
  async run(s, io) {
    const r = await connectionAction(s, s.node(io.args.server, 'cuc', `cluster ${action}`), action, io.flags as any, {
      progress: io.progress,
      notice: io.notice,
      confirm: confirm(io),
    })
    return io.output(r.doc, r.view, r.exitCode)
  },
})

const ha = (action: 'failover' | 'fallback' | 'recover'): Handler => ({
  mutating: acts,
  async run(s, io) {
    const r = await haAction(s, action, {node: io.args.node, group: io.args.group}, io.flags as any, {
      progress: io.progress,
      confirm: confirm(io),
    })
    return io.output(r.doc, r.view, r.exitCode)
  },
})

/** The live cluster picture for upgrade commands: `show version active|inactive` of every Unified CM and IM&P node. */
async function livePicture(s: CiscoSession) {
  const reports = await partitions(s)
  return {name: s.context, source: `context ${s.context} (show version active|inactive)`, reports, ...clusterFromPartitions(reports)}
}

const HANDLERS: Record<string, Handler> = {
  status: {
    async run(s, io) {
      const r = nodeListOutcome(s.context, await nodeList(s), {
        check: io.flags.check === true,
        title: `context ${s.context} (cisco)`,
        notice: io.notice,
      })
      return io.output(r.doc, r.view, r.exitCode)
    },
  },
  'service:list': {
    async run(s, io) {
      const names: string[] = [io.flags.node ?? []].flat()
      if (names.length > 1)
        throw new UsageError('a cisco context lists one node at a time', {hint: `ucctl service list --node ${names[0]}`})
      const node = s.node(names[0])
      const services = await serviceStatuses(s, node)
      return io.output(envelope('ServiceList', {context: s.context, node: node.name, services}), {
        title: `context ${s.context} · node ${node.name}`,
        columns: ['SERVICE', 'STATE', 'ACTIVATION', 'UPTIME'],
        stateColumn: 1,
        rows: services.map((x) => [
          x.name,
          x.state,
          x.activated ? 'Activated' : (x.reason ?? 'Service Not Activated'),
          x.uptimeMs === null ? '' : `${Math.floor(x.uptimeMs / 60_000)}m`,
        ]),
      })
    },
  },
  'service:start': service('start'),
  'service:stop': service('stop'),
  'service:cycle': service('cycle'),
  'throttle:status': {
    async run(s, io) {
      const nodes = io.flags.node ? [s.node(io.flags.node, 'cucm', 'call throttling')] : s.nodes.filter((n) => n.product === 'cucm')
      const outcomes = await readNodes(nodes, (n) => throttleOfNode(s, n as CiscoNode))
      // A node named on the command line: its own error, as a read of one node.
      if (io.flags.node && !outcomes[0].ok) throw outcomes[0].cause
      requireAnAnswer(outcomes, `Unified CM nodes of context ${s.context}`)
      const r = throttleStatusOutcome(s.context, outcomes, `context ${s.context} (cisco)`, io.notice)
      return io.output(r.doc, r.view, r.exitCode)
    },
  },
  'throttle:params': {
    mutating: (flags) => Boolean(flags.set?.length) && acts(flags),
    async run(s, io) {
      const node = s.node(io.flags.node, 'cucm', 'call throttling')
      const store: ThrottleParamsStore = {
        node: node.name,
        read: () => throttleParams(s, node),
        async write(values) {
          for (const [key, value] of Object.entries(values)) {
            await s.axl('updateServiceParameter', {
              processNodeName: node.name,
              name: THROTTLE_SERVICE_PARAMETERS[key as keyof ThrottleParams],
              service: CALLMANAGER_SERVICE,
              value: String(value),
            })
          }
          return {params: await throttleParams(s, node)}
        },
      }
      const r = io.flags.set?.length
        ? await setThrottleParams(store, io.flags.set, io.flags as any, {notice: io.notice, confirm: confirm(io)})
        : await showThrottleParams(store)
      return io.output(r.doc, r.view, r.exitCode)
    },
  },
  'cluster:status': {
    async run(s, io) {
      const {servers, unread} = await connectionServers(s)
      warnUnread(unread, io.notice)
      const notes = ['calls in progress: CUPI does not publish them (null)']
      return io.output(envelope('ConnectionCluster', {context: s.context, servers, ...(unread.length ? {unread} : {}), notes}), {
        title: `Unity Connection cluster (context ${s.context}, CUPI)`,
        columns: ['SERVER', 'ROLE', 'STATUS', 'ANSWERS CALLS', 'CUPI STATE'],
        stateColumn: 2,
        rows: servers.map((x) => [
          x.name,
          x.role,
          (x.error ? `${unreadMark(x.error)}; ` : '') + x.status,
          x.answersCalls ? 'yes' : 'no',
          `${x.cupi.serverState}/${x.cupi.serverDisplayState}`,
        ]),
        notes,
      })
    },
  },
  'cluster:make-primary': connection('make-primary'),
  'cluster:activate': connection('activate'),
  'cluster:deactivate': connection('deactivate'),
  'cluster:stop-taking-calls': connection('stop-taking-calls'),
  'cluster:take-calls': connection('take-calls'),
  'pcluster:status': {
    async run(s, io) {
      const {ha: st, seenBy, unread} = await haStatus(s)
      warnUnread(unread, io.notice)
      for (const l of st.unknownLines) io.notice(`note: utils ha status printed a line ucctl does not know: ${l}`)
      const subs = io.args.group
        ? st.subclusters.filter((x) => x.name.toLowerCase() === String(io.args.group).toLowerCase())
        : st.subclusters
      if (io.args.group && subs.length === 0)
        throw new UsageError(`no presence redundancy group ${io.args.group}`, {
          hint: `groups: ${st.subclusters.map((x) => x.name).join(', ')}`,
        })
      const groups = subs.map((sub) => groupDoc(groupFromHa(sub), sub, seenBy, unread))
      const members = new Set(st.subclusters.flatMap((x) => x.nodes.map((n) => n.name.toLowerCase())))
      const others = unread.filter((u) => !members.has(u.name.toLowerCase()))
      return io.output(envelope('PresenceRedundancyGroupList', {context: s.context, groups, ...(others.length ? {unread: others} : {})}), {
        title: `context ${s.context} (utils ha status on ${seenBy})`,
        columns: ['GROUP', 'HA', 'NODE', 'STATE', 'REASON'],
        stateColumn: 3,
        rows: [
          ...groups.flatMap((g) =>
            g.nodes.map((n) => [
              g.name,
              g.haEnabled ? 'on' : 'off',
              n.name,
              n.error ? `${unreadMark(n.error)}; ${n.state}` : n.state,
              n.reason ?? '',
            ]),
          ),
          ...others.map((u) => ['?', '', u.name, unreadMark(u.error), '']),
        ],
        notes: groups.flatMap((g) => [
          `${g.name}: ${g.row ? `PRG-7 row ${g.row}` : g.haEnabled ? 'pair not in the PRG-7 table' : 'high availability disabled'}; recommended: ${g.recommendedAction}`,
          `${g.name}: allowed now: ${g.allowedActions.join(', ') || 'none'}`,
        ]),
      })
    },
  },
  'pcluster:failover': ha('failover'),
  'pcluster:fallback': ha('fallback'),
  'pcluster:recover': ha('recover'),
  'upgrade:validate': {
    async run(s, io) {
      if (io.flags.topology) throw new UsageError('--topology checks a file offline: run it without a cisco context (--context lab)')
      const source = io.flags.plan === '-' ? 'stdin' : io.flags.plan
      const runbook = await parseRunbook(await readInput(io.flags.plan), source)
      const target = io.flags.to === undefined ? runbook.target : parseVersion(io.flags.to).text
      if (target === undefined)
        throw new UsageError(`runbook ${source} names no target version`, {hint: 'pass --to 9.0(1), or add `to: 9.0(1)` to the runbook'})
      const picture = await livePicture(s)
      const r = checkOutcome(validatePlan(picture.cluster, target, runbook.steps), {plan: source, cluster: picture.name, target})
      return io.output(r.doc, r.view, r.exitCode)
    },
  },
  'upgrade:plan': {
    async run(s, io) {
      const picture = await livePicture(s)
      const r = planOutcome(planUpgrade(picture.cluster, parseVersion(io.flags.to).text), picture)
      return io.output(r.doc, r.view)
    },
  },
}

/** Commands that never touch a deployment: they run as always, whatever the context. */
const PASSTHROUGH = [/^context:/, /^agent:/, /^logout$/, /^help$/, /^autocomplete/, /^plugins/]

/** Why the product's interfaces cannot serve a command (exit 5). */
const REFUSALS: Array<[RegExp, string]> = [
  [/^lab:/, 'a cisco context is a real cluster, not the embedded lab: lab commands drive the lab only (--context lab)'],
  [/^ctios:|^load:/, 'CTI OS is not reached through Unified CM, IM and Presence or Unity Connection interfaces'],
  [/^service:startup$/, 'Control Center Services has no startup type; activation is done in Cisco Unified Serviceability'],
  [/^node:/, 'node upgrades, switch-version and restarts through PAWS are not covered yet; use Cisco Unified OS Administration'],
  [/^login$/, 'the password of a cisco context is given to `context add` (hidden prompt, --password-stdin or UCCTL_CISCO_PASSWORD)'],
  [/^events$/, 'the products publish no event stream ucctl can follow'],
]

export function servesCommand(id: string): boolean {
  return !PASSTHROUGH.some((p) => p.test(id))
}

/** Runs command `id` against a cisco context, or refuses it; read-only contexts refuse every change. */
export async function runCiscoCommand(
  id: string,
  session: () => Promise<CiscoSession>,
  readOnly: boolean,
  context: string,
  io: CommandIO,
): Promise<Envelope> {
  const words = id.replaceAll(':', ' ')
  const handler = HANDLERS[id]
  if (!handler) {
    const why =
      REFUSALS.find(([re]) => re.test(id))?.[1] ??
      "the products' published interfaces do not offer it, or the cisco driver does not cover it yet"
    throw new RefusedError(`ucctl ${words} is not available for context ${context} of kind cisco: ${why}; nothing was sent`)
  }
  if (readOnly && handler.mutating?.(io.flags)) {
    throw new RefusedError(`context ${context} is read-only: ucctl ${words} would change the cluster; nothing was sent`, {
      hint: '--dry-run shows what it would do; a context without --read-only can act',
    })
  }
  const s = await session()
  try {
    return await handler.run(s, io)
  } finally {
    await s.close()
  }
}
