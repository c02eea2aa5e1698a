// Issue 15: one typed contract for every agent route. The OpenAPI document generated from
// src/lib/api is valid OpenAPI 3.1 (checked by a real validator) and lists exactly the routes
// the agents serve: fastify's route table of an agent of every product, compared with it.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {Validator} from '@seriousme/openapi-schema-validator'
import {AgentClient} from '../../src/lib/client/agent-client.js'
import {PACKAGE_ROOT} from '../../src/lib/paths.js'
import {startTestAgent, TEST_OPERATOR_TOKEN, type TestAgent} from '../helpers/agents.js'

const document = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'dist', 'openapi.json'), 'utf8')) as {
  openapi: string
  paths: Record<string, Record<string, {operationId: string}>>
}
const documented = new Set(
  Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`),
  ),
)

/** One agent of every product and role, with the default lab's settings (smaller). */
async function everyProduct(): Promise<TestAgent[]> {
  return Promise.all([
    startTestAgent({
      name: 'cucm-pub',
      product: 'cucm',
      settings: {configuration: {users: 10, groups: [{name: 'prg1', nodes: ['imp-pub', 'imp-sub']}], presenceLicences: 100}},
    }),
    startTestAgent({name: 'cucm-sub', product: 'cucm', role: 'subscriber', peers: [{name: 'cucm-pub', url: 'http://127.0.0.1:9'}]}),
    startTestAgent({
      name: 'imp-pub',
      product: 'imp',
      group: 'prg1',
      peers: [{name: 'imp-sub', url: 'http://127.0.0.1:9'}],
      settings: {presence: {peer: 'imp-sub', haEnabled: true, users: 10, capacity: 100, cpuPercent: 20}},
    }),
    startTestAgent({
      name: 'cuc-pub',
      product: 'cuc',
      peers: [{name: 'cuc-sub', url: 'http://127.0.0.1:9'}],
      settings: {
        connection: {mac: '00:50:56:9a:3c:01', licenseMac: '00:50:56:9a:3c:01', integration: 'sccp', ports: 16, phoneSystemPorts: 32},
      },
    }),
    startTestAgent({name: 'ctios-a', product: 'ctios'}),
  ])
}

describe('the API contract (issue 15)', () => {
  let agents: TestAgent[]
  before(async () => {
    agents = await everyProduct()
  })
  after(() => Promise.all(agents.map((a) => a.dispose())))

  it('dist/openapi.json is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const r = await validator.validate(document as unknown as Parameters<Validator['validate']>[0])
    assert.equal(document.openapi, '3.1.0')
    assert.ok(r.valid, JSON.stringify(r.errors, null, 2))
    const ids = Object.values(document.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId))
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  })

  it('every route an agent serves is in the document, and every documented route is served by some agent', () => {
    const served = new Set<string>()
    for (const a of agents) {
      for (const r of a.routes) {
        const key = `${r.method} ${r.url}`
        assert.ok(documented.has(key), `${a.config.name} serves ${key}, which the contract does not declare`)
        served.add(key)
      }
    }
    assert.deepEqual(
      [...documented].filter((k) => !served.has(k)),
      [],
      'declared routes no agent serves',
    )
  })

  it('GET /v1/openapi.json serves the document', async () => {
    const client = new AgentClient({name: agents[4].config.name, url: agents[4].url}, {token: TEST_OPERATOR_TOKEN})
    assert.deepEqual(await client.call('GET /v1/openapi.json'), document)
  })

  it('no module of the CLI, the agent or the lab loads TypeBox or the declarations at run time', () => {
    const root = join(PACKAGE_ROOT, 'dist', 'src')
    const files = (dir: string): string[] =>
      readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
      )
    const offenders = files(root)
      .filter((f) => !relative(root, f).startsWith(join('lib', 'api')) || relative(root, f) === join('lib', 'api', 'contract.js'))
      .filter((f) => /from ['"](typebox[^'"]*|[^'"]*\/api\/(index|schemas|openapi|routes\/[^'"]+)\.js)['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f))
    assert.deepEqual(offenders, [])
  })
})
