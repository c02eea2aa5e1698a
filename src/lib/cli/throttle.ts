// `ucctl throttle status|params` and `ucctl lab latency`: call throttling and Code Yellow on
// Unified CM nodes (THR-1..7). The rules are ../domain/throttle.ts; the monitor runs in the
// agents (their throttle module); this is the I/O around them, through the contract (../api/routes/throttle.ts).
import type {Answer} from '../api/index.js'
import type {AgentClient} from '../client/agent-client.js'
import {type NodeOutcome, unreadMark, unreadOf, warnUnread} from '../client/outcome.js'
import {UcctlError, UsageError} from '../errors.js'
import {
  describeThrottleChanges,
  MAX_LATENCY_FAULT_MS,
  parseThrottleAssignments,
  THROTTLE_PARAMETERS,
  type ThrottleParamFinding,
  type ThrottleParams,
  throttleInvestigation,
  validateThrottleParams,
} from '../domain/throttle.js'
import {envelope} from './base-command.js'
import {type Outcome, planOutcome} from './plan.js'
import {readProductNodes} from './product-nodes.js'
import type {Target} from './target.js'

export {MAX_LATENCY_FAULT_MS}

/** GET /v1/throttle of a Unified CM agent. */
export type ThrottleStatusDoc = Answer<'GET /v1/throttle'>
/** What a node's throttle status shows (an AXL context reads no more than this). */
export type ThrottleReading = Pick<
  ThrottleStatusDoc,
  | 'node'
  | 'state'
  | 'averageExpectedDelayMs'
  | 'throttlingSampleActivity'
  | 'callsRejected'
  | 'sampleSize'
  | 'thresholds'
  | 'counters'
  | 'params'
> &
  Partial<ThrottleStatusDoc>

/** `throttle status [--node N]`: one node, or every Unified CM node of the context. */
export async function throttleStatus(target: Target, name: string | undefined, notice: (m: string) => void): Promise<Outcome> {
  return throttleStatusOutcome(
    target.context,
    await readProductNodes(target, 'cucm', getThrottle, name),
    `context ${target.context}`,
    notice,
  )
}

/** ThrottleStatus from one outcome per Unified CM node: a node not read is listed with its error. */
export function throttleStatusOutcome(
  context: string,
  outcomes: Array<NodeOutcome<ThrottleReading>>,
  title: string,
  notice: (m: string) => void,
): Outcome {
  // THR-1 (run time): the investigation, on each node in Code Yellow or that entered it repeatedly.
  const ok = outcomes.flatMap((a) => {
    if (!a.ok) return []
    const investigation = throttleInvestigation({
      state: a.value.state,
      counters: {TotalCodeYellowEntry: a.value.counters.TotalCodeYellowEntry ?? 0},
    })
    return [{...a.value, name: a.node.name, ...(investigation ? {investigation} : {})}]
  })
  const unread = unreadOf(outcomes)
  warnUnread(unread, notice)
  return {
    doc: envelope('ThrottleStatus', {context, nodes: [...ok, ...unread]}),
    view: {
      title,
      columns: ['NODE', 'STATE', 'AVG DELAY', 'SAMPLE ACTIVITY', 'ENTRY', 'EXIT', 'REJECTED', 'CODE YELLOW ENTRIES'],
      stateColumn: 1,
      rows: [
        ...ok.map((s) => [
          s.name,
          s.state,
          `${s.averageExpectedDelayMs} ms`,
          `${s.throttlingSampleActivity}/${s.sampleSize}`,
          `${s.thresholds.entryMs} ms`,
          `${s.thresholds.exitMs} ms`,
          s.callsRejected,
          s.counters.TotalCodeYellowEntry,
        ]),
        ...unread.map((u) => [u.name, unreadMark(u.error)]),
      ],
      notes: ok.flatMap((s) => (s.investigation ? [`THR-1: ${s.name} ${s.investigation.why}: ${s.investigation.steps.join('; ')}`] : [])),
    },
    exitCode: 0,
  }
}

async function getThrottle(client: AgentClient): Promise<ThrottleStatusDoc> {
  try {
    return await client.call('GET /v1/throttle')
  } catch (error) {
    if (error instanceof UcctlError && error.code === 'NotFound') {
      throw new UsageError(`${client.node.name} is not a Unified CM node: call throttling runs on Unified CM`, {
        hint: "ucctl status shows each node's product",
      })
    }
    throw error
  }
}

function paramsOutcome(node: string, params: ThrottleParams, extra: Record<string, unknown> = {}): Outcome {
  const parameters = THROTTLE_PARAMETERS.map((r) => ({
    key: r.key,
    name: r.name,
    unit: r.unit,
    value: params[r.key],
    default: r.default,
    min: r.min,
    max: r.max,
    rule: r.rule,
    description: r.description,
  }))
  return {
    doc: envelope('ThrottleParams', {node, parameters, ...extra}),
    view: {
      title: `node ${node}`,
      columns: ['PARAMETER', 'KEY', 'VALUE', 'DEFAULT', 'RANGE', 'RULE'],
      rows: parameters.map((p) => [p.name, p.key, `${p.value} ${p.unit}`, `${p.default} ${p.unit}`, `${p.min}–${p.max} ${p.unit}`, p.rule]),
      notes: ['THR-7: changing these is discouraged unless Cisco support recommends it'],
    },
    exitCode: 0,
  }
}

/** `throttle params --node N`: the table of parameters with this node's values. */
export async function showThrottleParams(store: ThrottleParamsStore): Promise<Outcome> {
  return paramsOutcome(store.node, await store.read())
}

/** Where a node's throttle parameters are read and written: its agent, or a cisco context's AXL service parameters. */
export interface ThrottleParamsStore {
  node: string
  read(): Promise<ThrottleParams>
  write(values: Record<string, number>): Promise<{params: ThrottleParams; changes?: string[]; findings?: readonly ThrottleParamFinding[]}>
  /** What a write would change (the agent's preview); without it (AXL has no preview), from the values read. */
  preview?(values: Record<string, number>): Promise<{changes: string[]; rules: string[]}>
}

export function agentThrottleParams(client: AgentClient): ThrottleParamsStore {
  return {
    node: client.node.name,
    read: async () => (await getThrottle(client)).params,
    write: (values) => client.call('PUT /v1/throttle/params', {body: values}),
    preview: (values) => client.preview('PUT /v1/throttle/params', {body: values}),
  }
}

/**
 * `throttle params --node N --set name=value ...`: every value is validated (exit 2, nothing
 * sent, on a bad name or value); THR-7 and THR-5 warnings go to stderr; then confirmation
 * (--yes in scripts) and the change.
 */
export async function setThrottleParams(
  store: ThrottleParamsStore,
  assignments: readonly string[],
  flags: {'dry-run': boolean},
  io: {notice: (m: string) => void; confirm: (question: string) => Promise<boolean>},
): Promise<Outcome> {
  const partial = parseThrottleAssignments(assignments)
  const check = validateThrottleParams(partial)
  const errors = check.findings.filter((f) => f.severity === 'error')
  if (errors.length > 0) {
    throw new UsageError(`nothing was changed: ${errors.map((e) => e.message).join('; ')}`, {rule: errors[0].rule, hint: errors[0].fix})
  }
  const values = Object.fromEntries(Object.entries(partial).map(([k, v]) => [k, Number(v)]))
  const node = store.node
  const warnings = check.findings.filter((f) => f.severity === 'warning')
  const plan = store.preview
    ? await store.preview(values)
    : {changes: describeThrottleChanges(await store.read(), values), rules: [...new Set(warnings.map((w) => `${w.rule}: ${w.message}`))]}
  const changes = plan.changes
  if (flags['dry-run']) return planOutcome({node, action: 'throttle params', ...plan})
  for (const w of warnings) io.notice(`warning ${w.rule}: ${w.message}`)
  if (!(await io.confirm(`Change ${changes.join('; ')} on ${node}? (THR-7: discouraged unless Cisco support recommends it)`))) {
    throw new UsageError('not confirmed; nothing was changed')
  }
  const r = await store.write(values)
  return paramsOutcome(node, r.params, {changes: r.changes ?? changes, findings: r.findings ?? check.findings})
}

export function parseLatencyMs(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(ms) || ms > MAX_LATENCY_FAULT_MS) {
    throw new UsageError(`latency "${text}" is not an integer from 0 to ${MAX_LATENCY_FAULT_MS} ms`, {hint: '0 clears the fault'})
  }
  return ms
}

/** `lab latency <node> <ms>`: the lab's fault that slows every message of a Unified CM agent (the agent previews --dry-run). */
export async function setLatencyFault(client: AgentClient, ms: number, flags: {'dry-run': boolean}): Promise<Outcome> {
  const request = {body: {ms}}
  let r: Answer<'POST /v1/faults/latency'>
  try {
    if (flags['dry-run']) return planOutcome(await client.preview('POST /v1/faults/latency', request))
    r = await client.call('POST /v1/faults/latency', request)
  } catch (error) {
    if (error instanceof UcctlError && error.code === 'NotFound')
      throw new UsageError(`${client.node.name} is not a Unified CM node: the latency fault is on Unified CM agents`)
    throw error
  }
  return {
    doc: envelope('LatencyFault', {node: r.node, latencyMs: r.latencyMs}),
    view: {columns: ['NODE', 'ADDED LATENCY'], rows: [[r.node, `${r.latencyMs} ms`]]},
    exitCode: 0,
  }
}
