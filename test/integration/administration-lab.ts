// A Unified CM publisher holding the configuration database, its subscriber, and an IM and
// Presence group whose Sync Agents take their users from the publisher: real agents in this
// process, and the CLI as an operator runs it.
import assert from 'node:assert/strict'
import type {TestContext} from 'node:test'
import {rmSync} from 'node:fs'
import {standInServices} from '../../src/lib/agent/config.js'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {freePort} from '../../src/lib/lab/launcher.js'
import {startTestAgent, tempDir, type TestAgent} from '../helpers/agents.js'
import {type CliResult, runCli, schemaProblems, writeContext} from '../helpers/cli.js'

const NODES = [
  {name: 'cucm-pub', product: 'cucm', role: 'publisher', version: '8.6.2.10000-30'},
  {name: 'cucm-sub', product: 'cucm', role: 'subscriber', version: '8.6.2.10000-30'},
  {name: 'imp-pub', product: 'imp', role: 'publisher', version: '8.6.4.10000-10'},
  {name: 'imp-sub', product: 'imp', role: 'subscriber', version: '8.6.4.10000-10'},
] as const
export const SEEDED = 100

export class AdminLab {
  agents: Record<string, TestAgent> = {}
  ports: Record<string, number> = {}
  dirs: Record<string, string> = {}
  home = tempDir()

  url(n: string): string {
    return `http://127.0.0.1:${this.ports[n]}`
  }

  async start(): Promise<this> {
    for (const n of NODES) {
      this.ports[n.name] = await freePort()
      this.dirs[n.name] = tempDir()
    }
    await Promise.all(NODES.map((n) => this.boot(n.name)))
    writeContext(
      this.home,
      'admin',
      NODES.map((n) => ({name: n.name, url: this.url(n.name)})),
    )
    return this
  }

  async boot(name: string): Promise<TestAgent> {
    const n = NODES.find((x) => x.name === name)!
    const settings =
      n.product === 'cucm'
        ? {configuration: {users: SEEDED, groups: [{name: 'prg1', nodes: ['imp-pub', 'imp-sub']}], presenceLicences: 5000}}
        : {presence: {peer: name === 'imp-pub' ? 'imp-sub' : 'imp-pub', users: SEEDED}}
    const agent = await startTestAgent({
      ...n,
      cluster: 'cucm1',
      ...(n.product === 'imp' ? {group: 'prg1'} : {}),
      port: this.ports[name],
      stateDir: this.dirs[name],
      peers: NODES.filter((p) => p.name !== name).map((p) => ({name: p.name, url: this.url(p.name)})),
      settings,
      services: standInServices(n.product),
    })
    this.agents[name] = agent
    return agent
  }

  /** The publisher's database API (for setting up what a test does not exercise). */
  get config(): AgentClient {
    return new AgentClient({name: 'cucm-pub', url: this.url('cucm-pub')})
  }

  /** UC services of each directory kind (dir-uds, dir-enh, dir-basic), voicemail vm1 and IM and Presence imp1. */
  async addUcServices(): Promise<void> {
    for (const [name, type, directoryType, host] of [
      ['dir-uds', 'directory', 'uds', 'cucm-pub'],
      ['dir-enh', 'directory', 'enhanced', 'ldap.example.com'],
      ['dir-basic', 'directory', 'basic', 'ldap.example.com'],
      ['vm1', 'voicemail', undefined, 'cuc-pub'],
      ['imp1', 'im-and-presence', undefined, 'imp-pub'],
    ] as const)
      await this.config.call('POST /v1/config/uc-services', {body: {name, type, host, ...(directoryType ? {directoryType} : {})}})
  }

  /** The UC services and a default profile with them; with `users`, template staff and user nohome. */
  async configure(opts: {users: boolean} = {users: true}): Promise<void> {
    const c = this.config
    await this.addUcServices()
    await c.call('POST /v1/config/service-profiles', {
      body: {name: 'standard', services: ['dir-uds', 'dir-enh', 'dir-basic', 'vm1', 'imp1']},
    })
    await c.call('POST /v1/config/service-profiles/:name/default', {params: {name: 'standard'}})
    if (!opts.users) return
    await c.call('POST /v1/config/user-templates', {
      body: {name: 'staff', kind: 'user', homeCluster: true, imAndPresence: true, serviceProfile: 'standard'},
    })
    await c.call('POST /v1/config/users', {body: {id: 'nohome'}})
  }

  cli = (...args: string[]): Promise<CliResult> => runCli(args, {UCCTL_HOME: this.home})

  /** The users an IM and Presence node holds on `node` (from its own replica). */
  async presenceUsers(via: string, node: string): Promise<Array<{id: string; node: string; assignedNode: string}>> {
    const a = await new AgentClient({name: via, url: this.url(via)}).call('GET /v1/presence/groups/:group/users', {
      params: {group: 'prg1'},
      query: {node},
    })
    return a.users ?? []
  }

  /** Users signed in to / assigned to each node, as an IM and Presence node holds them. */
  async presenceCounts(via: string): Promise<Array<{name: string; users: number; assignedUsers: number}>> {
    return (await new AgentClient({name: via, url: this.url(via)}).call('GET /v1/presence/groups/:group/users', {params: {group: 'prg1'}}))
      .nodes
  }

  async dispose(): Promise<void> {
    await Promise.all(Object.values(this.agents).map((a) => a.dispose()))
    rmSync(this.home, {recursive: true, force: true})
  }
}

export const ok = (r: CliResult, kind?: string) => {
  assert.equal(r.code, 0, r.stderr + r.stdout)
  if (kind) {
    assert.equal(r.json.kind, kind)
    assert.deepEqual(schemaProblems(r.json), [])
  }
  return r.json
}

/**
 * A test's own lab (tests of a file run side by side, none sees another's changes): started, set
 * up (by default: configured, with users), disposed when the test ends.
 */
export async function adminLabFor(
  t: TestContext,
  setUp: ((lab: AdminLab) => Promise<void>) | null = (lab) => lab.configure(),
): Promise<AdminLab> {
  const lab = new AdminLab()
  t.after(() => lab.dispose())
  await lab.start()
  await setUp?.(lab)
  return lab
}
