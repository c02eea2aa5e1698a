import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {labStatusNodes, observeLab} from '../../lib/lab/launcher.js'

export default class LabStatus extends BaseCommand<typeof LabStatus> {
  static override summary = "The lab's agent processes: URL, pid, running or stopped (exit 3 when the lab is not up)"
  static override examples = ['<%= config.bin %> lab status']

  async run() {
    const lab = observeLab()
    const nodes = labStatusNodes(lab)
    const up = nodes.length > 0 && nodes.every((n) => n.state === 'running')
    return this.output(
      envelope('LabStatus', {name: lab?.name ?? null, timing: lab?.timing ?? null, topology: lab?.topology ?? null, nodes}),
      {
        title:
          lab && nodes.some((n) => n.state === 'running') ? `lab ${lab.name} (timing ${lab.timing})` : 'the lab is not up (ucctl lab up)',
        columns: ['NODE', 'PRODUCT', 'ROLE', 'URL', 'PID', 'STATE'],
        stateColumn: 5,
        rows: nodes.map((n) => [n.name, n.product, n.role, n.url, n.pid ?? '', n.state]),
      },
      up ? 0 : 3,
    )
  }
}
