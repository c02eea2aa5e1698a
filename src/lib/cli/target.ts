// Which agents a command talks to: the named context (--context, UCCTL_CONTEXT, or the current
// one), or the embedded lab (the context `lab`, the default), started on demand.
import {NotFoundError, UsageError} from '../errors.js'
import type {NodeRef} from '../client/agent-client.js'
import {readFileSync} from 'node:fs'
import {LAB_CONTEXT, readContexts} from './contexts.js'
import {storedToken} from './credentials.js'
import {matchName, nearest} from '../suggest.js'

export interface Target {
  context: string
  lab: boolean
  nodes: NodeRef[]
  /** Bearer token for the agents (never printed). */
  token?: string
  /** PEM of the CA trusted for the agents' certificates. */
  ca?: string
}

export async function resolveTarget(opts: {context?: string; notice: (m: string) => void}): Promise<Target> {
  const file = readContexts()
  // `lab` is always a context: the default when none is chosen, and addressable by name.
  const name = opts.context ?? process.env.UCCTL_CONTEXT ?? file.current ?? LAB_CONTEXT
  if (name !== LAB_CONTEXT) {
    const ctx = file.contexts[name]
    if (!ctx) {
      throw new NotFoundError(`no context named "${name}"`, {hint: `contexts: ${[LAB_CONTEXT, ...Object.keys(file.contexts)].join(', ')}`})
    }
    let ca: string | undefined
    if (ctx.ca) {
      try {
        ca = readFileSync(ctx.ca, 'utf8')
      } catch (error) {
        throw new UsageError(`cannot read the CA file ${ctx.ca} of context ${name}: ${(error as NodeJS.ErrnoException).code ?? error}`)
      }
    }
    const token = await storedToken(name, ctx.credential)
    return {context: name, lab: false, nodes: ctx.nodes, token, ca}
  }
  const {labCaPath, labCredentials, labUp, nodeState, readLab} = await import('../lab/launcher.js')
  let lab = readLab()
  if (!lab || lab.nodes.every((n) => nodeState(n) === 'stopped')) {
    lab = await labUp()
    opts.notice(`ucctl: started the embedded lab (${lab.nodes.length} nodes on 127.0.0.1; stop it with: ucctl lab down)`)
  }
  const token = process.env.UCCTL_TOKEN ?? labCredentials()?.operator
  const ca = lab.tls ? readFileSync(labCaPath(), 'utf8') : undefined
  return {context: 'lab', lab: true, nodes: lab.nodes.map((n) => ({name: n.name, url: n.url})), token, ca}
}

/** The node named by --node; optional only when the target has a single node. */
export function pickNode(target: Target, name: string | undefined): NodeRef {
  if (!name) {
    if (target.nodes.length === 1) return target.nodes[0]
    throw new UsageError('--node is required: this context has several nodes', {
      hint: `nodes: ${target.nodes.map((n) => n.name).join(', ')}`,
    })
  }
  const node = matchName(name, target.nodes, (n) => n.name)
  if (!node) {
    const guess = nearest(
      name,
      target.nodes.map((n) => n.name),
    )
    throw new NotFoundError(`no node "${name}" in context ${target.context}`, {
      hint: guess ? `did you mean ${guess}?` : `nodes: ${target.nodes.map((n) => n.name).join(', ')}`,
    })
  }
  return node
}
