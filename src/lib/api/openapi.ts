// The OpenAPI 3.1 document of the contract (served as GET /v1/openapi.json, shipped as
// dist/openapi.json), and the plain-JSON form of the routes the agent loads. Build time only.
import type {TSchema} from 'typebox'
import {httpStatusOf} from '../errors.js'
import type {RouteDecl} from './contract.js'
import {COMPONENTS, ErrorAnswer} from './schemas.js'

/** A route as the agent registers it: fastify's schema parts, plain JSON. */
export interface CompiledRoute {
  method: string
  url: string
  schema: {params?: unknown; querystring?: unknown; body?: unknown}
  response: unknown
  preview?: unknown
  stream?: unknown
  bodyLimit?: number
  traffic?: true
}

const plain = (s: TSchema | undefined): unknown => (s === undefined ? undefined : JSON.parse(JSON.stringify(s)))

export function compileRoutes(table: Record<string, RouteDecl>): Record<string, CompiledRoute> {
  return Object.fromEntries(
    Object.entries(table).map(([key, d]) => {
      const [method, url] = key.split(' ')
      const route: CompiledRoute = {
        method,
        url,
        schema: {params: plain(d.params), querystring: queryOf(d), body: plain(d.body)},
        response: plain(d.response),
        ...(d.preview ? {preview: plain(d.preview)} : {}),
        ...(d.stream ? {stream: plain(d.stream)} : {}),
        ...(d.bodyLimit ? {bodyLimit: d.bodyLimit} : {}),
        ...(d.traffic ? {traffic: d.traffic} : {}),
      }
      return [key, route]
    }),
  )
}

/** The query's schema; a previewed action's takes dryRun too. */
interface ObjectSchema {
  type: 'object'
  properties: Record<string, unknown>
  required?: string[]
  additionalProperties?: boolean
}
function queryOf(d: RouteDecl): ObjectSchema | undefined {
  const q = plain(d.query) as ObjectSchema | undefined
  if (!d.preview) return q
  return {additionalProperties: false, ...q, type: 'object', properties: {...q?.properties, dryRun: {type: 'boolean'}}}
}

/** Errors every route may answer: a malformed request, no or a refused token. */
const COMMON_ERRORS = ['BadRequest', 'Unauthorized', 'Forbidden'] as const

const camel = (key: string) =>
  key
    .toLowerCase()
    .replace(/[/:{}.]+/g, ' ')
    .trim()
    .replace(/[ -]+(.)/g, (_m, c: string) => c.toUpperCase())

export function openApiDocument(table: Record<string, RouteDecl>, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const [key, d] of Object.entries(table)) {
    const [method, path] = key.split(' ')
    const oaPath = path.replace(/:([A-Za-z]+)/g, '{$1}')
    const parameters = [
      ...Object.entries((plain(d.params) as {properties?: Record<string, unknown>})?.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema,
      })),
      ...Object.entries(queryOf(d)?.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: (queryOf(d)?.required ?? []).includes(name),
        schema,
        ...(name === 'dryRun' ? {description: 'preview the action: change nothing, answer what it would do'} : {}),
      })),
    ]
    const statuses = d.status === undefined ? [200] : typeof d.status === 'number' ? [d.status] : [...d.status]
    if (d.preview && !statuses.includes(200)) statuses.unshift(200)
    const responses: Record<string, unknown> = {}
    for (const s of statuses) {
      responses[String(s)] = {
        description: s === 202 ? 'accepted: the operation runs' : s === 201 ? 'created' : 'ok',
        content: {
          'application/json': {schema: s === 200 && d.preview ? {anyOf: [plain(d.response), plain(d.preview)]} : plain(d.response)},
          ...(d.stream && s === 200 ? {'text/event-stream': {schema: plain(d.stream)}} : {}),
        },
      }
    }
    for (const code of [...COMMON_ERRORS, ...(d.errors ?? [])]) {
      const status = code === 'BadRequest' ? 400 : httpStatusOf(code)
      responses[String(status)] = {description: code, content: {'application/json': {schema: {$ref: '#/components/schemas/Error'}}}}
    }
    paths[oaPath] ??= {}
    paths[oaPath][method.toLowerCase()] = {
      operationId: camel(key),
      summary: d.summary,
      ...(parameters.length ? {parameters} : {}),
      ...(d.body ? {requestBody: {required: true, content: {'application/json': {schema: plain(d.body)}}}} : {}),
      responses,
      ...(path === '/v1/health' ? {security: []} : {}),
    }
  }
  return {
    ...withRefs({paths}),
    openapi: '3.1.0',
    info: {title: 'ucctl node agent', version, description: 'The HTTP API of the ucctl node agent (one per server).'},
    components: {
      schemas: {Error: plain(ErrorAnswer), ...Object.fromEntries(Object.entries(COMPONENTS).map(([k, v]) => [k, plain(v)]))},
      securitySchemes: {token: {type: 'http', scheme: 'bearer'}},
    },
    security: [{token: []}],
  }
}

/** The document with each shared shape (schemas.ts COMPONENTS) named once and referred to. */
function withRefs<T>(doc: T): T {
  const named = new Map(Object.entries(COMPONENTS).map(([name, schema]) => [JSON.stringify(schema), name]))
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (v === null || typeof v !== 'object') return v
    const name = named.get(JSON.stringify(v))
    if (name) return {$ref: `#/components/schemas/${name}`}
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
  }
  return walk(doc) as T
}
