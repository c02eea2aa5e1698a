import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, mutatingFlags} from '../../lib/cli/base-command.js'
import {setLoad} from '../../lib/cli/load.js'
import {productNode} from '../../lib/cli/product-nodes.js'

export default class LoadSet extends BaseCommand<typeof LoadSet> {
  static override summary = "Write /LOAD into a CTI OS node's peripheral field and restart the PG so that it applies (LOAD-1, LOAD-6)"
  static override description = `The other parameters of the field are kept. The PG reads the field when it starts, so the PG is restarted
(after confirmation; --yes in scripts) and the command waits until it is back online with the value in effect.
--no-restart writes the field only: it stays pending until the PG restarts. Values the rules forbid are refused (exit 5).`
  static override args = {value: Args.string({description: '/LOAD value', required: true, options: ['0', '1']})}
  static override flags = {
    node: Flags.string({char: 'n', description: 'CTI OS node (default: the only one of the context)'}),
    restart: Flags.boolean({description: 'restart the PG so that the value applies (LOAD-1)', default: true, allowNo: true}),
    ...mutatingFlags,
  }
  static override examples = [
    '<%= config.bin %> load set 0 --node ctios-a --yes',
    '<%= config.bin %> load set 0 --node ctios-a --dry-run',
    '<%= config.bin %> load set 0 --node ctios-a --no-restart',
  ]

  async run() {
    const {client} = await productNode(await this.target(), this.flags.node, 'ctios', '/LOAD')
    const r = await setLoad(client, Number(this.args.value) as 0 | 1, this.flags, {
      progress: (m) => this.progress(m),
      notice: (m) => this.notice(m),
    })
    return this.output(r.doc, r.view, r.exitCode)
  }
}
