#!/usr/bin/env node
// Development entry: rebuilds with `npm run build` are fast enough that dev runs the compiled
// commands too, with oclif's development mode (no manifest cache, verbose errors).
import {execute} from '@oclif/core/execute'

await execute({development: true, dir: import.meta.url})
