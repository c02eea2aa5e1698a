// The one Finding: what a check found (DESIGN.md CheckResult), with the rule that says so, how
// bad it is and how to fix it. Checks that say more extend it (the node, the users concerned...).
export interface Finding {
  readonly rule: string
  readonly severity: 'error' | 'warning'
  readonly message: string
  readonly fix: string
}
