#!/usr/bin/env node
import module from 'node:module'

// Node >= 22.1 caches compiled code between runs: a faster start for an often-run CLI.
module.enableCompileCache?.()
const {execute} = await import('@oclif/core/execute')
await execute({dir: import.meta.url})
