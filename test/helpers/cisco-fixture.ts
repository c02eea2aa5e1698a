// A fake Cisco cluster built from the published definitions, for the cisco driver's tests:
// per node an HTTPS server (Control Center Services, PerfMon, AXL on the publisher, CUPI on Unity
// Connection) that REJECTS requests whose SOAPAction, namespace or elements do not match the
// WSDL, and an SSH server (ssh2) with the platform CLI's `admin:` prompt.
// Operation tables are written from: ControlCenterServices.wsdl and PerfmonService.wsdl
// (CiscoDevNet/serviceability-python-zeep-samples schema/), AXLAPI.wsdl and AXLSoap.xsd 14.0
// (CiscoDevNet/axl-python-zeep-samples schema/); only what the driver uses.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {XMLParser} from 'fast-xml-parser'
import {after, before} from 'node:test'
import ssh2 from 'ssh2'
import {tempDir} from './agents.js'
import {type CliResult, runCli, schemaProblems} from './cli.js'

const AST_NS = 'http://schemas.cisco.com/ast/soap'
const AXL_VERSIONS = ['8.5', '9.0', '9.1', '10.0', '10.5', '11.0', '11.5', '12.0', '12.5', '14.0', '15.0']

/** Top-level request elements per operation: required, then optional (order free). */
interface OpDef {
  required: string[]
  optional?: string[]
  /** Allowed children of nested elements. */
  nested?: Record<string, string[]>
}

/** ControlCenterServices.wsdl: elements soapGetServiceStatus, soapDoControlServices (type ControlServiceRequest), getProductInformationList. */
const CONTROL_CENTER_OPS: Record<string, OpDef> = {
  soapGetServiceStatus: {required: ['ServiceStatus']},
  soapDoControlServices: {required: ['ControlServiceRequest'], nested: {ControlServiceRequest: ['NodeName', 'ControlType', 'ServiceList']}},
  getProductInformationList: {required: ['ServiceInfo']},
}
/** ControlCenterServices.wsdl simpleType ControlType. */
const CONTROL_TYPES = ['Start', 'Stop', 'Restart']
/** PerfmonService.wsdl: element perfmonCollectCounterData (Host, Object). */
const PERFMON_OPS: Record<string, OpDef> = {perfmonCollectCounterData: {required: ['Host', 'Object']}}
/** AXLSoap.xsd: GetCCMVersionReq, ListProcessNodeReq (returnedTags required: LProcessNode), GetServiceParameterReq, UpdateServiceParameterReq. */
const AXL_OPS: Record<string, OpDef> = {
  getCCMVersion: {required: [], optional: ['processNodeName']},
  listProcessNode: {
    required: ['searchCriteria', 'returnedTags'],
    optional: ['skip', 'first'],
    nested: {
      searchCriteria: ['name', 'description', 'processNodeRole'],
      returnedTags: ['name', 'description', 'mac', 'ipv6Name', 'nodeUsage', 'lbmHubGroup', 'processNodeRole'],
    },
  },
  getServiceParameter: {required: ['processNodeName', 'name', 'service'], optional: ['returnedTags']},
  updateServiceParameter: {required: ['processNodeName', 'name', 'service'], optional: ['value']},
}

export interface FixtureService {
  name: string
  status: 'Started' | 'Stopped' | 'Starting' | 'Stopping' | 'Unknown'
  activated: boolean
  startTime: string
  /** Never reaches Started after a start or restart. */
  stuck?: boolean
}

export interface FixtureNode {
  name: string
  product: 'cucm' | 'imp' | 'cuc'
  role: 'publisher' | 'subscriber'
  version: string
  inactiveVersion: string | null
  services: FixtureService[]
  /** PerfMon "Cisco CallManager System Performance" counters. */
  counters: Record<string, number>
  params: Record<string, string>
  /** CUPI ServerState / ServerDisplayState codes. */
  cupi?: {state: number; display: number}
  url: string
  sshPort: number
  /** The node is down: its servers are closed. */
  down?: boolean
}

export interface Fixture {
  dir: string
  ca: string
  username: string
  password: string
  nodes: Map<string, FixtureNode>
  /** `utils ha status`: per node, state and reason; haEnabled. */
  ha: {group: string; enabled: boolean; states: Record<string, [string, string]>}
  /** Faults injected on the next request of an operation. */
  faults: Map<string, 'soap-fault' | 'malformed' | 'throttle'>
  /** Requests the fixture rejected as not matching the WSDL (a test asserts it stays empty). */
  rejected: string[]
  /** Every request seen: [node, operation]. */
  requests: Array<[string, string]>
  /** Extra delay of the platform CLI's answers, ms. */
  cliDelayMs: number
  /** How long a service transition takes, ms. */
  transitionMs: number
  nodeFlags(): string[]
  stop(node: string): Promise<void>
  close(): Promise<void>
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, {cwd, stdio: 'pipe'})
}

const parser = new XMLParser({ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: false, parseTagValue: false})
const localName = (k: string) => k.split(':').at(-1)!
const prefixOf = (k: string) => (k.includes(':') ? k.split(':')[0] : '')
const elementKeys = (o: any) => (o && typeof o === 'object' ? Object.keys(o).filter((k) => !k.startsWith('@') && k !== '#text') : [])

/** Checks a SOAP request against an operation table; returns the operation's element or a reason to reject. */
function checkSoap(
  body: string,
  action: string,
  ns: string,
  ops: Record<string, OpDef>,
  qualified: boolean,
): {op: string; el: any} | {reject: string} {
  let doc: any
  try {
    doc = parser.parse(body)
  } catch (error) {
    return {reject: `not XML: ${(error as Error).message}`}
  }
  const envKey = elementKeys(doc).find((k) => localName(k) === 'Envelope')
  if (!envKey) return {reject: 'no SOAP Envelope'}
  const env = doc[envKey]
  const nsOf = (prefix: string, ...scopes: any[]) => scopes.map((s) => s?.[prefix ? `@xmlns:${prefix}` : '@xmlns']).find(Boolean)
  if (nsOf(prefixOf(envKey), env) !== 'http://schemas.xmlsoap.org/soap/envelope/') return {reject: 'Envelope is not SOAP 1.1'}
  const bodyKey = elementKeys(env).find((k) => localName(k) === 'Body')
  const children = elementKeys(env[bodyKey!])
  if (children.length !== 1) return {reject: `Body holds ${children.length} elements`}
  const opKey = children[0]
  const op = localName(opKey)
  const def = ops[op]
  if (!def) return {reject: `unknown operation ${op}`}
  if (action !== op) return {reject: `SOAPAction ${action} does not name ${op}`}
  const el = env[bodyKey!][opKey]
  if (nsOf(prefixOf(opKey), el, env) !== ns) return {reject: `${op} is not in namespace ${ns}`}
  const keys = elementKeys(el)
  for (const k of keys) {
    if (qualified ? prefixOf(k) !== prefixOf(opKey) : prefixOf(k) !== '')
      return {reject: `${op}/${k}: wrong namespace (elementFormDefault ${qualified ? 'qualified' : 'unqualified'})`}
    const name = localName(k)
    if (![...def.required, ...(def.optional ?? [])].includes(name)) return {reject: `${op}: unexpected element ${name}`}
    const allowed = def.nested?.[name]
    if (allowed)
      for (const c of elementKeys(el[k]))
        if (!allowed.includes(localName(c))) return {reject: `${op}/${name}: unexpected element ${localName(c)}`}
  }
  for (const r of def.required) if (!keys.some((k) => localName(k) === r)) return {reject: `${op}: missing element ${r}`}
  const plain: any = {}
  for (const k of keys) plain[localName(k)] = el[k]
  return {op, el: plain}
}

const text = (v: any): string => (typeof v === 'object' && v !== null ? (v['#text'] ?? '') : (v ?? ''))
const esc = (s: string) => s.replace(/[<>&]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;'})[c]!)
const envelope = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`
const fault = (code: string, message: string) =>
  envelope(`<soapenv:Fault><faultcode>soapenv:${code}</faultcode><faultstring>${esc(message)}</faultstring></soapenv:Fault>`)

function serviceItems(list: FixtureService[]): string {
  return list
    .map(
      (s) =>
        `<ns:item><ns:ServiceName>${esc(s.name)}</ns:ServiceName><ns:ServiceStatus>${s.status}</ns:ServiceStatus><ns:ReasonCode>${s.activated ? -1 : -1068}</ns:ReasonCode><ns:ReasonCodeString>${s.activated ? ' ' : 'Service Not Activated'}</ns:ReasonCodeString><ns:StartTime>${s.startTime}</ns:StartTime><ns:UpTime>${s.status === 'Started' ? 60 : -1}</ns:UpTime></ns:item>`,
    )
    .join('')
}

export async function startCiscoFixture(opts: {
  nodes: Array<Omit<FixtureNode, 'url' | 'sshPort'>>
  username?: string
  password?: string
}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ucctl-cisco-fixture-'))
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=fixture CA',
  )
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=127.0.0.1')
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'node.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'node.pem',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  )
  const {readFileSync} = await import('node:fs')
  const tls = {key: readFileSync(join(dir, 'node.key')), cert: readFileSync(join(dir, 'node.pem'))}
  const username = opts.username ?? 'administrator'
  const password = opts.password ?? 'Cisco-fixture-1!'
  const expectedAuth = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
  const nodes = new Map<string, FixtureNode>()
  const servers: Array<{node: string; https: Server; ssh: InstanceType<typeof ssh2.Server>}> = []
  const fx: Fixture = {
    dir,
    ca: join(dir, 'ca.pem'),
    username,
    password,
    nodes,
    ha: {group: 'DefaultCluster', enabled: true, states: {}},
    faults: new Map(),
    rejected: [],
    requests: [],
    cliDelayMs: 0,
    transitionMs: 150,
    nodeFlags: () => [...nodes.values()].map((n) => `--node=${n.name}=${n.product}@${n.url},ssh=${n.sshPort}`),
    async stop(name) {
      const s = servers.find((x) => x.node === name)!
      nodes.get(name)!.down = true
      s.https.closeAllConnections()
      await Promise.all([new Promise((r) => s.https.close(r)), new Promise((r) => s.ssh.close(r))])
    },
    async close() {
      for (const s of servers) if (!nodes.get(s.node)!.down) await fx.stop(s.node)
    },
  }
  const publisher = opts.nodes.find((n) => n.product === 'cucm' && n.role === 'publisher')!
  const transition = (svc: FixtureService, to: 'Started' | 'Stopped') => {
    svc.status = to === 'Started' ? 'Starting' : 'Stopping'
    setTimeout(() => {
      if (to === 'Started' && svc.stuck) return
      svc.status = to
      if (to === 'Started') svc.startTime = new Date().toString()
    }, fx.transitionMs)
  }

  const answerSoap = (
    node: FixtureNode,
    path: string,
    action: string,
    body: string,
  ): {status: number; body: string; headers?: Record<string, string>} => {
    let checked: ReturnType<typeof checkSoap>
    let version = ''
    if (path === '/controlcenterservice2/services/ControlCenterServices')
      checked = checkSoap(body, action, AST_NS, CONTROL_CENTER_OPS, true)
    else if (path === '/perfmonservice2/services/PerfmonService') checked = checkSoap(body, action, AST_NS, PERFMON_OPS, true)
    else if (path === '/axl/' && node === nodes.get(publisher.name)) {
      const m = /^CUCM:DB ver=(\d+\.\d+) (\w+)$/.exec(action)
      if (!m) return {status: 500, body: fault('Client', `bad SOAPAction ${action}`)}
      version = m[1]
      const [major, minor] = node.version.split('.').map(Number)
      if (!AXL_VERSIONS.includes(version) || Number(version) > major + minor / 10)
        return {status: 599, body: fault('Client', `AXL version ${version} is not supported`)}
      checked = checkSoap(body, m[2], `http://www.cisco.com/AXL/API/${version}`, AXL_OPS, false)
    } else return {status: 404, body: ''}
    if ('reject' in checked) {
      fx.rejected.push(`${node.name} ${path}: ${checked.reject}`)
      return {status: 500, body: fault('Client', checked.reject)}
    }
    const {op, el} = checked
    fx.requests.push([node.name, op])
    const injected = fx.faults.get(op)
    if (injected) {
      fx.faults.delete(op)
      if (injected === 'soap-fault') return {status: 500, body: fault('Server', `${op} failed on the server`)}
      if (injected === 'malformed')
        return {status: 200, body: '<?xml version="1.0"?><soapenv:Envelope><soapenv:Body><unclosed></soapenv:Body>'}
      return {status: 503, body: '', headers: {'retry-after': '0'}}
    }
    const ret = (inner: string, ns = AST_NS) => ({
      status: 200,
      body: envelope(`<ns:${op}Response xmlns:ns="${ns}">${inner}</ns:${op}Response>`),
    })
    switch (op) {
      case 'soapGetServiceStatus': {
        const wanted = [el.ServiceStatus]
          .flat()
          .map(text)
          .filter((x: string) => x.trim())
        const list = wanted.length ? node.services.filter((s) => wanted.includes(s.name)) : node.services
        return ret(
          `<ns:soapGetServiceStatusReturn><ns:ReturnCode>0</ns:ReturnCode><ns:ReasonCode>-1</ns:ReasonCode><ns:ReasonString> </ns:ReasonString><ns:ServiceInfoList>${serviceItems(list)}</ns:ServiceInfoList></ns:soapGetServiceStatusReturn>`,
        )
      }
      case 'soapDoControlServices': {
        const req = el.ControlServiceRequest
        const nodeName = text(req[elementKeys(req).find((k) => localName(k) === 'NodeName')!])
        const type = text(req[elementKeys(req).find((k) => localName(k) === 'ControlType')!])
        const listEl = req[elementKeys(req).find((k) => localName(k) === 'ServiceList')!]
        const names = elementKeys(listEl).flatMap((k) => [listEl[k]].flat().map(text))
        // ControlCenterServices acts only on the node it runs on.
        if (nodeName !== node.name || !CONTROL_TYPES.includes(type))
          return {status: 500, body: fault('Client', `NodeName ${nodeName} / ControlType ${type} refused`)}
        const list = node.services.filter((s) => names.includes(s.name))
        for (const s of list) transition(s, type === 'Stop' ? 'Stopped' : 'Started')
        return ret(
          `<ns:soapDoControlServicesReturn><ns:ReturnCode>0</ns:ReturnCode><ns:ServiceInfoList>${serviceItems(list)}</ns:ServiceInfoList></ns:soapDoControlServicesReturn>`,
        )
      }
      case 'getProductInformationList':
        return ret(
          `<ns:getProductInformationListReturn><ns:ActiveServerVersion>${node.version}</ns:ActiveServerVersion><ns:PrimaryNode>${publisher.name}</ns:PrimaryNode><ns:SecondaryNode/><ns:Products/><ns:Services/></ns:getProductInformationListReturn>`,
        )
      case 'perfmonCollectCounterData': {
        if (text(el.Host) !== node.name || text(el.Object) !== 'Cisco CallManager System Performance')
          return {status: 500, body: fault('Client', 'unknown host or object')}
        return ret(
          Object.entries(node.counters)
            .map(
              ([c, v]) =>
                `<ns:perfmonCollectCounterDataReturn><ns:Name>\\\\${node.name}\\Cisco CallManager System Performance\\${c}</ns:Name><ns:Value>${v}</ns:Value><ns:CStatus>1</ns:CStatus></ns:perfmonCollectCounterDataReturn>`,
            )
            .join(''),
        )
      }
      case 'getCCMVersion':
        return ret(
          `<return><componentVersion><version>${node.version}</version></componentVersion></return>`,
          `http://www.cisco.com/AXL/API/${version}`,
        )
      case 'listProcessNode': {
        const rows = [
          {name: 'EnterpriseWideData', role: 'CUCM Voice/Video', usage: 'Publisher'},
          ...[...nodes.values()]
            .filter((n) => n.product !== 'cuc')
            .map((n) => ({
              name: n.name,
              role: n.product === 'imp' ? 'CUCM IM and Presence' : 'CUCM Voice/Video',
              usage: n.role === 'publisher' ? 'Publisher' : 'Subscriber',
            })),
        ]
        return ret(
          `<return>${rows.map((r) => `<processNode uuid="{X}"><name>${r.name}</name><description/><nodeUsage>${r.usage}</nodeUsage><processNodeRole>${r.role}</processNodeRole></processNode>`).join('')}</return>`,
          `http://www.cisco.com/AXL/API/${version}`,
        )
      }
      case 'getServiceParameter':
      case 'updateServiceParameter': {
        const target = nodes.get(text(el.processNodeName))
        const name = text(el.name)
        if (!target || text(el.service) !== 'Cisco CallManager' || !(name in target.params))
          return {status: 500, body: fault('Client', `Item not valid: ${name}`)}
        if (op === 'updateServiceParameter') {
          target.params[name] = text(el.value)
          return ret(`<return>{UUID}</return>`, `http://www.cisco.com/AXL/API/${version}`)
        }
        return ret(
          `<return><serviceParameter><processNodeName>${target.name}</processNodeName><name>${name}</name><service>Cisco CallManager</service><value>${target.params[name]}</value><valueType>Long</valueType></serviceParameter></return>`,
          `http://www.cisco.com/AXL/API/${version}`,
        )
      }
    }
    return {status: 500, body: fault('Server', 'unhandled')}
  }

  const cliAnswer = (node: FixtureNode, line: string): {ask?: string; then: (yes: boolean) => string} => {
    const done = (s: string) => ({then: () => s})
    const haLines = () =>
      `\nSubcluster Name: ${fx.ha.group}\n` +
      [...nodes.values()]
        .filter((n) => n.product === 'imp')
        .map((n, i) => {
          const [state, reason] = fx.ha.enabled ? fx.ha.states[n.name] : ['Unknown', 'High Availability Not Enabled']
          return `   Node ${i + 1} Name : ${n.name} State: ${state} Reason: ${reason}`
        })
        .join('\n') +
      '\nSRM heartbeat interval: 60 seconds (a line ucctl does not know)\n'
    let m: RegExpExecArray | null
    if (line === 'utils ha status') return done(haLines())
    if ((m = /^utils ha (failover|fallback) (\S+)$/.exec(line))) {
      const [, action, name] = m
      const peer = Object.keys(fx.ha.states).find((n) => n !== name)!
      if (!(name in fx.ha.states)) return done('Executed command unsuccessfully\n')
      const [mid, end] =
        action === 'failover'
          ? [
              ['Failing Over', 'Taking Over'],
              ['Idle', 'Running in Backup Mode'],
            ]
          : [
              ['Taking Back', 'Falling Back'],
              ['Normal', 'Normal'],
            ]
      const reason = action === 'failover' ? 'On Admin Request' : 'Normal'
      fx.ha.states[name] = [mid[0], 'On Admin Request']
      fx.ha.states[peer] = [mid[1], 'On Admin Request']
      setTimeout(() => {
        fx.ha.states[name] = [end[0], reason]
        fx.ha.states[peer] = [end[1], reason]
      }, fx.transitionMs)
      return done(
        `Request SUCCESSFUL.\nSubcluster Name: ${fx.ha.group}\n   Node 1 Name : ${peer} State: ${mid[1]} Reason: On Admin Request\n`,
      )
    }
    if ((m = /^show version (active|inactive)$/.exec(line))) {
      const v = m[1] === 'active' ? node.version : node.inactiveVersion
      return done(
        v
          ? `\n${m[1] === 'active' ? 'Active' : 'Inactive'} Master Version: ${v}\n${m[1] === 'active' ? 'Active' : 'Inactive'} Version Installed Software Options:\nNo Installed Software Options Found.\n`
          : '\nNo inactive version found.\n',
      )
    }
    if ((m = /^utils cuc cluster (makeprimary \S+|activate|deactivate)$/.exec(line))) {
      const verb = m[1].split(' ')[0]
      return {
        ask: 'Do you want to continue (y/n)?',
        then: (yes) => {
          if (!yes) return 'Command aborted.\n'
          const cuc = [...nodes.values()].filter((n) => n.product === 'cuc')
          const set = (n: FixtureNode, display: number) => (n.cupi = {state: display === 3 ? 1 : display === 4 ? 8 : 10, display})
          if (verb === 'makeprimary') {
            const target = nodes.get(m![1].split(' ')[1])!
            for (const n of cuc) set(n, 2)
            setTimeout(() => cuc.forEach((n) => set(n, n === target ? 3 : 4)), fx.transitionMs)
          } else if (verb === 'deactivate') setTimeout(() => set(node, 5), fx.transitionMs)
          else setTimeout(() => set(node, 4), fx.transitionMs)
          return 'Command successful.\n'
        },
      }
    }
    if (line === 'show cuc cluster status') {
      const names: Record<number, string> = {1: 'Not Functioning', 2: 'Starting', 3: 'Primary', 4: 'Secondary', 5: 'Deactivated'}
      return done(
        `\nServer Name    Member ID    Server State    Internal State    Reason\n-----------    ---------    ------------    --------------    ------\n` +
          [...nodes.values()]
            .filter((n) => n.product === 'cuc')
            .map((n, i) => `${n.name}    ${i}    ${names[n.cupi!.display]}    Sec Active    Normal`)
            .join('\n') +
          '\n',
      )
    }
    return done('Executed command unsuccessfully\nNo valid command entered\n')
  }

  for (const def of opts.nodes) {
    const node: FixtureNode = {...def, url: '', sshPort: 0}
    nodes.set(node.name, node)
    const https = createServer(tls, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.headers.authorization !== expectedAuth) {
          res.writeHead(401, {'www-authenticate': 'Basic realm="Cisco"'}).end()
          return
        }
        if (req.method === 'GET' && req.url === '/vmrest/vmsservers' && node.product === 'cuc') {
          fx.requests.push([node.name, 'GET /vmrest/vmsservers'])
          const list = [...nodes.values()]
            .filter((n) => n.product === 'cuc')
            .map((n, i) => ({
              HostName: `${n.name}.example.net`,
              IpAddress: '127.0.0.1',
              ClusterMemberId: String(i),
              ServerState: String(n.cupi!.state),
              ServerDisplayState: String(n.cupi!.display),
            }))
          res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({'@total': String(list.length), VmsServer: list}))
          return
        }
        const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '')
        const a = answerSoap(node, req.url ?? '', action, Buffer.concat(chunks).toString('utf8'))
        res.writeHead(a.status, {'content-type': 'text/xml; charset=utf-8', ...a.headers}).end(a.body)
      })
    })
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
    node.url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`
    // ECDSA from node:crypto: about one ed25519 key in 300 from ssh2.utils.generateKeyPairSync
    // cannot be parsed back by ssh2 ("Malformed OpenSSH private key"), which failed a whole run.
    const hostKey = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      privateKeyEncoding: {type: 'sec1', format: 'pem'},
      publicKeyEncoding: {type: 'spki', format: 'pem'},
    }).privateKey
    const ssh = new ssh2.Server({hostKeys: [hostKey]}, (client) => {
      client.on('authentication', (ctx) =>
        ctx.method === 'password' && ctx.username === username && ctx.password === password ? ctx.accept() : ctx.reject(['password']),
      )
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept()
          session.on('pty', (ok) => ok?.())
          session.on('shell', (ok) => {
            const stream = ok()
            stream.write('Welcome to the Platform Command Line Interface\n\nadmin:')
            let line = ''
            let pending: ((yes: boolean) => string) | undefined
            stream.on('data', (d: Buffer) => {
              for (const ch of d.toString('utf8')) {
                if (ch !== '\n') {
                  line += ch
                  continue
                }
                const input = line.trim()
                line = ''
                stream.write(input + '\n')
                const reply = (out: string) => setTimeout(() => stream.write(out + '\nadmin:'), fx.cliDelayMs)
                if (pending) {
                  const then = pending
                  pending = undefined
                  reply(then(/^y(es)?$/i.test(input)))
                  continue
                }
                const a = cliAnswer(node, input)
                if (a.ask) {
                  pending = a.then
                  stream.write(a.ask + ' ')
                } else reply(a.then(true))
              }
            })
          })
        })
      })
      client.on('error', () => undefined)
    })
    await new Promise<void>((r) => ssh.listen(0, '127.0.0.1', r))
    node.sshPort = (ssh.address() as AddressInfo).port
    servers.push({node: node.name, https, ssh})
  }
  for (const n of nodes.values()) if (n.product === 'imp') fx.ha.states[n.name] = ['Normal', 'Normal']
  return fx
}

/** The cluster the tests use: Unified CM 8.6 with IM and Presence 8.6(4) (UPG-5's standard upgrade) and Unity Connection 9.1. */
export function defaultNodes(): Array<Omit<FixtureNode, 'url' | 'sshPort'>> {
  const started = () => new Date(Date.now() - 60_000).toString()
  const svc = (name: string, extra: Partial<FixtureService> = {}): FixtureService => ({
    name,
    status: 'Started',
    activated: true,
    startTime: started(),
    ...extra,
  })
  const counters = {
    AverageExpectedDelay: 3,
    ThrottlingSampleActivity: 0,
    CallsRejectedDueToThrottling: 0,
    TotalCodeYellowEntry: 0,
    CodeYellowEntryExit: 0,
    CodeRedEntryExit: 0,
    QueueSignalsPresent1High: 0,
  }
  const params = {CodeYellowEntryLatency: '20', CodeYellowExitLatency: '40', CodeYellowDuration: '99999', SystemThrottleSampleSize: '10'}
  const cucm = (name: string, role: 'publisher' | 'subscriber') => ({
    name,
    product: 'cucm' as const,
    role,
    version: '8.6.2.10000-30',
    inactiveVersion: null,
    counters: {...counters},
    params: {...params},
    services: [
      svc('Cisco CallManager'),
      svc('Cisco Tftp'),
      svc('Cisco CTIManager', {stuck: true}),
      svc('Name Service Cache', {status: 'Stopped', activated: false}),
    ],
  })
  const imp = (name: string, role: 'publisher' | 'subscriber') => ({
    name,
    product: 'imp' as const,
    role,
    version: '8.6.4.10000-10',
    inactiveVersion: null,
    counters: {},
    params: {},
    services: [svc('Cisco Presence Engine'), svc('Cisco Server Recovery Manager')],
  })
  const cuc = (name: string, role: 'publisher' | 'subscriber', display: number) => ({
    name,
    product: 'cuc' as const,
    role,
    version: '9.1.1.10000-1',
    inactiveVersion: null,
    counters: {},
    params: {},
    services: [svc('Connection Conversation Manager')],
    cupi: {state: display === 3 ? 1 : 8, display},
  })
  return [
    cucm('cucm-pub', 'publisher'),
    cucm('cucm-sub', 'subscriber'),
    imp('imp-pub', 'publisher'),
    imp('imp-sub', 'subscriber'),
    cuc('cuc-pub', 'publisher', 3),
    cuc('cuc-sub', 'subscriber', 4),
  ]
}

/**
 * For one describe(): a fixture cluster and a fresh UCCTL_HOME, started before its tests and
 * removed after; `cli` runs ucctl there, `ok` checks exit 0 and the document's schema.
 */
export function ciscoSuite() {
  const suite = {
    fx: undefined as unknown as Fixture,
    home: '',
    cli: (args: string[], extra: Record<string, string> = {}, input?: string) =>
      runCli(args, {UCCTL_HOME: suite.home, UCCTL_NO_KEYCHAIN: '1', ...extra}, input),
    ok(r: CliResult) {
      assert.equal(r.code, 0, r.stderr + r.stdout)
      assert.deepEqual(schemaProblems(r.json), [], JSON.stringify(r.json))
      return r.json
    },
    /** `context add NAME --cisco` from the fixture's publisher (and its nodes by hand), the password on stdin. */
    addContext: (name: string, ...flags: string[]) =>
      suite.cli(
        [
          'context',
          'add',
          name,
          '--cisco',
          suite.fx.nodes.get('cucm-pub')!.url,
          '--ca',
          suite.fx.ca,
          ...flags,
          '--password-stdin',
          ...suite.fx.nodeFlags(),
          '--json',
        ],
        {},
        `${suite.fx.password}\n`,
      ),
  }
  before(async () => {
    suite.fx = await startCiscoFixture({nodes: defaultNodes()})
    suite.home = tempDir('ucctl-cisco-')
  })
  after(async () => {
    await suite.fx.close()
    rmSync(suite.home, {recursive: true, force: true})
    rmSync(suite.fx.dir, {recursive: true, force: true})
  })
  return suite
}
