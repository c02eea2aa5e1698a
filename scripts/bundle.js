#!/usr/bin/env node
// Bundles the CLI (run by `npm run build`, after tsc) into dist/cli/: bin/run.js's entry and one
// file per command, with @oclif/core and undici inside. A CLI run then loads a dozen files
// instead of ~200: most of its start was Node resolving, reading and compiling modules. Code that
// several commands share goes into dist/cli/chunks/, split by which commands use it, so that
// a command loads only what it imports; what it imports lazily stays lazy. oclif finds the
// commands in dist/cli/commands as before (package.json oclif.commands, the manifest).
// Every other package (fastify, ssh2, libsql, prompts, tables...) stays in node_modules, loaded
// on demand as before.
import {readdirSync, readFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {join, relative, sep} from 'node:path'
import {build} from 'esbuild'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
/** Resolves as the package does (the installed undici and oclif). */
const require = createRequire(join(process.cwd(), 'package.json'))
const SRC = 'dist/src'
/** The packages of the CLI's hot path; every other dependency stays external. */
const BUNDLED = new Set(['@oclif/core', 'undici'])

const files = (dir) =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  )

/**
 * Our modules find files next to themselves (contract.json, schemas/, node_modules): in the
 * bundle each keeps the URL of its own file under dist/src, found from where the bundle is, so
 * a moved install still works.
 */
const ownUrls = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({filter: /[/\\]dist[/\\]src[/\\].*\.js$/}, async (args) => {
      const text = await readFile(args.path, 'utf8')
      if (!text.includes('import.meta.url')) return undefined
      const own = relative('dist', args.path).split(sep).join('/')
      const url = `new URL(${JSON.stringify(own)}, import.meta.url.slice(0, import.meta.url.lastIndexOf('/dist/cli/') + 6)).href`
      return {contents: text.replaceAll('import.meta.url', url), loader: 'js'}
    })
  },
}

/**
 * undici's public entry also loads fetch, WebSocket, caches, mocks and interceptors: a quarter of
 * a CLI run's CPU on Node 20. The client uses only undici's Agent and Dispatcher#request, so the
 * bundle takes just the modules that the public entry takes those from, after checking here,
 * against the installed undici, that they are the very same objects. If a release moves them,
 * the bundle takes the whole public entry (slower, never broken). Agents, unbundled, load the
 * public entry.
 */
const UNDICI_PARTS = {
  dispatcher: 'undici/lib/dispatcher/dispatcher.js',
  api: 'undici/lib/api/index.js',
  agent: 'undici/lib/dispatcher/agent.js',
}
function undiciPartsArePublic() {
  try {
    const pub = require('undici')
    const [dispatcher, api, agent] = Object.values(UNDICI_PARTS).map((p) => require(p))
    return pub.Agent === agent && pub.Dispatcher === dispatcher && pub.Dispatcher.prototype.request === api.request
  } catch {
    return false
  }
}
const narrowUndici = {
  name: 'narrow-undici',
  setup(b) {
    b.onResolve({filter: /^undici$/}, () => ({path: 'undici', namespace: 'undici-agent'}))
    b.onLoad({filter: /.*/, namespace: 'undici-agent'}, () => ({
      resolveDir: process.cwd(),
      loader: 'js',
      // What the public entry does with these parts (index.js: Object.assign(Dispatcher.prototype, api)).
      contents: [
        `Object.assign(require('${UNDICI_PARTS.dispatcher}').prototype, require('${UNDICI_PARTS.api}'))`,
        `module.exports = {Agent: require('${UNDICI_PARTS.agent}')}`,
      ].join('\n'),
    }))
  },
}
const narrow = undiciPartsArePublic()
if (!narrow) console.warn('bundle: undici has moved its Agent; the CLI bundles its whole public entry')

/**
 * `await import('pkg')` of a CommonJS package gives its named exports in Node, but only
 * `default` from a chunk of the bundle: for a bundled package, a module in between names them.
 */
const namedExports = {
  name: 'named-exports-of-commonjs',
  setup(b) {
    const bundled = (p) => [...BUNDLED].some((n) => p === n || p.startsWith(`${n}/`))
    b.onResolve({filter: /.*/}, (args) =>
      args.kind === 'dynamic-import' && bundled(args.path) ? {path: args.path, namespace: 'named-exports'} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'named-exports'}, (args) => {
      const names =
        narrow && args.path === 'undici'
          ? ['Agent']
          : Object.keys(require(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default')
      return {
        resolveDir: process.cwd(),
        loader: 'js',
        // module.exports as default, as in Node
        contents: `const m = require('${args.path}')\nexport default m\nexport const {${names.join(', ')}} = m\n`,
      }
    })
  },
}

await build({
  entryPoints: [join(SRC, 'cli-entry.js'), ...files(join(SRC, 'commands')), ...files(join(SRC, 'hooks'))],
  outbase: SRC,
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [
    ...Object.keys({...pkg.dependencies, ...pkg.optionalDependencies}).filter((d) => !BUNDLED.has(d)),
    // Loaded by @oclif/core only for TypeScript sources in development.
    'typescript',
    'ts-node',
    'tsx',
  ],
  // Error and command classes keep their names.
  keepNames: true,
  // CommonJS packages in the bundle (undici, oclif's dependencies) require Node's modules.
  banner: {js: "import {createRequire as __bundleRequire} from 'node:module';const require=__bundleRequire(import.meta.url);"},
  plugins: [ownUrls, namedExports, ...(narrow ? [narrowUndici] : [])],
  legalComments: 'none',
  logLevel: 'warning',
})
