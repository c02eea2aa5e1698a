import {BaseCommand, envelope} from '../lib/cli/base-command.js'
import {readContexts, writeContexts} from '../lib/cli/contexts.js'
import {fileStore, keychainStore, loadKeytar} from '../lib/cli/credentials.js'
import {NotFoundError, UsageError} from '../lib/errors.js'
import * as Flags from '@oclif/core/flags'

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = "Remove a context's stored token (keychain and file)"
  static override flags = {yes: Flags.boolean({char: 'y', description: 'accepted for uniform runbooks; nothing asks'})}
  static override examples = ['<%= config.bin %> logout --context prod']

  async run() {
    const file = readContexts()
    const name = this.flags.context ?? process.env.UCCTL_CONTEXT ?? file.current
    if (!name) throw new UsageError('no context to log out of')
    if (!file.contexts[name]) throw new NotFoundError(`no context named "${name}"`)
    const removed: string[] = []
    if (await fileStore().delete(name)) removed.push('file')
    const k = await loadKeytar()
    if ('keytar' in k && (await keychainStore(k.keytar).delete(name))) removed.push('keychain')
    delete file.contexts[name].credential
    writeContexts(file)
    return this.output(envelope('Logout', {context: name, removedFrom: removed}), {
      columns: ['CONTEXT', 'REMOVED FROM'],
      rows: [[name, removed.join(', ') || 'nothing was stored']],
    })
  }
}
