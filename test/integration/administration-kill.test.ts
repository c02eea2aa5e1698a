// SIGKILL of the Unified CM publisher's agent in the middle of a 45,000-line BAT import (the
// PRG-10 cluster maximum): after `lab up` the import is there entirely or not at all (ADM-2:
// one transaction), and the database opens and takes the import again.
import assert from 'node:assert/strict'
import {rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {eventually, tempDir} from '../helpers/agents.js'
import {runCli} from '../helpers/cli.js'

const LINES = 45_000

const walSize = (path: string) => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

describe('administration: a killed import', {concurrency: false}, () => {
  const home = tempDir()
  const env = {UCCTL_HOME: home}
  const cli = (...args: string[]) => runCli(args, env)
  after(async () => {
    await cli('lab', 'down')
    rmSync(home, {recursive: true, force: true})
  })

  it('ADM-2: SIGKILL of the publisher agent during a 45,000-line import leaves all of it or none of it', async () => {
    const topology = join(home, 'cucm.yaml')
    writeFileSync(
      topology,
      [
        'name: cucm-only',
        'timing: fast',
        'nodes:',
        '  - {name: cucm-pub, product: cucm, role: publisher, version: 8.6.2.10000-30, cluster: cucm1}',
        '',
      ].join('\n'),
    )
    const up = await cli('lab', 'up', '--topology', topology, '--json')
    assert.equal(up.code, 0, up.stderr)
    const pid = up.json.nodes[0].pid as number
    const lines = ['userid,firstname,lastname,mailid,device,extension']
    for (let i = 0; i < LINES; i++)
      lines.push(`bulk${String(i).padStart(5, '0')},First${i},Last${i},bulk${i}@example.com,CSFBULK${i},${100000 + i}`)
    const file = join(home, 'bulk.csv')
    writeFileSync(file, lines.join('\n') + '\n')

    const wal = join(home, 'state', 'lab', 'cucm-pub', 'configuration', 'configuration.db-wal')
    const before = walSize(wal)
    const importing = cli('user', 'import', file, '--json')
    // The transaction is being written once the write-ahead log grows: kill the agent then.
    await eventually(() => (walSize(wal) > before + 64 * 1024 ? true : undefined), 60_000, 'the import writing its transaction')
    process.kill(pid, 'SIGKILL')
    const cut = await importing
    assert.notEqual(cut.code, 0, 'the import was cut: its command cannot report success')

    const again = await cli('lab', 'up')
    assert.equal(again.code, 0, again.stderr)
    const list = await cli('user', 'list', '--limit', '1', '--json')
    assert.equal(list.code, 0, list.stderr)
    console.log(`after SIGKILL the database holds ${list.json.total} users (import exit ${cut.code})`)
    assert.ok(list.json.total === 0 || list.json.total === LINES, `all or nothing, found ${list.json.total}`)

    // The database is whole: the import (again, or refused line by line when it had committed).
    const redo = await cli('user', 'import', file, '--json')
    if (list.json.total === 0) assert.deepEqual([redo.code, redo.json.inserted], [0, LINES])
    else assert.deepEqual([redo.code, redo.json.rejected.length], [2, LINES])
    assert.equal((await cli('user', 'list', '--limit', '1', '--json')).json.total, LINES)
  })
})
