import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../../lib/cli/base-command.js'
import {readContexts, writeContexts} from '../../lib/cli/contexts.js'
import {AgentClient, fanOut} from '../../lib/client/agent-client.js'
import {readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {UsageError} from '../../lib/errors.js'
import {tokensCrossNetworkInClear} from '../../lib/domain/transport.js'

export default class ContextAdd extends BaseCommand<typeof ContextAdd> {
  static override summary = "Add a context: the agents of a deployment's nodes (their names are asked from each agent)"
  static override args = {name: Args.string({description: 'context name', required: true})}
  static override flags = {
    agent: Flags.string({description: 'agent URL (repeatable), e.g. https://cucm-pub.example.net:8443', required: true, multiple: true}),
    ca: Flags.string({description: "CA certificate file (PEM) that signed the agents' certificates"}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }
  static override examples = ['<%= config.bin %> context add prod --agent http://10.0.0.11:8443 --agent http://10.0.0.12:8443']

  async run() {
    const file = readContexts()
    if (!/^[\w.-]{1,64}$/.test(this.args.name)) throw new UsageError(`context name "${this.args.name}" may hold only letters, digits, ".", "_" and "-"`)
    const urls = this.flags.agent.map((u) => {
      try {
        const url = new URL(u)
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme')
        return url.origin
      } catch {
        throw new UsageError(`--agent "${u}" is not an http(s) URL`)
      }
    })
    let ca: string | undefined
    const caPath = this.flags.ca ? resolve(this.flags.ca) : undefined
    if (caPath) {
      try {
        ca = readFileSync(caPath, 'utf8')
      } catch (error) {
        throw new UsageError(`cannot read --ca ${caPath}: ${(error as NodeJS.ErrnoException).code ?? error}`)
      }
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${caPath} is not a PEM certificate`)
    }
    // /v1/health needs no token: it names the node behind each URL (and proves TLS works).
    const answers = await fanOut(urls.map((url) => ({name: url, url})), (n) => new AgentClient(n, {timeoutMs: 5000, ca}).get<{node: string}>('/v1/health'))
    const nodes = answers.map((a) => {
      if (!a.ok) throw a.error
      return {name: a.value.node, url: a.node.url}
    })
    file.contexts[this.args.name] = {nodes, ...(caPath ? {ca: caPath} : {})}
    file.current ??= this.args.name
    writeContexts(file)
    if (urls.some(tokensCrossNetworkInClear)) this.notice('warning: plain http: tokens cross the network in clear text; use https agents for real servers')
    return this.output(envelope('Context', {name: this.args.name, current: file.current === this.args.name, nodes}), {
      columns: ['CONTEXT', 'NODE', 'URL'],
      rows: nodes.map((n) => [this.args.name, n.name, n.url]),
    })
  }
}
