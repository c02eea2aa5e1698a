// Running an agent until SIGTERM or SIGINT: shared by `ucctl agent serve` and the lab's lean
// entry (src/agent-main.ts), which skips the CLI framework to start faster.
import {UsageError} from '../errors.js'
import {loadNodeConfig} from '../agent/config.js'
import {signalReady} from './readiness.js'
import {startAgent} from '../agent/server.js'

export async function serveAgent(configPath: string, opts: {checkServing?: boolean} = {}): Promise<void> {
  const config = await loadNodeConfig(configPath)
  if (opts.checkServing) {
    const {servingFindings} = await import('./node-setup.js')
    for (const f of await servingFindings(config, configPath)) {
      if (f.severity === 'error') throw new UsageError(`refusing to serve: ${f.message}`, {hint: f.fix})
      process.stderr.write(JSON.stringify({level: 40, time: Date.now(), msg: `${f.message} (${f.fix})`}) + '\n')
    }
  }
  const agent = await startAgent(config)
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      agent.context.log.info(`${signal}: shutting down`)
      agent.close().then(resolve, resolve)
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    // Ready once a SIGTERM from the launcher would stop it cleanly.
    signalReady({node: config.name, pid: process.pid, url: agent.url})
  })
}
