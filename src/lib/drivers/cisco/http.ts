// HTTPS to a Cisco node (SOAP and CUPI REST): Basic auth, TLS always verified against the
// context's CA, errors as ucctl's error classes (401 → exit 4, transport → exit 7), AXL's
// requests one at a time with a back-off on its throttle answer (HTTP 503), every request in
// the audit log. fast-xml-parser is loaded here only, i.e. only for cisco contexts.
import {request as httpsRequest} from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'
import {TLS_ERRORS} from '../../client/agent-client.js'
import {ForbiddenError, InternalError, UnauthorizedError, UnreachableError, UsageError, type UcctlError} from '../../errors.js'
import type {WireLog} from './wire.js'

export interface Endpoint {
  /** The node's name (messages, audit). */
  node: string
  /** https origin of the node. */
  url: string
}

export interface HttpSettings {
  context: string
  username: string
  password: string
  ca?: string
  log: WireLog
  timeoutMs?: number
}

export interface HttpAnswer {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

const DEFAULT_TIMEOUT_MS = 30_000

function transportError(ep: Endpoint, error: unknown): UcctlError {
  const code = (error as {code?: string}).code ?? (error as Error).message
  const tls = TLS_ERRORS[code]
  if (tls) {
    return new UnreachableError(`node ${ep.node} (${ep.url}) was not trusted: ${tls} (${code})`, {
      hint: "give the context the CA that signed the nodes' certificates (Cisco Unified OS Administration > Certificate Management: tomcat's CA): ucctl context add NAME --cisco URL --ca FILE",
      details: {node: ep.node, url: ep.url, cause: code},
    })
  }
  return new UnreachableError(`node ${ep.node} (${ep.url}) did not answer: ${code}`, {
    hint: `is ${ep.node} up, and ${ep.url} reachable from here?`,
    details: {node: ep.node, url: ep.url, cause: code},
  })
}

/** One HTTPS request; throws for transport failures and 401/403 only. */
export function send(
  ep: Endpoint,
  s: HttpSettings,
  opts: {method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string},
): Promise<HttpAnswer> {
  const url = new URL(opts.path, ep.url)
  const auth = 'Basic ' + Buffer.from(`${s.username}:${s.password}`).toString('base64')
  const headers: Record<string, string | number> = {...opts.headers, authorization: auth}
  if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body)
  s.log.exchange(
    ep.node,
    'sent',
    `${opts.method} ${url.href}\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n\n${opts.body ?? ''}`,
  )
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {method: opts.method, headers, ca: s.ca, timeout: s.timeoutMs ?? DEFAULT_TIMEOUT_MS, rejectUnauthorized: true},
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (e) => reject(transportError(ep, e)))
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          s.log.exchange(ep.node, 'received', `HTTP ${res.statusCode}\n\n${body}`)
          const status = res.statusCode ?? 0
          if (status === 401) {
            reject(
              new UnauthorizedError(`node ${ep.node} refused the credentials of user ${s.username} (HTTP 401)`, {
                hint: `store the right password: ucctl context add ${s.context} --cisco … --force (or set UCCTL_CISCO_PASSWORD)`,
                details: {node: ep.node},
              }),
            )
          } else if (status === 403) {
            reject(
              new ForbiddenError(`node ${ep.node}: user ${s.username} may not do this (HTTP 403)`, {
                hint: 'the user needs the Standard AXL API Access / Standard CCM Admin Users roles (or the platform administrator for the CLI)',
                details: {node: ep.node},
              }),
            )
          } else resolve({status, body, headers: res.headers})
        })
      },
    )
    req.on('timeout', () => req.destroy(Object.assign(new Error('ETIMEDOUT'), {code: 'ETIMEDOUT'})))
    req.on('error', (e) => reject(transportError(ep, e)))
    req.end(opts.body)
  })
}

type XmlParser = {parse(xml: string): any}
type XmlValidate = (xml: string) => true | {err: {msg: string; line: number}}
let parser: {parser: XmlParser; validate: XmlValidate} | undefined

/** Elements that may repeat: always arrays, also when one came (ControlCenterServices.wsdl item, AXL processNode...). */
const REPEATED = new Set(['item', 'processNode', 'perfmonCollectCounterDataReturn'])

async function xml(): Promise<{parser: XmlParser; validate: XmlValidate}> {
  if (!parser) {
    const {XMLParser, XMLValidator} = await import('fast-xml-parser')
    parser = {
      parser: new XMLParser({
        removeNSPrefix: true,
        ignoreAttributes: true,
        parseTagValue: false,
        trimValues: true,
        isArray: (name) => REPEATED.has(name),
      }),
      validate: (text) => XMLValidator.validate(text) as true | {err: {msg: string; line: number}},
    }
  }
  return parser
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;'})[c]!)

/** A request body's elements: text, nested elements, or repeated ones (an array). */
export type XmlTree = {[element: string]: string | XmlTree | Array<string | XmlTree>}

function serialize(tree: XmlTree, prefix: string): string {
  const el = (name: string, v: string | XmlTree) =>
    `<${prefix}${name}>${typeof v === 'string' ? escapeXml(v) : serialize(v, prefix)}</${prefix}${name}>`
  return Object.entries(tree)
    .map(([name, v]) => (Array.isArray(v) ? v.map((x) => el(name, x)).join('') : el(name, v)))
    .join('')
}

export interface SoapCall {
  /** Path of the service on the node. */
  path: string
  namespace: string
  /** SOAPAction header value (quoted on the wire). */
  action: string
  operation: string
  body: XmlTree
  /** Child elements in the namespace (elementFormDefault="qualified"), as Serviceability's WSDLs say; AXL's are unqualified. */
  qualified: boolean
  interface: string
}

/** A SOAP fault as ucctl's errors: a Client fault is our request's mistake about their data (exit 2), any other the node's failure (exit 1). */
function faultError(ep: Endpoint, call: SoapCall, fault: any): UcctlError {
  const code = String(fault?.faultcode ?? '')
  const text = String(fault?.faultstring ?? 'no faultstring')
  const axl = fault?.detail?.axlError?.axlmessage
  const message = `node ${ep.node}: ${call.operation} failed: ${axl ?? text}`
  const details = {node: ep.node, operation: call.operation, faultcode: code}
  return /client/i.test(code)
    ? new UsageError(message, {details})
    : new InternalError(message, {details, hint: 'run again with --debug-wire FILE and report the exchange'})
}

/** Sends one SOAP 1.1 request; returns the parsed content of the response element (`<operation>Response`). */
export async function soap(ep: Endpoint, s: HttpSettings, call: SoapCall): Promise<any> {
  const ns = 'ns'
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:${ns}="${call.namespace}"><soapenv:Header/><soapenv:Body>` +
    `<${ns}:${call.operation}>${serialize(call.body, call.qualified ? `${ns}:` : '')}</${ns}:${call.operation}>` +
    `</soapenv:Body></soapenv:Envelope>`
  const started = Date.now()
  let outcome = 'error'
  try {
    const res = await send(ep, s, {
      method: 'POST',
      path: call.path,
      headers: {'content-type': 'text/xml; charset=utf-8', soapaction: `"${call.action}"`, accept: 'text/xml'},
      body,
    }).catch((e: UcctlError) => {
      outcome = e.code
      throw e
    })
    outcome = `HTTP ${res.status}`
    if (res.status === 503)
      throw Object.assign(
        new UnreachableError(`node ${ep.node} is throttling ${call.interface} requests (HTTP 503)`, {details: {node: ep.node}}),
        {retryAfter: Number(res.headers['retry-after'] ?? 1)},
      )
    const {parser: p, validate} = await xml()
    const valid = validate(res.body)
    if (valid !== true)
      throw new InternalError(`node ${ep.node} answered ${call.operation} with malformed XML (line ${valid.err.line}: ${valid.err.msg})`, {
        hint: 'run again with --debug-wire FILE and report the exchange',
      })
    const doc = p.parse(res.body)
    const envelopeBody = doc?.Envelope?.Body
    if (envelopeBody?.Fault) throw faultError(ep, call, envelopeBody.Fault)
    if (res.status !== 200) throw new InternalError(`node ${ep.node} answered ${call.operation} with HTTP ${res.status}`)
    const answer = envelopeBody?.[`${call.operation}Response`]
    if (answer === undefined)
      throw new InternalError(`node ${ep.node} answered ${call.operation} without a ${call.operation}Response element`, {
        hint: 'run again with --debug-wire FILE and report the exchange',
      })
    outcome = 'ok'
    return answer
  } finally {
    s.log.audit({
      context: s.context,
      node: ep.node,
      interface: call.interface,
      operation: call.operation,
      outcome,
      ms: Date.now() - started,
    })
  }
}

/** AXL serializes requests (its rate limit) and backs off when it answers 503. */
let axlQueue: Promise<unknown> = Promise.resolve()
export const AXL_RETRIES = 4

export function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = axlQueue.then(fn, fn)
  axlQueue = run.catch(() => undefined)
  return run
}

export async function withThrottleBackoff<T>(fn: () => Promise<T>, onWait: (seconds: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      const retryAfter = (error as {retryAfter?: number}).retryAfter
      if (retryAfter === undefined || attempt >= AXL_RETRIES) throw error
      const seconds = Math.min(Number.isFinite(retryAfter) ? retryAfter : 1, 30) * attempt
      onWait(seconds)
      await sleep(seconds * 1000)
    }
  }
}

/** GET of CUPI REST (JSON). */
export async function cupiGet(ep: Endpoint, s: HttpSettings, path: string): Promise<any> {
  const started = Date.now()
  let outcome = 'error'
  try {
    const res = await send(ep, s, {method: 'GET', path, headers: {accept: 'application/json'}}).catch((e: UcctlError) => {
      outcome = e.code
      throw e
    })
    outcome = `HTTP ${res.status}`
    if (res.status !== 200) throw new InternalError(`node ${ep.node} answered GET ${path} with HTTP ${res.status}`)
    try {
      const parsed = JSON.parse(res.body)
      outcome = 'ok'
      return parsed
    } catch {
      throw new InternalError(`node ${ep.node} answered GET ${path} with a body that is not JSON`, {
        hint: 'run again with --debug-wire FILE and report the exchange',
      })
    }
  } finally {
    s.log.audit({context: s.context, node: ep.node, interface: 'CUPI', operation: `GET ${path}`, outcome, ms: Date.now() - started})
  }
}
