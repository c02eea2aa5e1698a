// One command's connection to a cisco context: its settings and credentials, the product
// interfaces it calls (AXL on the publisher, Control Center Services and PerfMon on each node,
// CUPI on Unity Connection, the platform CLI over SSH), each named by the WSDL it follows.
import {NotFoundError, UsageError} from '../../errors.js'
import type {Product} from '../../domain/services.js'
import {cupiGet, type Endpoint, type HttpSettings, serialized, soap, withThrottleBackoff, type XmlTree} from './http.js'
import {openShell, type PlatformShell} from './ssh.js'

export type CiscoProduct = Extract<Product, 'cucm' | 'imp' | 'cuc'>

export interface CiscoNode {
  name: string
  product: CiscoProduct
  role: 'publisher' | 'subscriber' | null
  /** https origin of the node's web services (Control Center, PerfMon, CUPI). */
  url: string
  /** SSH port of the platform CLI (22 when absent). */
  sshPort?: number
}

/** What a context of kind cisco stores (never the password: that is in the credential store). */
export interface CiscoSettings {
  publisher: string
  username: string
  readOnly: boolean
  /** The AXL schema version spoken (from getCCMVersion at `context add`). */
  axlVersion: string
  nodes: CiscoNode[]
}

/** Serviceability namespace (ControlCenterServices.wsdl, PerfmonService.wsdl targetNamespace). */
const AST_NS = 'http://schemas.cisco.com/ast/soap'

export class CiscoSession {
  private shells = new Map<string, Promise<PlatformShell>>()

  constructor(
    readonly context: string,
    readonly settings: CiscoSettings,
    readonly http: HttpSettings,
    private readonly notice: (m: string) => void,
  ) {}

  get nodes(): CiscoNode[] {
    return this.settings.nodes
  }

  /** The node named `name` (exit 2 when unknown), optionally checked to run `product`. */
  node(name: string | undefined, product?: CiscoProduct, what = 'this'): CiscoNode {
    const candidates = product ? this.nodes.filter((n) => n.product === product) : this.nodes
    if (name === undefined) {
      if (candidates.length === 1) return candidates[0]
      throw new UsageError(`--node is required: context ${this.context} has ${candidates.length} ${product ? `${product} ` : ''}nodes`, {
        hint: `nodes: ${candidates.map((n) => n.name).join(', ')}`,
      })
    }
    const node = this.nodes.find((n) => n.name.toLowerCase() === name.toLowerCase())
    if (!node)
      throw new NotFoundError(`no node "${name}" in context ${this.context}`, {hint: `nodes: ${this.nodes.map((n) => n.name).join(', ')}`})
    if (product && node.product !== product) throw new UsageError(`${node.name} is a ${node.product} node: ${what} is on ${product} nodes`)
    return node
  }

  private endpoint(node: CiscoNode): Endpoint {
    return {node: node.name, url: node.url}
  }

  /** AXL on the publisher: one request at a time, backing off on its throttle answer. */
  axl(operation: string, body: XmlTree, version = this.settings.axlVersion): Promise<any> {
    const ep = {node: 'publisher', url: this.settings.publisher}
    const call = {
      path: '/axl/',
      namespace: `http://www.cisco.com/AXL/API/${version}`,
      action: `CUCM:DB ver=${version} ${operation}`,
      operation,
      body,
      qualified: false,
      interface: 'AXL',
    }
    return serialized(() =>
      withThrottleBackoff(
        () => soap(ep, this.http, call),
        (s) => this.notice(`ucctl: AXL is throttling requests; trying again in ${s} s`),
      ),
    )
  }

  /** Control Center Services of one node (ControlCenterServices.wsdl). */
  controlCenter(node: CiscoNode, operation: string, body: XmlTree): Promise<any> {
    return soap(this.endpoint(node), this.http, {
      path: '/controlcenterservice2/services/ControlCenterServices',
      namespace: AST_NS,
      action: operation,
      operation,
      body,
      qualified: true,
      interface: 'Control Center Services',
    })
  }

  /** PerfMon of one node (PerfmonService.wsdl). */
  perfmon(node: CiscoNode, operation: string, body: XmlTree): Promise<any> {
    return soap(this.endpoint(node), this.http, {
      path: '/perfmonservice2/services/PerfmonService',
      namespace: AST_NS,
      action: operation,
      operation,
      body,
      qualified: true,
      interface: 'PerfMon',
    })
  }

  cupi(node: CiscoNode, path: string): Promise<any> {
    return cupiGet(this.endpoint(node), this.http, path)
  }

  /** The platform CLI of one node, opened once per command. */
  shell(node: CiscoNode): Promise<PlatformShell> {
    let s = this.shells.get(node.name)
    if (!s) {
      s = openShell(node.name, {host: new URL(node.url).hostname, port: node.sshPort ?? 22}, this.http, this.notice)
      this.shells.set(node.name, s)
      s.catch(() => this.shells.delete(node.name))
    }
    return s
  }

  async close(): Promise<void> {
    for (const s of this.shells.values())
      await s.then(
        (x) => x.close(),
        () => undefined,
      )
    this.shells.clear()
  }
}
