// `ucctl load check|set`: the /LOAD peripheral configuration parameter of CTI OS nodes
// (LOAD-1..6). The rules are ../domain/load-parameter.ts; this is the I/O around them.
import type {Answer} from '../api/index.js'
import type {AgentClient} from '../client/agent-client.js'
import {unreadFindings, unreadOf} from '../client/outcome.js'
import {checkLoadParameter, type LoadFinding, withLoad} from '../domain/load-parameter.js'
import {NotFoundError} from '../errors.js'
import {envelope} from './base-command.js'
import {checkOutcome} from './check.js'
import {confirmEffects} from './effects.js'
import {submitAction} from './operation.js'
import {type Outcome, planOutcome} from './plan.js'
import {readProductNodes} from './product-nodes.js'
import type {View} from './render.js'
import type {Target} from './target.js'

/** GET /v1/peripheral of a CTI OS agent. */
export type Peripheral = Answer<'GET /v1/peripheral'>

export async function getPeripheral(client: AgentClient): Promise<Peripheral> {
  try {
    return await client.call('GET /v1/peripheral')
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(`${client.node.name} has no peripheral: /LOAD is a setting of CTI OS nodes`, {
        hint: "ucctl status shows each node's product",
      })
    }
    throw error
  }
}

export function checkPeripheral(p: Peripheral): readonly LoadFinding[] {
  return checkLoadParameter({
    params: p.configurationParameters,
    icmVersion: p.icmVersion,
    ctiosVersion: p.ctiosVersion,
    upgradedFrom: p.upgradedFrom,
    usesCtios: true,
    rejectIfAlreadyLoggedIn: p.rejectIfAlreadyLoggedIn,
    loadInEffect: p.loadInEffect,
  }).findings
}

export interface OfflineInput {
  params: string
  icm: string
  ctios?: string
  upgradedFrom?: string
  rejectIfAlreadyLoggedIn?: 0 | 1
}

/** `load check --params ... --icm ...`: no agent involved (a change validated before it is made). */
export function checkOffline(input: OfflineInput): Outcome {
  const result = checkLoadParameter({
    params: input.params,
    icmVersion: input.icm,
    ctiosVersion: input.ctios ?? null,
    upgradedFrom: input.upgradedFrom ?? null,
    rejectIfAlreadyLoggedIn: input.rejectIfAlreadyLoggedIn ?? null,
  })
  return checkOutcome(result, {
    input: {
      configurationParameters: input.params,
      icmVersion: input.icm,
      ctiosVersion: input.ctios ?? null,
      upgradedFrom: input.upgradedFrom ?? null,
      rejectIfAlreadyLoggedIn: input.rejectIfAlreadyLoggedIn ?? null,
    },
  })
}

/** `load check [--node N]`: the named CTI OS node, or every CTI OS node of the context. */
export async function checkNodes(target: Target, name: string | undefined): Promise<Outcome> {
  const outcomes = await readProductNodes(target, 'ctios', getPeripheral, name)
  const peripherals = outcomes.flatMap((a) => (a.ok ? [a.value] : []))
  const findings = [
    ...peripherals.flatMap((p) => checkPeripheral(p).map((f) => ({...f, node: p.node}))),
    ...unreadFindings(unreadOf(outcomes), 'LOAD-1'),
  ]
  const r = checkOutcome({ok: findings.every((f) => f.severity !== 'error'), findings}, {peripherals, unread: unreadOf(outcomes)})
  r.view.rows = findings.map((f) => [f.severity, f.rule, `${f.node}: ${f.message}`, f.fix])
  return r
}

export interface SetFlags {
  wait: boolean
  timeout: number
  'dry-run': boolean
  yes: boolean
  restart: boolean
}

/**
 * `load set <0|1> --node N`: writes the value into the field (LOAD-6: the other parameters
 * stay), then restarts the PG (LOAD-1) and waits for it. The question is asked before anything
 * is written, so a refusal (or no terminal without --yes) changes nothing; --no-restart writes
 * the field only, pending until the PG restarts.
 */
export async function setLoad(
  client: AgentClient,
  value: 0 | 1,
  flags: SetFlags,
  io: {progress: (m: string) => void; notice: (m: string) => void},
): Promise<Outcome> {
  const node = client.node.name
  const before = await getPeripheral(client)
  // The agent's preview: the field change and, with the PG restart, its effects on the softphones
  // (CTI-1, CTI-6); it refuses a value the rules forbid for the node (LOAD-1, LOAD-4).
  const plan = await client.preview('PUT /v1/peripheral/load', {body: {value}, query: {restart: flags.restart}})
  // Already written and read by the PG: a restart would only take the PG offline for nothing (CTI-1).
  if (withLoad(before.configurationParameters, value) === before.configurationParameters && !before.pending) {
    io.notice(`${node}: /LOAD ${value} is already in the field and in effect; nothing to do`)
    return {doc: envelope('Peripheral', {...before}), view: peripheralView(before), exitCode: 0}
  }
  if (flags['dry-run']) return planOutcome(plan)
  // Allowed on an ICM version that defaults to /LOAD 1 (LOAD-3), but not what CTI OS failover wants.
  if (value === 1)
    io.notice(
      `warning: with /LOAD 1 in effect, agents keep their state after a failover (CTI-7) instead of Not Ready (LOAD-2); CTI OS failover is documented with /LOAD 0 (LOAD-1)`,
    )
  if (flags.restart)
    await confirmEffects(
      `Set /LOAD ${value} on ${node} and restart the PG now? (LOAD-1: the PG must restart for the change to apply)`,
      plan.effects,
      flags.yes,
      io.notice,
      true,
    )
  const after = await client.call('PUT /v1/peripheral/load', {body: {value}})
  if (!flags.restart) {
    if (after.pending) io.notice(`warning: the PG of ${node} still runs with /LOAD ${after.loadInEffect ?? '?'} until it restarts (LOAD-1)`)
    return {doc: envelope('Peripheral', {...after}), view: peripheralView(after), exitCode: 0}
  }
  return submitAction(client, 'POST /v1/peripheral/restart', undefined, flags, io.progress)
}

export function peripheralView(p: Peripheral): View {
  return {
    columns: ['NODE', 'CONFIGURATION PARAMETERS', '/LOAD', 'IN EFFECT', 'PG', 'ICM', 'CTI OS'],
    rows: [[p.node, p.configurationParameters, p.load, p.loadInEffect, p.pg.state, p.icmVersion, p.ctiosVersion]],
    notes: p.pending ? ['pending: the PG has not restarted since the field changed (LOAD-1)'] : [],
  }
}
