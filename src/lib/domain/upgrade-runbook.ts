// A proposed runbook (an upgrade's steps, from a file or another tool) against the documented
// order (UPG-5/UPG-6, UPG-7). Pure, like ./upgrade.ts whose plan it compares with.
import {UsageError} from '../errors.js'
import {
  type Cluster,
  type PlanStep,
  planUpgrade,
  type UpgradeAction,
  type UpgradeCheckResult,
  type UpgradeFinding,
  type UpgradeTarget,
} from './upgrade.js'
import type {VersionLike} from './version.js'

const key = (action: UpgradeAction, node: string) => `${action} ${node}`

interface Item {
  readonly node: string
  readonly action: UpgradeAction
  readonly step: number
}

function assertProposedSteps(steps: readonly PlanStep[]): void {
  if (!Array.isArray(steps)) throw new UsageError('the runbook steps must be a list')
  steps.forEach((s, i) => {
    if (!Number.isInteger(s?.number) || s.number < 1) {
      throw new UsageError(`runbook step ${i + 1}: number ${JSON.stringify(s?.number)} is not a positive integer`)
    }
    if (s.action !== 'upgrade' && s.action !== 'switch-version') {
      throw new UsageError(`runbook step ${s.number}: action ${JSON.stringify(s.action)} is not upgrade or switch-version`)
    }
    if (!Array.isArray(s.nodes) || (s.nodes as readonly unknown[]).some((n) => typeof n !== 'string')) {
      throw new UsageError(`runbook step ${s.number}: nodes must be a list of node names`)
    }
  })
}

function describe(items: readonly Item[], expected: ReadonlyMap<string, number>): string {
  return items
    .map((a) => `${a.action} ${a.node} (runbook step ${a.step}, documents' step ${expected.get(key(a.action, a.node))})`)
    .join(', ')
}

/**
 * Checks a runbook's steps against the documented order. Same number = run in parallel
 * (UPG-7). Decision: an unknown node is a finding (rule UPG-5/UPG-6), not a UsageError,
 * so that one run reports every problem of the runbook; only a malformed runbook (bad
 * number, action or node list) throws UsageError. Running sequentially what the documents
 * allow in parallel is fine (UPG-7 says "may").
 */
export function validatePlan(
  cluster: Cluster,
  target: UpgradeTarget | VersionLike,
  proposedSteps: readonly PlanStep[],
): UpgradeCheckResult {
  assertProposedSteps(proposedSteps)
  const plan = planUpgrade(cluster, target)
  const rule = plan.rule
  const expected = new Map<string, number>()
  for (const s of plan.steps) for (const n of s.nodes) expected.set(key(s.action, n), s.number)

  const findings: UpgradeFinding[] = []
  const items: Item[] = []
  const seen = new Map<string, number>()
  const known = new Set(cluster.nodes.map((n) => n.name))
  for (const s of proposedSteps) {
    for (const node of s.nodes) {
      if (!known.has(node)) {
        findings.push({
          rule,
          severity: 'error',
          step: s.number,
          node,
          message: `step ${s.number}: unknown node "${node}" (the cluster has ${[...known].join(', ')})`,
          fix: `remove "${node}" or correct its name`,
        })
        continue
      }
      const k = key(s.action, node)
      const first = seen.get(k)
      if (first !== undefined) {
        findings.push({
          rule,
          severity: 'error',
          step: s.number,
          node,
          message: `step ${s.number}: ${k} is listed again (already in step ${first})`,
          fix: `keep ${k} once, in documents' step ${expected.get(k)}`,
        })
        continue
      }
      seen.set(k, s.number)
      items.push({node, action: s.action, step: s.number})
    }
  }

  for (const s of plan.steps) {
    for (const node of s.nodes) {
      if (!seen.has(key(s.action, node))) {
        findings.push({
          rule,
          severity: 'error',
          step: s.number,
          node,
          message: `missing: ${key(s.action, node)} (${rule} step ${s.number}, ${plan.type} upgrade)`,
          fix: `add ${key(s.action, node)} as its own step after every action of documents' step ${s.number - 1}`,
        })
      }
    }
  }

  const expectedOf = (x: Item) => expected.get(key(x.action, x.node))!
  const parallelConflicts = new Map<Item, Item[]>()
  for (const b of items) {
    const eb = expectedOf(b)
    const mustPrecede = items.filter((a) => expectedOf(a) < eb)
    const after = mustPrecede.filter((a) => a.step > b.step)
    if (after.length > 0) {
      findings.push({
        rule,
        severity: 'error',
        step: b.step,
        node: b.node,
        message:
          `out of order: ${b.action} ${b.node} (runbook step ${b.step}, documents' step ${eb}) runs before ` +
          `${describe(after, expected)}, which the ${plan.type} upgrade (${rule}) puts first`,
        fix: `move ${b.action} ${b.node} after runbook step ${Math.max(...after.map((a) => a.step))}`,
      })
    }
    for (const a of mustPrecede.filter((x) => x.step === b.step)) {
      // Blame the one the runbook numbered unlike the documents: the other one is where it belongs.
      const [wrong, other] = b.step === eb && a.step !== expectedOf(a) ? [a, b] : [b, a]
      parallelConflicts.set(wrong, [...(parallelConflicts.get(wrong) ?? []), other])
    }
  }
  for (const [wrong, others] of parallelConflicts) {
    findings.push({
      rule: 'UPG-7',
      severity: 'error',
      step: wrong.step,
      node: wrong.node,
      message:
        `wrong step: ${wrong.action} ${wrong.node} (documents' step ${expectedOf(wrong)}) runs in parallel with ` +
        `${describe(others, expected)}; the ${plan.type} upgrade (${rule}) lets a step start only when the previous one has finished`,
      fix: `give ${wrong.action} ${wrong.node} its own step, in the order of documents' step ${expectedOf(wrong)}`,
    })
  }

  findings.sort((x, y) => (x.step ?? 0) - (y.step ?? 0))
  return {ok: findings.every((f) => f.severity !== 'error'), findings}
}
