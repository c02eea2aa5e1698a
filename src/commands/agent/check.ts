import {envelope, LocalCommand, nodeConfigFlag} from '../../lib/cli/base-command.js'

export default class AgentCheck extends LocalCommand<typeof AgentCheck> {
  static override summary = 'Check a node.yaml: each problem with its key, line, allowed values (exit 3 on an error)'
  static override flags = {config: nodeConfigFlag}
  static override examples = ['<%= config.bin %> agent check --config /etc/ucctl/node.yaml']

  async run() {
    const {checkNodeConfig} = await import('../../lib/host/node-setup.js')
    const findings = await checkNodeConfig(this.flags.config)
    const ok = !findings.some((f) => f.severity === 'error')
    return this.output(
      envelope('NodeConfigCheck', {config: this.flags.config, ok, findings}),
      {
        columns: ['SEVERITY', 'LINE', 'KEY', 'MESSAGE', 'FIX'],
        rows: findings.map((f) => [f.severity, f.line, f.key, f.message, f.fix]),
        stateColumn: 0,
        notes: [ok ? (findings.length ? 'passed, with warnings' : 'passed: no findings') : 'failed'],
      },
      ok ? 0 : 3,
    )
  }
}
