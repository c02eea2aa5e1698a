#!/usr/bin/env node
import module from 'node:module'
import {setFlagsFromString} from 'node:v8'

// Node >= 22.1 caches compiled code between runs: a faster start for an often-run CLI.
module.enableCompileCache?.()
// undici parses HTTP with WebAssembly. On Node 20 V8 recompiles the parser with its optimising
// tier in the background after a few answers, and the process's exit waits for that compile
// (50 ms idle, far more on a busy host). A CLI run parses a few small answers: the baseline
// tier is plenty. Set before any WebAssembly is compiled, for this process only: never for the
// long-running agent (`agent serve`), whose parser should be optimised. Node >= 22 compiles
// WebAssembly lazily and has nothing to wait for.
const agentServe = process.argv[2] === 'agent:serve' || (process.argv[2] === 'agent' && process.argv[3] === 'serve')
if (Number(process.versions.node.split('.')[0]) < 22 && !agentServe) {
  setFlagsFromString('--liftoff-only')
}
// The bundle (scripts/bundle.js): oclif and the commands in a few files, not hundreds.
const {execute} = await import('../dist/cli/cli-entry.js')
await execute({dir: import.meta.url})
