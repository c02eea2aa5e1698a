// Code Yellow figures of one real Unified CM agent (fast timing profile: a sample every 200 ms):
//  1. measured delay (mean of the last 10 samples) against the latency added on purpose;
//  2. time from the fault to CodeYellowEntry, and from clearing it to CodeYellowExit;
//  3. call attempts per second (sequential POST /v1/calls) in Normal and in Code Yellow.
// Run: npx tsc -p . && node dist/bench/throttle.js
import {setTimeout as sleep} from 'node:timers/promises'
import {AgentClient, closeClients} from '../src/lib/client/agent-client.js'
import {startTestAgent} from '../test/helpers/agents.js'

async function main() {
  const agent = await startTestAgent({name: 'cucm-pub', product: 'cucm', version: '8.6.2.10000-30'})
  const client = new AgentClient({name: 'cucm-pub', url: agent.url})
  const status = () => client.call('GET /v1/throttle')
  const latency = (ms: number) => client.call('POST /v1/faults/latency', {body: {ms}})
  const sampleMs = agent.config.timingValues.throttleSampleIntervalMs
  try {
    console.log('1. added latency (ms) → measured delay, mean of the last 10 samples (ms)')
    await client.call('PUT /v1/throttle/params', {body: {systemThrottleSampleSizeSec: 0}}) // no throttling while measuring
    for (const ms of [0, 10, 20, 40, 80]) {
      await latency(ms)
      await sleep(sampleMs * 15)
      const xs = (await status()).recentSamples.slice(-10).map((s) => s.delayMs)
      console.log(`   ${String(ms).padStart(3)} → ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)}`)
    }
    await latency(0)
    await client.call('PUT /v1/throttle/params', {body: {systemThrottleSampleSizeSec: 10}})
    await sleep(sampleMs * 5)

    const alarmAfter = async (name: string, since: number) => {
      for (;;) {
        const {events} = await client.call('GET /v1/events', {query: {limit: 50}})
        const e = events.find((x) => x.data?.alarm === name && Date.parse(x.time) >= since)
        if (e) return Date.parse(e.time) - since
        await sleep(20)
      }
    }
    const calls = async (ms: number) => {
      let n = 0
      const end = Date.now() + ms
      while (Date.now() < end) {
        await client.call('POST /v1/calls', {body: {}}).catch(() => undefined)
        n++
      }
      return (n * 1000) / ms
    }
    console.log(`3. call attempts/s in Normal: ${(await calls(2000)).toFixed(0)}`)
    let t = Date.now()
    await latency(60)
    console.log(`2. latency 60 ms → CodeYellowEntry after ${await alarmAfter('CodeYellowEntry', t)} ms (sample size 10 × ${sampleMs} ms)`)
    console.log(`3. call attempts/s in Code Yellow (each also takes the 60 ms): ${(await calls(2000)).toFixed(0)}`)
    t = Date.now()
    await latency(0)
    console.log(`2. latency cleared → CodeYellowExit after ${await alarmAfter('CodeYellowExit', t)} ms`)
  } finally {
    await closeClients()
    await agent.dispose()
  }
}

await main()
