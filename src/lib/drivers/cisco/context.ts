// Contexts of kind cisco (DESIGN.md "Contexts"): `context add NAME --cisco URL [--node
// NAME=PRODUCT@URL[,ssh=PORT] ...] [--username U] [--ca FILE] [--read-only]`, the password from a
// hidden prompt, --password-stdin or UCCTL_CISCO_PASSWORD, stored like a token; and the session
// a command opens on such a context.
import * as Flags from '@oclif/core/flags'
import {resolve} from 'node:path'
import {type ContextEntry, readCaFile} from '../../cli/contexts.js'
import {storedToken, storeSecret} from '../../cli/credentials.js'
import {InternalError, UnauthorizedError, UsageError} from '../../errors.js'
import type {HttpSettings} from './http.js'
import {ENTERPRISE_WIDE_NODE, PROCESS_NODE_ROLES} from './mapping.js'
import {type CiscoNode, type CiscoProduct, CiscoSession, type CiscoSettings} from './session.js'
import {wireLog} from './wire.js'

export const ciscoContextFlags = {
  cisco: Flags.string({
    description: "a real Cisco cluster: its Unified CM publisher's URL, e.g. https://cucm-pub.example.net:8443 (kind cisco)",
    exclusive: ['agent'],
  }),
  node: Flags.string({
    description:
      'cisco: a node given by hand, NAME=PRODUCT@URL[,ssh=PORT] with PRODUCT cucm|imp|cuc (repeatable; Unity Connection nodes are never discovered)',
    multiple: true,
    dependsOn: ['cisco'],
  }),
  username: Flags.string({description: 'cisco: application and platform administrator (default: administrator)', dependsOn: ['cisco']}),
  'password-stdin': Flags.boolean({
    description: 'cisco: read the password from standard input (else UCCTL_CISCO_PASSWORD, else a hidden prompt)',
    dependsOn: ['cisco'],
  }),
  'read-only': Flags.boolean({
    description: 'cisco: refuse every command that would change the cluster (exit 5, nothing sent)',
    dependsOn: ['cisco'],
  }),
}

/** The AXL schema versions tried, newest first, until the publisher accepts one (getCCMVersion). */
export const AXL_VERSIONS = ['15.0', '14.0', '12.5', '12.0', '11.5', '11.0', '10.5', '10.0', '9.1', '9.0', '8.5'] as const

const PRODUCTS: readonly CiscoProduct[] = ['cucm', 'imp', 'cuc']

function httpsOrigin(text: string, what: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`${what} "${text}" is not a URL`)
  }
  if (url.protocol !== 'https:') throw new UsageError(`${what} "${text}" must be https: Cisco's interfaces are reached over TLS only`)
  return url.origin
}

/** `--node NAME=PRODUCT@URL[,ssh=PORT]`. */
export function parseNodeFlag(text: string): CiscoNode {
  const m = /^([\w.-]+)=(\w+)@([^,\s]+)(?:,ssh=(\d{1,5}))?$/.exec(text)
  if (!m)
    throw new UsageError(`--node "${text}" is not NAME=PRODUCT@URL[,ssh=PORT]`, {
      hint: 'e.g. --node cuc-pub=cuc@https://cuc-pub.example.net',
    })
  const product = m[2] as CiscoProduct
  if (!PRODUCTS.includes(product)) throw new UsageError(`--node "${text}": product "${m[2]}" is not one of ${PRODUCTS.join(', ')}`)
  const port = m[4] === undefined ? undefined : Number(m[4])
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--node "${text}": ssh port ${port} is out of range`)
  return {name: m[1], product, role: null, url: httpsOrigin(m[3], '--node URL'), ...(port ? {sshPort: port} : {})}
}

async function readPassword(flags: {'password-stdin'?: boolean}): Promise<string> {
  let password: string
  if (flags['password-stdin']) {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '')
  } else if (process.env.UCCTL_CISCO_PASSWORD) {
    password = process.env.UCCTL_CISCO_PASSWORD
  } else {
    if (!process.stdin.isTTY)
      throw new UsageError('no terminal to ask for the password', {hint: 'pipe it in with --password-stdin, or set UCCTL_CISCO_PASSWORD'})
    const {password: ask} = await import('@inquirer/prompts')
    password = await ask({message: 'Password:', mask: true}, {output: process.stderr})
  }
  if (!password) throw new UsageError('the password is empty')
  return password
}

function httpSettings(
  context: string,
  username: string,
  password: string,
  ca: string | undefined,
  debugWire: string | undefined,
): HttpSettings {
  return {context, username, password, ca, log: wireLog({debugWire, secrets: [password]})}
}

/** `context add NAME --cisco URL ...`: asks the publisher (AXL) who the nodes are, then stores the context and the password. */
export async function addCiscoContext(
  name: string,
  flags: {
    cisco: string
    node?: string[]
    username?: string
    ca?: string
    'password-stdin'?: boolean
    'read-only'?: boolean
    'debug-wire'?: string
  },
  notice: (m: string) => void,
): Promise<{entry: ContextEntry; nodes: CiscoNode[]}> {
  const publisher = httpsOrigin(flags.cisco, '--cisco')
  const given = (flags.node ?? []).map(parseNodeFlag)
  const caPath = flags.ca ? resolve(flags.ca) : undefined
  const ca = caPath ? readCaFile(caPath) : undefined
  const username = flags.username ?? 'administrator'
  const password = await readPassword(flags)
  const settings: CiscoSettings = {publisher, username, readOnly: Boolean(flags['read-only']), axlVersion: AXL_VERSIONS[0], nodes: []}
  const s = new CiscoSession(name, settings, httpSettings(name, username, password, ca, flags['debug-wire']), notice)
  // AXL answers a schema version it does not speak with a fault: try older ones (a 401 stops at once).
  let version: string | undefined
  for (const v of AXL_VERSIONS) {
    try {
      const r = await s.axl('getCCMVersion', {}, v)
      version = String(r.return?.componentVersion?.version ?? '')
      settings.axlVersion = v
      break
    } catch (error) {
      if (!(error instanceof UsageError || error instanceof InternalError)) throw error
    }
  }
  if (!version)
    throw new InternalError(`the publisher ${publisher} accepted none of the AXL schema versions ${AXL_VERSIONS.join(', ')}`, {
      hint: 'run again with --debug-wire FILE and report the exchange',
    })
  const r = await s.axl('listProcessNode', {
    searchCriteria: {name: '%'},
    returnedTags: {name: '', description: '', nodeUsage: '', processNodeRole: ''},
  })
  const discovered: CiscoNode[] = (r.return?.processNode ?? [])
    .filter((p: any) => p.name && p.name !== ENTERPRISE_WIDE_NODE)
    .map((p: any) => ({
      name: String(p.name),
      product: PROCESS_NODE_ROLES[String(p.processNodeRole)] ?? 'cucm',
      role: p.nodeUsage === 'Publisher' ? 'publisher' : p.nodeUsage === 'Subscriber' ? 'subscriber' : null,
      url: `https://${p.name}:8443`,
    }))
  // Nodes given by hand win over discovered ones of the same name (their URL, their product).
  const nodes = [
    ...discovered.map((d) => ({...d, ...given.find((g) => g.name.toLowerCase() === d.name.toLowerCase()), role: d.role})),
    ...given.filter((g) => !discovered.some((d) => d.name.toLowerCase() === g.name.toLowerCase())),
  ]
  // Unity Connection servers are not in AXL: the first given is the publisher unless CUPI says otherwise later.
  nodes.filter((n) => n.product === 'cuc').forEach((n, i) => (n.role ??= i === 0 ? 'publisher' : 'subscriber'))
  settings.nodes = nodes
  notice(
    `ucctl: ${publisher} speaks AXL ${settings.axlVersion} (Unified CM ${version}); ${discovered.length} node(s) from listProcessNode, ${given.length} given by hand`,
  )
  const credential = await storeSecret(name, password, notice)
  return {
    entry: {
      kind: 'cisco',
      nodes: nodes.map((n) => ({name: n.name, url: n.url})),
      ...(caPath ? {ca: caPath} : {}),
      credential,
      cisco: settings,
    },
    nodes,
  }
}

/** The session of a command on a cisco context (password: UCCTL_CISCO_PASSWORD, else the stored one). */
export async function openCiscoSession(
  name: string,
  entry: ContextEntry,
  debugWire: string | undefined,
  notice: (m: string) => void,
): Promise<CiscoSession> {
  const settings = entry.cisco as CiscoSettings
  const password = process.env.UCCTL_CISCO_PASSWORD ?? (await storedToken(name, entry.credential, false))
  if (!password)
    throw new UnauthorizedError(`no password stored for context ${name}`, {
      hint: `add the context again: ucctl context add ${name} --cisco ${settings.publisher} (or set UCCTL_CISCO_PASSWORD)`,
    })
  const ca = entry.ca ? readCaFile(entry.ca, `the CA file of context ${name}:`) : undefined
  return new CiscoSession(name, settings, httpSettings(name, settings.username, password, ca, debugWire), notice)
}
