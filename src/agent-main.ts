// The lab's agent entry: `node dist/src/agent-main.js --config FILE` is `ucctl agent serve --config
// FILE` without loading the CLI framework (the lab starts many agents at once: each one's start
// costs CPU that the others wait for).
import module from 'node:module'

// Node >= 22.1 caches compiled code between runs (as bin/run.js does for the CLI).
// (@types/node 20 does not know it yet.)
;(module as {enableCompileCache?: () => void}).enableCompileCache?.()
const [{UcctlError}, {serveAgent}] = await Promise.all([import('./lib/errors.js'), import('./lib/host/serve.js')])

const i = process.argv.indexOf('--config')
const config = i > 0 ? process.argv[i + 1] : undefined
if (!config) {
  process.stderr.write('usage: agent-main.js --config FILE\n')
  process.exit(2)
}
try {
  await serveAgent(config)
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(error instanceof UcctlError ? error.exitCode : 1)
}
