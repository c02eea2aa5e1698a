// The agent API's contract: every route declared once (method and path, params, query, body, the
// answer, the error codes) with TypeBox. The agent validates requests and the client types its
// calls from these declarations; GET /v1/openapi.json serves the OpenAPI 3.1 document made of them.
//
// The declarations are TypeBox values, but loading TypeBox costs a process ~120 ms (measured), so
// they are used at run time only through what the build makes of them (scripts/gen-contract.js):
// dist/contract.json, plain JSON Schemas the agent loads, and dist/openapi.json. The CLI and the
// agent import this module's types only (a test checks it).
import type {Static, TSchema} from 'typebox'

/** The roles a token may have: a viewer reads; an operator reads and acts (every action is audited). */
export const TOKEN_ROLES = ['viewer', 'operator'] as const

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
/** A route's key is its method and path, as fastify writes it: 'GET /v1/services/:name'. */
export type RouteKey = `${Method} /v1/${string}`

/** Wire error codes (errors.ts) a route may answer besides those every route may. */
export type ErrorCode = 'NotFound' | 'Refused' | 'Rejected' | 'Busy' | 'Timeout' | 'Failed' | 'Unreachable' | 'Internal'

export interface RouteDecl {
  /** One line: what the route does, in the documents' words. */
  readonly summary: string
  readonly params?: TSchema
  readonly query?: TSchema
  readonly body?: TSchema
  /** The answer's body. */
  readonly response: TSchema
  /** The answer's status: 200 by default; 202 for an operation accepted, 201 for a thing created; several when it may be either. */
  readonly status?: 200 | 201 | 202 | readonly (200 | 201 | 202)[]
  readonly errors?: readonly ErrorCode[]
  /** With follow in the query, a text/event-stream whose events' data is this. */
  readonly stream?: TSchema
  /**
   * An action the agent previews (the one dry-run path): with ?dryRun=true it changes nothing and
   * answers this (default shape: Plan in schemas.ts) instead.
   */
  readonly preview?: TSchema
  /** Larger bodies than the agent's default (64 KiB). */
  readonly bodyLimit?: number
  /**
   * Traffic, not an administrative action: simulated calls and softphones, and what peers tell
   * each other several times a second (SRM heartbeats). Neither audited nor kept for idempotency.
   */
  readonly traffic?: true
}

export type RouteTable = {readonly [K in RouteKey]?: RouteDecl}

/** Declares a family of routes (keeps the literal types of keys and schemas). */
export function routes<const T extends RouteTable>(table: T): T {
  return table
}

type StaticOf<D, F extends 'params' | 'query' | 'body' | 'response' | 'stream' | 'preview'> = D extends {
  readonly [P in F]: infer S extends TSchema
}
  ? Static<S>
  : undefined

export type ParamsOf<D> = StaticOf<D, 'params'>
export type QueryOf<D> = StaticOf<D, 'query'>
export type BodyOf<D> = StaticOf<D, 'body'>
export type AnswerOf<D> = StaticOf<D, 'response'>
export type StreamOf<D> = StaticOf<D, 'stream'>
export type PreviewOf<D> = StaticOf<D, 'preview'>

/** What a call of a route carries: params and body when it has them (the query is always optional). */
export type RequestOf<D> = (D extends {readonly params: TSchema} ? {params: ParamsOf<D>} : {params?: undefined}) &
  (D extends {readonly query: TSchema} ? {query?: QueryOf<D>} : {query?: undefined}) &
  (D extends {readonly body: TSchema} ? {body: BodyOf<D>} : {body?: undefined}) & {
    /** This call's timeout (connect and answer), ms, instead of the client's. */
    timeoutMs?: number
  }

/** The request argument is optional when nothing in it is required. */
export type RequestArgs<D> = D extends {readonly params: TSchema} | {readonly body: TSchema}
  ? [request: RequestOf<D>]
  : [request?: RequestOf<D>]

/** The path of `key` with its params filled in (encoded). */
export function pathOf(key: string, params: Record<string, unknown> | undefined): string {
  const path = key.slice(key.indexOf(' ') + 1)
  return path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const v = params?.[name]
    if (v === undefined || v === null) throw new TypeError(`${key}: the param ${name} is missing`)
    return encodeURIComponent(String(v))
  })
}

export function methodOf(key: string): Method {
  return key.slice(0, key.indexOf(' ')) as Method
}
