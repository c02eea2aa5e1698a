// Serving a route of the contract (src/lib/api): fastify validates its params, query and body
// with the contract's schemas (from dist/contract.json), and the handler is typed by them: it
// returns the declared answer. With UCCTL_CHECK_RESPONSES set (the test suite sets it), every
// answer is checked against the declared one, so the tests prove the contract matches the agent.
import {readFileSync} from 'node:fs'
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify'
import type {Answer, Body, Params, Preview, PreviewRoute, Query, Route} from '../api/index.js'
import type {CompiledRoute} from '../api/openapi.js'
import {InternalError} from '../errors.js'

let contract: Record<string, CompiledRoute> | undefined

/** The contract's routes as plain JSON (written by the build). */
export function contractRoutes(): Record<string, CompiledRoute> {
  contract ??= JSON.parse(readFileSync(new URL('../../../contract.json', import.meta.url), 'utf8')) as Record<string, CompiledRoute>
  return contract
}

/** The OpenAPI 3.1 document of the contract (written by the build; read once). */
export const openApiDocument = (): Answer<'GET /v1/openapi.json'> =>
  (openApi ??= JSON.parse(readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8')) as Answer<'GET /v1/openapi.json'>)
let openApi: Answer<'GET /v1/openapi.json'> | undefined

export type RouteRequest<K extends Route> = FastifyRequest<{Params: Params<K>; Querystring: Query<K>; Body: Body<K>}>
/** Returns the answer (set reply.code(202) first for an accepted operation), or nothing after reply.hijack(). */
export type Handler<K extends Route> = (req: RouteRequest<K>, reply: FastifyReply) => Promise<Answer<K> | undefined>

/** What a previewed action would do (its dry run): the same request, nothing changed. */
export type PreviewHandler<K extends Route> = (req: RouteRequest<K>) => Promise<Preview<K>>

const checking = Boolean(process.env.UCCTL_CHECK_RESPONSES)

/** Serves a route of the contract. */
export function serve<K extends Route>(app: FastifyInstance, key: K, handler: Handler<K>): void
/** Serves an action the contract previews: `preview` answers its dry run (?dryRun=true). */
export function serve<K extends PreviewRoute>(app: FastifyInstance, key: K, handler: Handler<K>, preview: PreviewHandler<K>): void
export function serve<K extends Route>(app: FastifyInstance, key: K, handler: Handler<K>, preview?: PreviewHandler<K>): void {
  const r = contractRoutes()[key]
  if (!r) throw new InternalError(`${key} is not in dist/contract.json: rebuild (npm run build)`)
  if (Boolean(r.preview) !== Boolean(preview)) throw new InternalError(`${key}: the contract and the agent disagree on its preview`)
  const schema = Object.fromEntries(Object.entries(r.schema).filter(([, s]) => s !== undefined))
  type Untyped = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  app.route({
    method: r.method as 'GET',
    url: r.url,
    schema,
    ...(r.bodyLimit ? {bodyLimit: r.bodyLimit} : {}),
    ...(r.traffic ? {config: {traffic: true}} : {}),
    handler: (preview
      ? (req: RouteRequest<K>, reply: FastifyReply) => ((req.query as {dryRun?: boolean}).dryRun ? preview(req) : handler(req, reply))
      : handler) as Untyped,
    ...(checking ? {preSerialization: checkAnswer(key, r)} : {}),
  })
}

function checkAnswer(key: string, r: CompiledRoute) {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode >= 400) return payload
    const {validatorOf, describeErrors} = await import('../schema.js')
    const dryRun = (req.query as {dryRun?: boolean} | undefined)?.dryRun === true
    const valid = await validatorOf((dryRun ? r.preview : r.response) as object)
    if (!valid(payload)) throw new InternalError(`${key} answered outside its contract: ${describeErrors(valid.errors)}`)
    return payload
  }
}
