// Validators compiled at build time (scripts/gen-validators.js writes dist/validators.cjs: Ajv's
// standalone code), so that an agent starts without loading Ajv or compiling a schema: that was
// half of its start-up CPU. Each is found by its schema's JSON text, so a schema that changed
// since the build is never checked by a stale validator: it is compiled at its first use.
import {createRequire} from 'node:module'
import type {ErrorObject} from 'ajv'
import type {FastifyServerOptions} from 'fastify'

export interface Validate {
  (data: unknown): boolean
  errors?: ErrorObject[] | null
}

/** Each validator is evaluated at its first use: an agent needs its product's only. */
interface Compiled {
  /** Whole documents (node.yaml, topologies, the product modules' settings), Ajv {allErrors: true}, by schema. */
  documents: Record<string, () => Validate>
  /** Request parts as fastify validates them (its own Ajv options plus AGENT_AJV), by `${httpPart} ${schema}`. */
  requests: Record<string, () => Validate>
}

/** The agent's options for fastify's Ajv (the build compiles with them too). */
export const AGENT_AJV = {customOptions: {removeAdditional: false, allErrors: false}}

const require = createRequire(import.meta.url)
let compiled: Compiled | undefined

function load(): Compiled {
  try {
    compiled ??= require('../../validators.cjs') as Compiled
  } catch (error) {
    // Not built yet (the build's own generator runs agents): every schema is compiled at its use.
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error
    compiled = {documents: {}, requests: {}}
  }
  return compiled
}

export const requestKey = (httpPart: string, schema: unknown) => `${httpPart} ${JSON.stringify(schema)}`

/** Set by the build (scripts/gen-validators.js): collects the document schemas validated. */
export const build: {documents?: Set<object>} = {}

/** The build's validator of a document schema (Ajv {allErrors: true}), if the build saw it (see ./schema.ts). */
export function precompiledDocument(schema: object): Validate | undefined {
  build.documents?.add(schema)
  return load().documents[JSON.stringify(schema)]?.()
}

/** A validator compiled by `make` at its first call: what a start does not need, it does not pay for. */
function lazily(make: () => Validate): Validate {
  let f: Validate | undefined
  const v: Validate = (data) => {
    f ??= make()
    const ok = f(data)
    v.errors = f.errors
    return ok
  }
  return v
}

type RouteSchema = {schema: unknown; method: string; url: string; httpPart: string}
type Compiler = (route: RouteSchema) => Validate

// fastify's own copies of its compilers, loaded only when a schema was not compiled by the build.
const fromFastify = createRequire(require.resolve('fastify'))

/**
 * fastify's schemaController.compilersFactory: request validators from the build; a schema the
 * build did not see by fastify's Ajv compiler, at the first request it checks.
 */
export const agentCompilers = {
  buildValidator(externalSchemas: unknown, ajvOptions: unknown): Compiler {
    let ajvCompiler: Compiler | undefined
    const {requests} = load()
    return (route) =>
      requests[requestKey(route.httpPart, route.schema)]?.() ??
      lazily(() => {
        ajvCompiler ??= (fromFastify('@fastify/ajv-compiler') as () => (e: unknown, o: unknown) => Compiler)()(externalSchemas, ajvOptions)
        return ajvCompiler(route)
      })
  },
  // Only routes with a response schema need one (the agent declares none to fastify).
  buildSerializer(externalSchemas: unknown, options: unknown): unknown {
    return (fromFastify('@fastify/fast-json-stringify-compiler') as () => (e: unknown, o: unknown) => unknown)()(externalSchemas, options)
  },
} as unknown as CompilersFactory
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
