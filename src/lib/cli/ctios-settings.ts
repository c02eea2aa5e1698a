// `ucctl ctios settings` and `ucctl ctios agent logout` (LOAD-5 run time): the CTI OS server's
// desktop connection profile (RejectIfAlreadyLoggedIn) and the supervisor's logout of an agent.
import type {AgentClient} from '../client/agent-client.js'
import {type Envelope, envelope} from './base-command.js'
import {submitAction} from './operation.js'
import type {View} from './render.js'

type Outcome = {doc: Envelope; view: View; exitCode: number}

/** GET|PUT /v1/ctios/settings of a CTI OS agent. */
export interface CtiosSettings {
  node: string
  desktopConnectionProfile: {rejectIfAlreadyLoggedIn: 0 | 1}
}

/** What RejectIfAlreadyLoggedIn does, in the documents' words (LOAD-5) and ucctl's choice for 0. */
export const REJECT_MEANING: Record<0 | 1, string> = {
  1: 'a login with an agent ID already logged in is refused; after a desktop crash a supervisor logs the agent out (ucctl ctios agent logout AGENT), then the agent logs in by hand (LOAD-5)',
  0: 'a desktop that comes back while its agent is still logged in is re-logged in automatically (state after failover: LOAD-2 / CTI-7); one desktop per agent ID at a time',
}

function settingsOutcome(s: CtiosSettings): Outcome {
  const v = s.desktopConnectionProfile.rejectIfAlreadyLoggedIn
  return {
    doc: envelope('CtiosSettings', {...s}),
    view: {columns: ['NODE', 'SETTING', 'VALUE', 'EFFECT'], rows: [[s.node, 'RejectIfAlreadyLoggedIn', v, REJECT_MEANING[v]]]},
    exitCode: 0,
  }
}

/** `ctios settings [--reject-if-already-logged-in 0|1]`: shows the profile, or sets the value first. */
export async function ctiosSettings(client: AgentClient, set: {rejectIfAlreadyLoggedIn?: 0 | 1; dryRun: boolean}): Promise<Outcome> {
  const now = await client.get<CtiosSettings>('/v1/ctios/settings')
  const to = set.rejectIfAlreadyLoggedIn
  if (to === undefined || to === now.desktopConnectionProfile.rejectIfAlreadyLoggedIn) return settingsOutcome(now)
  if (set.dryRun) {
    const changes = [`RejectIfAlreadyLoggedIn: ${now.desktopConnectionProfile.rejectIfAlreadyLoggedIn} → ${to}: ${REJECT_MEANING[to]}`]
    return {
      doc: envelope('OperationPlan', {node: now.node, action: 'ctios settings', changes, rules: ['LOAD-5']}),
      view: {columns: ['WOULD CHANGE', 'RULES'], rows: [[changes[0], 'LOAD-5']]},
      exitCode: 0,
    }
  }
  return settingsOutcome(await client.put<CtiosSettings>('/v1/ctios/settings', {rejectIfAlreadyLoggedIn: to}))
}

/** `ctios agent logout AGENT`: the supervisor's logout (LOAD-5); the agent then logs in by hand. */
export function logoutAgent(
  client: AgentClient,
  agent: string,
  flags: {wait: boolean; timeout: number},
  progress: (m: string) => void,
): Promise<Outcome> {
  return submitAction(client, `/v1/ctios/agents/${encodeURIComponent(agent)}/logout`, undefined, flags, progress)
}
