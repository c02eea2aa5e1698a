// Who may do what on an agent (issue 7): bearer tokens configured as SHA-256 hashes, each with
// a role; `viewer` reads, `operator` reads and acts. Every action request is audited durably
// before it is answered, and an Idempotency-Key makes a retried action run once.
import {TOKEN_ROLES} from '../api/contract.js'
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {join} from 'node:path'
import type {FastifyInstance, FastifyRequest} from 'fastify'
import {JsonLinesLog, JsonStore} from '../durable.js'
import {ForbiddenError, UnauthorizedError, UsageError} from '../errors.js'

export type TokenRole = (typeof TOKEN_ROLES)[number]

export interface TokenConfig {
  /** A name for the token (who holds it), recorded in the audit log; never the token. */
  id: string
  role: TokenRole
  /** hex SHA-256 of the token. */
  sha256: string
}

export interface AuthConfig {
  tokens: TokenConfig[]
  /** The token this agent presents to its peers (an operator token of theirs). */
  peerToken?: string
}

export const AUTH_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['tokens'],
  properties: {
    tokens: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'role', 'sha256'],
        properties: {
          id: {type: 'string', pattern: '^[\\w.@-]{1,64}$'},
          role: {enum: [...TOKEN_ROLES]},
          sha256: {type: 'string', pattern: '^[0-9a-f]{64}$'},
        },
      },
    },
    peerToken: {type: 'string', minLength: 16},
  },
} as const

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** A new random token (URL-safe, 256 bits). */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

export interface Caller {
  id: string
  role: TokenRole
}

/** Finds the token's holder, comparing every hash in constant time. */
export function authenticate(tokens: readonly TokenConfig[], presented: string | undefined): Caller | undefined {
  if (!presented) return undefined
  const digest = Buffer.from(hashToken(presented), 'hex')
  let found: Caller | undefined
  for (const t of tokens) {
    // Compare against all of them, so timing says nothing about which one (or none) matched.
    if (timingSafeEqual(digest, Buffer.from(t.sha256, 'hex')) && !found) found = {id: t.id, role: t.role}
  }
  return found
}

const PUBLIC_ROUTES = new Set(['/v1/health'])
const isAction = (method: string) => method !== 'GET' && method !== 'HEAD'

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller
  }
}

export interface AuditRecord {
  time: string
  tokenId: string | null
  role: TokenRole | null
  method: string
  route: string
  params: Record<string, unknown>
  body?: unknown
  status: number
  operation?: string
  idempotencyKey?: string
}

const IDEMPOTENCY_KEEP = 1000

/**
 * Authentication (401/403), the audit log of every action request, and idempotency keys.
 * Registered before every route, so no route can forget it.
 */
export function installAuth(
  app: FastifyInstance,
  auth: AuthConfig,
  stateDir: string,
  now: () => number = Date.now,
): {audit(limit?: number): AuditRecord[]} {
  const auditPath = join(stateDir, 'audit.jsonl')
  const audit = new JsonLinesLog(auditPath)
  const keys = new JsonStore<{keys: Array<{key: string; tokenId: string; status: number; body: string}>}>(stateDir, 'idempotency.json', {
    keys: [],
  })

  app.addHook('onRequest', async (request) => {
    if (PUBLIC_ROUTES.has(request.url.split('?')[0])) return
    const header = request.headers.authorization
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    const caller = authenticate(auth.tokens, presented)
    if (!caller) {
      throw new UnauthorizedError(presented ? 'the token was not accepted' : 'a bearer token is required', {
        hint: 'log in: ucctl login (or set UCCTL_TOKEN)',
      })
    }
    request.caller = caller
    if (isAction(request.method) && caller.role !== 'operator') {
      throw new ForbiddenError(`role ${caller.role} may read but not act (${request.method} ${request.url.split('?')[0]})`, {
        hint: 'use an operator token',
      })
    }
  })

  // A retry with a key already answered gets the first answer again; nothing runs twice.
  app.addHook('preHandler', async (request, reply) => {
    const key = idempotencyKey(request)
    if (!key) return
    const seen = keys.data.keys.find((k) => k.key === key && k.tokenId === request.caller?.id)
    if (seen) {
      reply.header('idempotent-replay', 'true')
      return reply.status(seen.status).type('application/json').send(seen.body)
    }
  })

  // Written before the answer leaves: an acknowledged action is always in the audit log.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!isAction(request.method) || PUBLIC_ROUTES.has(request.url.split('?')[0])) return payload
    // Traffic (simulated calls, voice messages, softphones; SRM heartbeats between peers) is not
    // an administrative action: routes mark it with `config: {traffic: true}`.
    if ((request.routeOptions.config as {traffic?: boolean} | undefined)?.traffic) return payload
    const key = idempotencyKey(request)
    let operation: string | undefined
    if (typeof payload === 'string') {
      try {
        operation = (JSON.parse(payload) as {id?: string}).id
      } catch {}
    }
    const record: AuditRecord = {
      time: new Date(now()).toISOString(),
      tokenId: request.caller?.id ?? null,
      role: request.caller?.role ?? null,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0],
      params: (request.params ?? {}) as Record<string, unknown>,
      ...(request.body !== undefined ? {body: request.body} : {}),
      status: reply.statusCode,
      ...(operation ? {operation} : {}),
      ...(key ? {idempotencyKey: key} : {}),
    }
    audit.append(record)
    if (key && request.caller && reply.statusCode < 500 && reply.getHeader('idempotent-replay') !== 'true' && typeof payload === 'string') {
      keys.data.keys.push({key, tokenId: request.caller.id, status: reply.statusCode, body: payload})
      if (keys.data.keys.length > IDEMPOTENCY_KEEP) keys.data.keys.splice(0, keys.data.keys.length - IDEMPOTENCY_KEEP)
      keys.save()
    }
    return payload
  })

  app.addHook('onClose', async () => audit.close())

  return {audit: (limit) => JsonLinesLog.read<AuditRecord>(auditPath).slice(-(limit ?? 1000))}
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key']
  if (key === undefined || !isAction(request.method)) return undefined
  if (typeof key !== 'string' || !/^[\w-]{8,128}$/.test(key))
    throw new UsageError('Idempotency-Key must be 8 to 128 letters, digits, "-" or "_"')
  return key
}
