// The nodes of a context that run a given product, asked of the agents themselves (a context
// lists URLs, not products). Nodes that do not answer are reported, never silently dropped.
import {AgentClient, type NodeRef} from '../client/agent-client.js'
import {failed, type NodeOutcome, readNodes, requireAnAnswer} from '../client/outcome.js'
import {NotFoundError, UsageError} from '../errors.js'
import {PRODUCT_NAMES, type Product, withArticle} from '../domain/services.js'
import {pickNode, type Target} from './target.js'

const OTHER_PRODUCT = Symbol('other product')

/**
 * Reads `read` from every node of `product` (or only `name`): one outcome per node needed.
 * A node that does not answer may be one of them, so it counts as needed. When every node
 * needed failed: exit 4 or 7 (DESIGN.md "Reading several nodes"); none of that product: exit 2.
 */
export async function readProductNodes<T>(
  target: Target,
  product: Product,
  read: (client: AgentClient) => Promise<T>,
  name?: string,
): Promise<Array<NodeOutcome<T>>> {
  const nodes = name === undefined ? target.nodes : [pickNode(target, name)]
  const all = await readNodes(nodes, async (n) => {
    const client = new AgentClient(n, {timeoutMs: 5000})
    const info = await client.call('GET /v1/node')
    if (info.product !== product) {
      if (name !== undefined)
        throw new UsageError(`${n.name} is ${withArticle(PRODUCT_NAMES[info.product] ?? info.product)} node, not ${PRODUCT_NAMES[product]}`)
      return OTHER_PRODUCT
    }
    return read(client)
  })
  // A node named on the command line: its own error (exit 2, 4 or 7), as a read of one node.
  if (name !== undefined && !all[0].ok) throw all[0].cause
  const needed = all.filter((o): o is NodeOutcome<T> => !o.ok || o.value !== OTHER_PRODUCT)
  requireAnAnswer(needed, `${PRODUCT_NAMES[product]} nodes of context ${target.context}`)
  if (needed.length === 0)
    throw new NotFoundError(`no ${PRODUCT_NAMES[product]} node in context ${target.context}`, {
      hint: "ucctl status shows each node's product",
    })
  return needed
}

export interface ProductNodes {
  nodes: NodeRef[]
  /** Nodes that could not be read: perhaps of the product. */
  unread: Array<Extract<NodeOutcome<unknown>, {ok: false}>>
}

export async function nodesOfProduct(target: Target, product: Product): Promise<ProductNodes> {
  const outcomes = await readProductNodes(target, product, async () => true)
  return {nodes: outcomes.filter((o) => o.ok).map((o) => o.node), unread: failed(outcomes)}
}

/**
 * The node named `name`, checked to run `product` (a clear exit 2 rather than a 404 route);
 * without a name, the context's only node of that product.
 */
export async function productNode(
  target: Target,
  name: string | undefined,
  product: Product,
  what: string,
): Promise<{node: NodeRef; client: AgentClient}> {
  if (name === undefined && target.nodes.length > 1) {
    const {nodes, unread} = await nodesOfProduct(target, product)
    if (nodes.length === 1) return {node: nodes[0], client: new AgentClient(nodes[0])}
    // The one node needed may be among those not read: their failure is the answer (4 or 7).
    if (nodes.length === 0) requireAnAnswer(unread, `the ${PRODUCT_NAMES[product]} node of context ${target.context}`)
    const couldBe = unread.length > 0 ? ` (and ${unread.map((o) => o.node.name).join(', ')} could not be read)` : ''
    throw new UsageError(`--node is required: this context has ${nodes.length} ${PRODUCT_NAMES[product]} node(s) that answered${couldBe}`, {
      hint: `nodes: ${[...nodes, ...unread.map((o) => o.node)].map((n) => n.name).join(', ')}`,
    })
  }
  const node = pickNode(target, name)
  const client = new AgentClient(node)
  const info = await client.call('GET /v1/node')
  if (info.product !== product) {
    throw new UsageError(
      `${node.name} is ${withArticle(PRODUCT_NAMES[info.product] ?? info.product)} node: ${what} is on ${PRODUCT_NAMES[product]} nodes`,
    )
  }
  return {node, client}
}
