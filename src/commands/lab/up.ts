import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {labCaPath, labDir, labStatusNodes, labUp} from '../../lib/lab/launcher.js'
import {TIMING_PROFILES} from '../../lib/domain/timing.js'

export default class LabUp extends BaseCommand<typeof LabUp> {
  static override summary = 'Start the embedded lab: one agent process per node on 127.0.0.1 (idempotent)'
  static override description =
    'Starts every node of the topology that is not running. The default topology ships in the package: Unified CM, IM and Presence (group prg1), Unity Connection publisher and subscriber, and one CTI OS node.'
  static override flags = {
    topology: Flags.string({description: 'topology file (YAML); default: the one shipped in the package'}),
    timing: Flags.string({description: 'timing profile of the agents', options: [...TIMING_PROFILES]}),
    tls: Flags.boolean({description: "agents serve HTTPS with certificates of the lab's own CA (needs openssl)", allowNo: true}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }
  static override examples = ['<%= config.bin %> lab up', '<%= config.bin %> lab up --timing documented']

  async run() {
    const lab = await labUp({
      topology: this.flags.topology,
      timing: this.flags.timing as 'fast' | 'documented' | undefined,
      tls: this.flags.tls,
      onProgress: (m) => this.progress(m),
    })
    if (lab.tls) this.notice(`lab CA (for ucctl context add ... --ca): ${labCaPath()}; tokens: ${labDir()}/credentials.json (0600)`)
    const nodes = labStatusNodes(lab)
    return this.output(envelope('LabStatus', {name: lab.name, timing: lab.timing, tls: lab.tls ?? false, topology: lab.topology, nodes}), {
      title: `lab ${lab.name} (timing ${lab.timing})`,
      columns: ['NODE', 'PRODUCT', 'ROLE', 'URL', 'PID', 'STATE'],
      stateColumn: 5,
      rows: nodes.map((n) => [n.name, n.product, n.role, n.url, n.pid ?? '', n.state]),
    })
  }
}
