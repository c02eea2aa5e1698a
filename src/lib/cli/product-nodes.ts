// The nodes of a context that run a given product, asked of the agents themselves (a context
// lists URLs, not products). Nodes that do not answer are reported, never silently dropped.
import {AgentClient, fanOut, type NodeRef} from '../client/agent-client.js'
import {UcctlError, UsageError} from '../errors.js'
import {PRODUCT_NAMES, type Product, withArticle} from '../domain/services.js'
import {pickNode, type Target} from './target.js'

export interface ProductNodes {
  nodes: NodeRef[]
  unreachable: Array<{name: string; error: string}>
}

export async function nodesOfProduct(target: Target, product: Product): Promise<ProductNodes> {
  const answers = await fanOut(target.nodes, (n) => new AgentClient(n, {timeoutMs: 5000}).get<{product: Product}>('/v1/node'))
  const nodes: NodeRef[] = []
  const unreachable: ProductNodes['unreachable'] = []
  for (const a of answers) {
    if (a.ok) {
      if (a.value.product === product) nodes.push(a.node)
    } else unreachable.push({name: a.node.name, error: a.error instanceof UcctlError ? a.error.message : String(a.error)})
  }
  return {nodes, unreachable}
}

/**
 * The node named `name`, checked to run `product` (a clear exit 2 rather than a 404 route);
 * without a name, the context's only node of that product.
 */
export async function productNode(target: Target, name: string | undefined, product: Product, what: string): Promise<{node: NodeRef; client: AgentClient}> {
  if (name === undefined && target.nodes.length > 1) {
    const {nodes} = await nodesOfProduct(target, product)
    if (nodes.length === 1) return {node: nodes[0], client: new AgentClient(nodes[0])}
    throw new UsageError(`--node is required: this context has ${nodes.length} ${PRODUCT_NAMES[product]} nodes`, {
      hint: nodes.length > 0 ? `nodes: ${nodes.map((n) => n.name).join(', ')}` : undefined,
    })
  }
  const node = pickNode(target, name)
  const client = new AgentClient(node)
  const info = await client.get<{product: Product}>('/v1/node')
  if (info.product !== product) {
    throw new UsageError(`${node.name} is ${withArticle(PRODUCT_NAMES[info.product] ?? info.product)} node: ${what} is on ${PRODUCT_NAMES[product]} nodes`)
  }
  return {node, client}
}
