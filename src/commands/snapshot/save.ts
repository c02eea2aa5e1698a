import * as Args from '@oclif/core/args'
import {BaseCommand} from '../../lib/cli/base-command.js'
import {saveSnapshot} from '../../lib/cli/snapshot.js'

export default class SnapshotSave extends BaseCommand<typeof SnapshotSave> {
  static override summary =
    'Save the state of every node of the context (statuses, groups, versions, partitions, services, users) to a file'
  static override description =
    'The file is a versioned JSON document (kind Snapshot, schemas/Snapshot.json) that `ucctl runbook check ' +
    '--snapshot FILE` simulates from. Every node must answer: a snapshot of part of the context would be a guess.'
  static override args = {file: Args.string({description: 'file to write (JSON)', required: true})}
  static override examples = ['<%= config.bin %> snapshot save before-window.json']

  async run() {
    const r = await saveSnapshot(await this.target(), this.args.file, Date.now())
    return this.output(r.doc, r.view)
  }
}
