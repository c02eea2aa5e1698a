// The two upgrade orders of the document, for the lab's four Unified CM / IM and Presence nodes,
// written out as tests expect them (not taken from the code's tables).
import type {PlanStep} from '../../src/lib/domain/upgrade.js'

/** UPG-5: standard upgrade (CUCM 8.6.x → 9.0(1), CUP 8.6(4) → IM&P 9.0(1)). */
export const STANDARD_STEPS: readonly PlanStep[] = [
  {number: 1, action: 'upgrade', nodes: ['cucm-pub']},
  {number: 2, action: 'upgrade', nodes: ['imp-pub', 'cucm-sub']},
  {number: 3, action: 'upgrade', nodes: ['imp-sub']},
  {number: 4, action: 'switch-version', nodes: ['cucm-pub']},
  {number: 5, action: 'switch-version', nodes: ['imp-pub', 'cucm-sub']},
  {number: 6, action: 'switch-version', nodes: ['imp-sub']},
]

/** UPG-6: refresh upgrade (CUCM 8.5 and earlier, CUP 8.6(3) and earlier). */
export const REFRESH_STEPS: readonly PlanStep[] = [
  {number: 1, action: 'upgrade', nodes: ['cucm-pub']},
  {number: 2, action: 'switch-version', nodes: ['cucm-pub']},
  {number: 3, action: 'upgrade', nodes: ['imp-pub', 'cucm-sub']},
  {number: 4, action: 'switch-version', nodes: ['imp-pub', 'cucm-sub']},
  {number: 5, action: 'upgrade', nodes: ['imp-sub']},
  {number: 6, action: 'switch-version', nodes: ['imp-sub']},
]
