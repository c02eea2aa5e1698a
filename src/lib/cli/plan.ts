// The one dry-run path's last step: an action's preview, as the agent answered it (every action
// route of the contract that has a dry run answers its preview), shown as an OperationPlan.
import type {Plan} from '../api/schemas.js'
import {type Envelope, envelope} from './base-command.js'
import type {View} from './render.js'

export interface Outcome {
  doc: Envelope
  view: View
  exitCode: number
}

/** An OperationPlan: what would change, the rules that allow it, the effects beyond it; exit 0. */
export function planOutcome(plan: Plan & {action: string; node?: string; group?: string} & Record<string, unknown>): Outcome {
  const warnings = (plan.effects ?? []).filter((e) => e.kind === 'warning').map((e) => `warning: ${e.message} (${e.rule})`)
  return {
    doc: envelope('OperationPlan', plan),
    view: {
      columns: ['WOULD CHANGE'],
      rows: (plan.changes.length > 0 ? plan.changes : ['nothing']).map((c) => [c]),
      notes: [...plan.rules.map((r) => `allowed by ${r}`), ...warnings],
    },
    exitCode: 0,
  }
}
