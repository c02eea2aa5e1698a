// Running an agent until SIGTERM or SIGINT: shared by `ucctl agent serve` and the lab's lean
// entry (src/agent-main.ts), which skips the CLI framework to start faster.
import {loadNodeConfig} from './config.js'
import {signalReady} from './readiness.js'
import {startAgent} from './server.js'

export async function serveAgent(configPath: string): Promise<void> {
  const config = await loadNodeConfig(configPath)
  const agent = await startAgent(config)
  signalReady({node: config.name, pid: process.pid, url: agent.url})
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(JSON.stringify({level: 30, time: Date.now(), msg: `${signal}: shutting down`}) + '\n')
      agent.close().then(resolve, resolve)
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}
