import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {checkNewContextName, contextNodes, parseAgentSpec, readCaFile, readContexts, writeContexts} from '../../lib/cli/contexts.js'
import {resolve} from 'node:path'
import {ciscoContextFlags} from '../../lib/drivers/cisco/context.js'
import {tokensCrossNetworkInClear} from '../../lib/domain/transport.js'

export default class ContextAdd extends BaseCommand<typeof ContextAdd> {
  static override summary = "Add a context: the agents of a deployment's nodes (their names are asked from each agent)"
  static override description = `An agent that does not answer now is stored with a warning when its node is named (NODE=URL).
An existing context name is refused unless --force; "lab" is always the embedded lab.`
  static override args = {name: Args.string({description: 'context name', required: true})}
  static override flags = {
    agent: Flags.string({
      description: 'agent URL, or NODE=URL (repeatable), e.g. cucm-pub=https://cucm-pub.example.net:8443',
      multiple: true,
      exactlyOne: ['agent', 'cisco'],
    }),
    ...ciscoContextFlags,
    ca: Flags.string({description: "CA certificate file (PEM) that signed the agents' certificates"}),
    force: Flags.boolean({description: 'replace an existing context of that name'}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }
  static override examples = [
    '<%= config.bin %> context add prod --agent http://10.0.0.11:8443 --agent http://10.0.0.12:8443',
    '<%= config.bin %> context add prod --agent cucm-pub=https://10.0.0.11:8443 --force',
  ]

  async run() {
    const file = readContexts()
    checkNewContextName(file, this.args.name, this.flags.force)
    if (this.flags.cisco) return this.addCisco(file, this.flags.cisco)
    const specs = (this.flags.agent ?? []).map(parseAgentSpec)
    const caPath = this.flags.ca ? resolve(this.flags.ca) : undefined
    const ca = caPath ? readCaFile(caPath) : undefined
    const nodes = await contextNodes(specs, ca, (m) => this.notice(m))
    file.contexts[this.args.name] = {nodes, ...(caPath ? {ca: caPath} : {})}
    file.current ??= this.args.name
    writeContexts(file)
    if (specs.some((s) => tokensCrossNetworkInClear(s.url)))
      this.notice('warning: plain http: tokens cross the network in clear text; use https agents for real servers')
    return this.output(envelope('Context', {name: this.args.name, current: file.current === this.args.name, nodes}), {
      columns: ['CONTEXT', 'NODE', 'URL'],
      rows: nodes.map((n) => [this.args.name, n.name, n.url]),
    })
  }

  /** A context of kind cisco (src/lib/drivers/cisco/context.ts). */
  private async addCisco(file: ReturnType<typeof readContexts>, publisher: string) {
    const {addCiscoContext} = await import('../../lib/drivers/cisco/context.js')
    const {entry, nodes} = await addCiscoContext(this.args.name, {...this.flags, cisco: publisher}, (m) => this.notice(m))
    file.contexts[this.args.name] = entry
    file.current ??= this.args.name
    writeContexts(file)
    return this.output(
      envelope('Context', {
        name: this.args.name,
        contextKind: 'cisco',
        current: file.current === this.args.name,
        readOnly: entry.cisco?.readOnly === true,
        nodes,
      }),
      {
        columns: ['CONTEXT', 'NODE', 'PRODUCT', 'ROLE', 'URL'],
        rows: nodes.map((n) => [this.args.name, n.name, n.product, n.role, n.url]),
      },
    )
  }
}
