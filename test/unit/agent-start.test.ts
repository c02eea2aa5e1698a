// What an agent's start rests on (issue 14): validators the build compiled, which must judge as
// Ajv does and never stand in for a schema they were not compiled from; the agent's own log; logs
// flushed once per turn of the event loop, each record in the file at once.
import assert from 'node:assert/strict'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {NODE_CONFIG_SCHEMA} from '../../src/lib/agent/config.js'
import {agentLog} from '../../src/lib/agent/log.js'
import {contractRoutes} from '../../src/lib/agent/route.js'
import {agentCompilers, AGENT_AJV, precompiledDocument, requestKey} from '../../src/lib/compiled-validators.js'
import {JsonLinesLog} from '../../src/lib/durable.js'
import {PACKAGE_ROOT} from '../../src/lib/paths.js'
import {tempDir} from '../helpers/agents.js'

type Build = (externalSchemas: unknown, options: unknown) => (route: object) => ((data: unknown) => boolean) & {errors?: unknown}
const buildValidator = agentCompilers.buildValidator as unknown as Build

describe('an agent starts on validators the build compiled (issue 14)', () => {
  const built = readFileSync(join(PACKAGE_ROOT, 'dist', 'validators.cjs'), 'utf8')

  it("every request part of the contract has the build's validator, which judges as fastify's Ajv", () => {
    const compile = buildValidator({}, AGENT_AJV)
    const events = contractRoutes()['GET /v1/events']
    const schema = events.schema.querystring
    assert.ok(built.includes(JSON.stringify(requestKey('querystring', schema))), 'GET /v1/events querystring is in dist/validators.cjs')
    const validate = compile({schema, method: 'GET', url: '/v1/events', httpPart: 'querystring'})
    // Coerced as fastify coerces a query string; an unknown key refused (AGENT_AJV).
    const query: Record<string, unknown> = {limit: '5'}
    assert.equal(validate(query), true)
    assert.equal(query.limit, 5)
    assert.equal(validate({limit: 'five'}), false)
    assert.match(JSON.stringify(validate.errors), /must be integer/)
  })

  it('a schema the build did not see is compiled at its first use, and judges the same', () => {
    const schema = {type: 'object', required: ['n'], properties: {n: {type: 'integer', minimum: 1}}, additionalProperties: false}
    assert.ok(!built.includes(JSON.stringify(requestKey('body', schema))))
    const validate = buildValidator({}, AGENT_AJV)({schema, method: 'POST', url: '/v1/x', httpPart: 'body'})
    assert.equal(validate({n: 2}), true)
    assert.equal(validate({n: 0}), false)
    assert.match(JSON.stringify(validate.errors), /must be >= 1/)
    assert.equal(validate({n: 1, extra: true}), false)
  })

  it("node.yaml's validator is the build's and reports what Ajv reports", async () => {
    assert.ok(built.includes(JSON.stringify(JSON.stringify(NODE_CONFIG_SCHEMA))))
    const fromBuild = precompiledDocument(NODE_CONFIG_SCHEMA)
    assert.ok(fromBuild, 'the build compiled it')
    const ajv = new Ajv({allErrors: true}).compile(NODE_CONFIG_SCHEMA)
    for (const doc of [
      {name: 'n1', product: 'cucm', role: 'publisher', version: '8.6', cluster: 'c', stateDir: '.', auth: {tokens: []}},
      {name: 'N1', product: 'pbx', role: 'publisher', version: '', cluster: 'c', stateDir: '.', auth: {tokens: []}, extra: 1},
      {},
    ]) {
      assert.equal(fromBuild(doc), ajv(doc))
      assert.deepEqual(fromBuild.errors ?? null, ajv.errors ?? null)
    }
  })
})

describe("the agent's log: JSON lines in pino's shape, without pino (issue 14)", () => {
  it('writes level, time, pid, fields, an error serialised, and the message; nothing under its level', () => {
    const lines: string[] = []
    const log = agentLog('info', (l) => lines.push(l), {node: 'n1'})
    log.debug('not shown')
    log.info('Server listening at http://127.0.0.1:1')
    log.child({module: 'm'}).error({err: new Error('boom'), service: 's'}, 'failed')
    assert.equal(lines.length, 2)
    const [a, b] = lines.map((l) => JSON.parse(l))
    assert.deepEqual({...a, time: 0}, {level: 30, time: 0, pid: process.pid, node: 'n1', msg: 'Server listening at http://127.0.0.1:1'})
    assert.equal(b.level, 50)
    assert.equal(b.module, 'm')
    assert.equal(b.service, 's')
    assert.equal(b.err.message, 'boom')
    assert.equal(b.msg, 'failed')
    assert.ok(lines.every((l) => l.endsWith('\n')))
  })
})

describe('JSON-lines logs flush once per turn of the event loop, yet hold each record at once (issue 14)', () => {
  it('records are readable as soon as appended (a SIGKILL loses none), before and after a flush, and after close', async () => {
    const dir = tempDir()
    const path = join(dir, 'events.jsonl')
    const log = new JsonLinesLog(path)
    for (let i = 1; i <= 3; i++) log.append({seq: i})
    assert.deepEqual(JsonLinesLog.read(path), [{seq: 1}, {seq: 2}, {seq: 3}])
    await Promise.resolve()
    log.append({seq: 4})
    log.close()
    assert.deepEqual(
      JsonLinesLog.read<{seq: number}>(path).map((r) => r.seq),
      [1, 2, 3, 4],
    )
    rmSync(dir, {recursive: true, force: true})
  })

  it('a record appended after close (an operation still running when its agent shut down) goes nowhere, not into the file that took over the descriptor', () => {
    const dir = tempDir()
    const log = new JsonLinesLog(join(dir, 'events.jsonl'))
    log.append({seq: 1})
    log.close()
    // The next file opened gets the descriptor the closed log had.
    const other = new JsonLinesLog(join(dir, 'audit.jsonl'))
    other.append({route: '/v1/x'})
    log.append({seq: 2})
    log.sync()
    other.close()
    assert.deepEqual(JsonLinesLog.read(join(dir, 'audit.jsonl')), [{route: '/v1/x'}])
    assert.deepEqual(JsonLinesLog.read(join(dir, 'events.jsonl')), [{seq: 1}])
    rmSync(dir, {recursive: true, force: true})
  })
})
