// `ucctl ctios settings` and `ucctl ctios agent logout` (LOAD-5 run time): the CTI OS server's
// desktop connection profile (RejectIfAlreadyLoggedIn) and the supervisor's logout of an agent.
import type {Answer} from '../api/index.js'
import type {AgentClient} from '../client/agent-client.js'
import {REJECT_MEANING} from '../domain/load-parameter.js'
import {envelope} from './base-command.js'
import {submitAction} from './operation.js'
import {type Outcome, planOutcome} from './plan.js'

/** GET|PUT /v1/ctios/settings of a CTI OS agent. */
export type CtiosSettings = Answer<'GET /v1/ctios/settings'>

function settingsOutcome(s: CtiosSettings): Outcome {
  const v = s.desktopConnectionProfile.rejectIfAlreadyLoggedIn
  return {
    doc: envelope('CtiosSettings', {...s}),
    view: {columns: ['NODE', 'SETTING', 'VALUE', 'EFFECT'], rows: [[s.node, 'RejectIfAlreadyLoggedIn', v, REJECT_MEANING[v]]]},
    exitCode: 0,
  }
}

/** `ctios settings [--reject-if-already-logged-in 0|1]`: shows the profile, or sets the value first (the agent previews --dry-run). */
export async function ctiosSettings(client: AgentClient, set: {rejectIfAlreadyLoggedIn?: 0 | 1; dryRun: boolean}): Promise<Outcome> {
  const to = set.rejectIfAlreadyLoggedIn
  if (to === undefined) return settingsOutcome(await client.call('GET /v1/ctios/settings'))
  const request = {body: {rejectIfAlreadyLoggedIn: to}}
  if (set.dryRun) return planOutcome(await client.preview('PUT /v1/ctios/settings', request))
  return settingsOutcome(await client.call('PUT /v1/ctios/settings', request))
}

/** `ctios agent logout AGENT`: the supervisor's logout (LOAD-5); the agent then logs in by hand. */
export function logoutAgent(
  client: AgentClient,
  agent: string,
  flags: {wait: boolean; timeout: number},
  progress: (m: string) => void,
): Promise<Outcome> {
  return submitAction(client, 'POST /v1/ctios/agents/:id/logout', {params: {id: agent}}, flags, progress)
}
