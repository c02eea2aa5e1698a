// Effects before they happen (issue 10): the agent says what an action would do beyond its
// node (PRG-2/3, UC-10/12, CTI-1/3, with CTI-6); the CLI asks for confirmation stating it, or
// shows it with --dry-run. The rules are ../domain/effects.ts, applied by the agent.
import {type ActionEffect, effectLine} from '../domain/effects.js'
import {UsageError} from '../errors.js'
import {confirmOrRefuse} from './confirm.js'

export {effectLine}

/**
 * Confirms an action that has effects: the question states them with their numbers; without a
 * terminal and without --yes it refuses (exit 2). Warnings go to stderr in every case.
 */
export async function confirmEffects(
  question: string,
  effects: ActionEffect[],
  yes: boolean,
  notice: (m: string) => void,
  always = false,
): Promise<void> {
  const changes = effects.filter((e) => e.kind === 'change')
  for (const w of effects.filter((e) => e.kind === 'warning')) notice(effectLine(w))
  if (changes.length === 0 && !always) return
  const text = [question, ...changes.map((e) => `${e.message} (${e.rule}).`)].join(' ')
  if (!(await confirmOrRefuse(text, yes))) throw new UsageError('not confirmed; nothing was changed')
}
