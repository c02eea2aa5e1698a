// The one rendering of a check (DESIGN.md CheckResult): findings with rule, severity, message
// and fix; exit 3 when any finding is an error.
import {type Envelope, envelope} from './base-command.js'
import type {Finding} from '../domain/finding.js'
import type {View} from './render.js'

export type {Finding} from '../domain/finding.js'

export function checkOutcome<F extends Finding>(
  result: {ok: boolean; findings: readonly F[]},
  extra: Record<string, unknown> = {},
): {doc: Envelope; view: View; exitCode: number} {
  const ok = result.ok && !result.findings.some((f) => f.severity === 'error')
  return {
    doc: envelope('CheckResult', {...extra, ok, findings: result.findings}),
    view: {
      columns: ['SEVERITY', 'RULE', 'MESSAGE', 'FIX'],
      rows: result.findings.map((f) => [f.severity, f.rule, f.message, f.fix]),
      stateColumn: 0,
      notes: [ok ? (result.findings.length ? 'passed, with warnings' : 'passed: no findings') : 'failed'],
    },
    exitCode: ok ? 0 : 3,
  }
}
