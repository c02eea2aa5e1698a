// Product features plug into the agent as modules: each adds its routes under /v1, fields of
// GET /v1/node, and a start/stop lifecycle. The table of which product runs which module is
// in ./modules.ts; the modules themselves live in their own files.
import type {FastifyBaseLogger, FastifyInstance} from 'fastify'
import type {AgentClient} from '../client/agent-client.js'
import type {ActionEffect, EffectAction} from '../domain/effects.js'
import type {NetworkFaults} from './faults.js'
import type {LoadedNodeConfig} from './config.js'
import type {EventLog} from './events.js'
import type {NodeManager} from './node-manager.js'
import type {OperationRegistry} from './operations.js'

export interface AgentContext {
  readonly config: LoadedNodeConfig
  readonly nodeManager: NodeManager
  readonly events: EventLog
  readonly operations: OperationRegistry
  readonly log: FastifyBaseLogger
  /**
   * A client for a peer of this node (config.peers), by node name. Always talk to peers through
   * it: it names this node to the peer and honours the lab's network faults in both directions.
   */
  peer(name: string, opts?: {timeoutMs?: number}): AgentClient
  /** Lab network faults (is this node isolated from a peer?). */
  readonly faults: NetworkFaults
  /** Where this module may keep durable state (a directory of its own). */
  stateDir(module: string): string
}

export interface AgentModule {
  /** Registers the module's routes (under /v1). */
  routes?(app: FastifyInstance): void
  /** Fields merged into GET /v1/node (e.g. a cluster status, a throttle state). */
  nodeInfo?(): Record<string, unknown>
  /** What `action` on this node would do beyond it (in the previews of actions), from the module's own state. */
  effects?(action: EffectAction): ActionEffect[]
  /** Called once the HTTP server listens (peers may be contacted from here on). */
  start?(): void | Promise<void>
  /** Called on shutdown, before the services are stopped. */
  stop?(): void | Promise<void>
}

export type AgentModuleFactory = (ctx: AgentContext) => AgentModule | Promise<AgentModule>
