// The agent's HTTP API over real loopback HTTP: contract, validation, operations, SSE.
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {after, before, describe, it} from 'node:test'
import fc from 'fast-check'
import {testSeed} from '../helpers/seed.js'
import {eventually, IGNORES_SIGTERM, startTestAgent, TEST_OPERATOR_TOKEN, type TestAgent} from '../helpers/agents.js'

interface Res {
  status: number
  body: any
  text: string
}

function http(agent: TestAgent, method: string, path: string, body?: string, extra: Record<string, string> = {}): Promise<Res> {
  const headers = {
    authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
    ...(body === undefined ? {} : {'content-type': 'application/json'}),
    ...extra,
  }
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, agent.url), {method, headers}, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => {
        let parsed: any
        try {
          parsed = JSON.parse(text)
        } catch {}
        resolve({status: res.statusCode!, body: parsed, text})
      })
    })
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${method} ${path} within 5 s`)))
    req.on('error', reject)
    req.end(body)
  })
}

const isClientError = (r: Res) =>
  r.status >= 400 && r.status < 500 && typeof r.body?.error?.code === 'string' && typeof r.body.error.message === 'string'

describe('agent API (DESIGN.md "Agent API")', () => {
  let agent: TestAgent
  before(async () => {
    agent = await startTestAgent({extraServices: [IGNORES_SIGTERM], timing: {stopGraceMs: 1500}})
  })
  after(() => agent.dispose())

  it('GET /v1/health and /v1/node describe the node', async () => {
    assert.deepEqual((await http(agent, 'GET', '/v1/health')).body.status, 'ok')
    const node = (await http(agent, 'GET', '/v1/node')).body
    for (const k of ['name', 'product', 'role', 'version', 'cluster', 'peers']) assert.ok(k in node, k)
    assert.equal(node.product, 'ctios')
    assert.equal(node.services.total, 5)
  })

  it('POST start|stop|cycle answers 202 with an operation that reaches succeeded; 200 when already done', async () => {
    await eventually(() => (agent.nodeManager.isRunning('NM') ? true : undefined))
    const already = await http(agent, 'POST', '/v1/services/NM/start')
    assert.equal(already.status, 200)
    assert.equal(already.body.state, 'succeeded')
    const cycle = await http(agent, 'POST', '/v1/services/NM/cycle')
    assert.equal(cycle.status, 202)
    assert.equal(cycle.body.state, 'running')
    const done = await http(agent, 'GET', `/v1/operations/${cycle.body.id}?wait=5000&seen=0`)
    assert.equal(done.status, 200)
    const final = await eventually(async () => {
      const r = await http(agent, 'GET', `/v1/operations/${cycle.body.id}?wait=1000&seen=100`)
      return r.body.state === 'running' ? undefined : r.body
    })
    assert.equal(final.state, 'succeeded')
    assert.equal(final.result.service.state, 'Running')
    assert.ok(final.transitions.length >= 2, 'each transition is recorded')
  })

  it('PUT startup changes the startup type (SVC-3) and validates it', async () => {
    const ok = await http(agent, 'PUT', '/v1/services/NMM/startup', JSON.stringify({startup: 'Manual'}))
    assert.equal(ok.status, 200)
    assert.equal(ok.body.service.startup, 'Manual')
    await http(agent, 'PUT', '/v1/services/NMM/startup', JSON.stringify({startup: 'Automatic'}))
    const bad = await http(agent, 'PUT', '/v1/services/NMM/startup', JSON.stringify({startup: 'Sometimes'}))
    assert.equal(bad.status, 400)
    assert.ok(isClientError(bad))
  })

  it('a second operation on a busy service gets 409 Busy (exit 6 in the CLI)', async () => {
    await agent.nodeManager.start('Stubborn')
    const first = await http(agent, 'POST', '/v1/services/Stubborn/stop')
    assert.equal(first.status, 202)
    const second = await http(agent, 'POST', '/v1/services/Stubborn/start')
    assert.equal(second.status, 409)
    assert.equal(second.body.error.code, 'Busy')
    await eventually(() => (agent.nodeManager.isStopped('Stubborn') ? true : undefined), 5000)
  })

  const garbage: Array<[string, string, string | undefined, number, Record<string, string>?]> = [
    ['unknown service', '/v1/services/NoSuch/start', undefined, 404],
    ['unknown action', '/v1/services/NM/explode', undefined, 400],
    ['unknown route', '/v1/nothing', undefined, 404],
    ['unknown operation', '/v1/operations/00000000-0000-0000-0000-000000000000', undefined, 404],
    ['malformed JSON', '/v1/services/NM/startup', '{"startup":', 400],
    ['body of the wrong type', '/v1/services/NM/startup', '[1,2,3]', 400],
    ['unknown body field', '/v1/services/NM/startup', '{"startup":"Manual","extra":1}', 400],
    ['missing body', '/v1/services/NM/startup', '', 400],
    ['wrong content type', '/v1/services/NM/startup', 'startup=Manual', 415, {'content-type': 'application/x-www-form-urlencoded'}],
    ['bad query value', '/v1/operations/x?wait=forever', undefined, 400],
    ['unknown query parameter', '/v1/events?color=blue', undefined, 400],
    ['bad since', '/v1/events?since=yesterday', undefined, 400],
  ]
  for (const [what, path, body, status, headers] of garbage) {
    it(`a client's mistake is a 4xx with a JSON error, never a 5xx: ${what}`, async () => {
      const method = path.endsWith('/startup') ? 'PUT' : path.includes('/services/') ? 'POST' : 'GET'
      const r = await http(agent, method, path, body, headers)
      assert.equal(r.status, status, r.text)
      assert.ok(isClientError(r), r.text)
    })
  }

  it('random bodies and paths never get a 5xx and never hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/services/NM/startup', '/v1/services/%00/startup', '/v1/services/' + 'x'.repeat(300) + '/startup'),
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (path, body) => {
          const r = await http(agent, 'PUT', path, body)
          assert.ok(r.status < 500, `${r.status} for ${JSON.stringify(body)}: ${r.text}`)
          if (r.status >= 400) assert.ok(isClientError(r), r.text)
        },
      ),
      {numRuns: 150, seed: testSeed('agent API random bodies')},
    )
    await http(agent, 'PUT', '/v1/services/NM/startup', JSON.stringify({startup: 'Automatic'}))
  })

  it('GET /v1/events returns the history; ?follow=1 streams new events as Server-Sent Events', async () => {
    const history = (await http(agent, 'GET', '/v1/events?limit=5')).body
    assert.equal(history.events.length, 5)
    const received: any[] = []
    let subscribed = false
    const req = request(new URL('/v1/events?follow=1', agent.url), {headers: {authorization: `Bearer ${TEST_OPERATOR_TOKEN}`}})
    const streamed = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream')
        let buf = ''
        res.on('data', (d) => {
          buf += d
          for (const frame of buf.split('\n\n').slice(0, -1)) {
            // The agent's first frame says the follower is subscribed (and where it resumes).
            if (frame.startsWith(': subscribed;')) subscribed = true
            const data = frame.split('\n').find((l) => l.startsWith('data: '))
            if (data) received.push(JSON.parse(data.slice(6)))
          }
          buf = buf.slice(buf.lastIndexOf('\n\n') + 2)
          if (received.some((e) => e.type === 'ServiceState' && e.service === 'CTIOSTrace' && e.data.to === 'Running')) resolve()
        })
      })
      req.on('error', reject)
    })
    req.end()
    await eventually(() => (subscribed ? true : undefined), 5000, 'the agent to say the follower is subscribed')
    await http(agent, 'POST', '/v1/services/CTIOSTrace/cycle')
    await streamed
    req.destroy()
    assert.ok(received.every((e) => typeof e.seq === 'number' && e.node === 'ctios-a'))
  })
})
