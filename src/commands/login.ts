import * as Flags from '@oclif/core/flags'
import {BaseCommand, envelope} from '../lib/cli/base-command.js'
import {readContexts, writeContexts} from '../lib/cli/contexts.js'
import {storeSecret} from '../lib/cli/credentials.js'
import {AgentClient, type NodeRef} from '../lib/client/agent-client.js'
import {NotFoundError, UsageError} from '../lib/errors.js'

export default class Login extends BaseCommand<typeof Login> {
  static override summary = "Store a context's agent token in the OS keychain (or, without one, a 0600 file)"
  static override description =
    'Asks for the token with hidden input, or reads it from stdin with --token-stdin. The token is checked against an agent of the context before it is stored, and never printed. UCCTL_TOKEN overrides stored tokens.'
  static override flags = {
    'token-stdin': Flags.boolean({description: 'read the token from standard input (for scripts)'}),
    yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'}),
  }
  static override examples = [
    '<%= config.bin %> login --context prod',
    'pass show ucctl/prod | <%= config.bin %> login --context prod --token-stdin',
  ]

  async run() {
    const file = readContexts()
    const name = this.flags.context ?? process.env.UCCTL_CONTEXT ?? file.current
    if (!name)
      throw new UsageError('no context to log in to', {hint: 'add one first: ucctl context add NAME --agent URL (the lab needs no login)'})
    const ctx = file.contexts[name]
    if (!ctx) throw new NotFoundError(`no context named "${name}"`)
    const token = await this.readToken(name)
    const {readFileSync} = await import('node:fs')
    const ca = ctx.ca ? readFileSync(ctx.ca, 'utf8') : undefined
    // Checked before stored: a wrong token is exit 4 and nothing changes.
    await new AgentClient(ctx.nodes[0] as NodeRef, {token, ca}).call('GET /v1/node')
    const kind = await storeSecret(name, token, (m) => this.notice(m))
    ctx.credential = kind
    writeContexts(file)
    return this.output(envelope('Login', {context: name, store: kind}), {columns: ['CONTEXT', 'STORED IN'], rows: [[name, kind]]})
  }

  private async readToken(context: string): Promise<string> {
    let token: string
    if (this.flags['token-stdin']) {
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      token = Buffer.concat(chunks).toString('utf8').trim()
    } else {
      if (!process.stdin.isTTY) throw new UsageError('no terminal to ask for the token', {hint: 'pipe it in with --token-stdin'})
      const {password} = await import('@inquirer/prompts')
      token = (await password({message: `Token for context ${context}:`, mask: true}, {output: process.stderr})).trim()
    }
    if (!/^\S{16,512}$/.test(token)) throw new UsageError('that does not look like a token (16 to 512 characters, no spaces)')
    return token
  }
}
