#!/usr/bin/env node
// The first step of `npm run build`. tsc compiles incrementally (tsconfig.json: dist/.tsbuildinfo),
// emitting only what changed since the last build, so dist/src, dist/test and dist/bench stay.
// What would outlive its source goes: a compiled file whose .ts is gone (a deleted test would
// still run), and the CLI bundle, whose chunk names change with their contents.
import {existsSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

const compiled = (dir) =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? compiled(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  )

for (const tree of ['src', 'test', 'bench']) {
  const out = join('dist', tree)
  if (!existsSync(out)) continue
  for (const file of compiled(out)) {
    const source = file.slice('dist/'.length).replace(/\.js$/, '.ts')
    if (!existsSync(source)) rmSync(file)
  }
}
rmSync(join('dist', 'cli'), {recursive: true, force: true})
