// An embedded lab of its own (UCCTL_HOME in a temporary directory) for runbook tests, started
// with its Unity Connection servers past Starting (UC-2), so that a check and a run start alike.
import assert from 'node:assert/strict'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'yaml'
import type {Timing} from '../../src/lib/domain/timing.js'
import {DEFAULT_TOPOLOGY} from '../../src/lib/lab/topology.js'
import {eventually, tempDir} from './agents.js'
import {type CliResult, runCli} from './cli.js'

export interface RunbookLab {
  home: string
  ucctl: (...args: string[]) => Promise<CliResult>
  down: () => Promise<void>
}

/** The default lab; with `timing`, its topology with these settings for every node. */
export async function startRunbookLab(prefix: string, timing?: Partial<Timing>): Promise<RunbookLab> {
  const home = tempDir(prefix)
  const ucctl = (...args: string[]) => runCli(args, {UCCTL_HOME: home})
  let topology: string[] = []
  if (timing) {
    const file = join(home, 'topology.yaml')
    const lab = parse(readFileSync(DEFAULT_TOPOLOGY, 'utf8'))
    writeFileSync(file, JSON.stringify({...lab, timing: {profile: lab.timing, overrides: timing}}))
    topology = ['--topology', file]
  }
  const up = await ucctl('lab', 'up', ...topology)
  assert.equal(up.code, 0, up.stderr)
  await eventually(
    async () => {
      const c = await ucctl('cluster', 'status', '--json')
      return c.code === 0 && c.json.servers.every((x: any) => x.status === 'Primary' || x.status === 'Secondary') ? true : undefined
    },
    60_000,
    'settled Unity Connection statuses',
  )
  return {
    home,
    ucctl,
    down: async () => {
      await ucctl('lab', 'down')
      rmSync(home, {recursive: true, force: true})
    },
  }
}
