// Unified CM and IM and Presence partitions (SPEC §5): an active and an inactive partition per
// node, `upgrade` installs a version on the inactive one, `switch-version` makes it active and
// restarts the node's services. UPG-4: every action is validated before anything runs, against
// the whole cluster's partitions and histories, read from the peers (never guessed).
import type {FastifyInstance} from 'fastify'
import {setTimeout as sleep} from 'node:timers/promises'
import {JsonStore} from '../durable.js'
import {ConflictError, NotFoundError, RefusedError, UsageError} from '../errors.js'
import {
  type Cluster,
  type HistoryEntry,
  type NodePartitions,
  type Refusal,
  type UpgradeAction,
  allowedBecause,
  checkNodeAction,
  clusterFromPartitions,
  planUpgrade,
  stepOf,
  switchVersionTarget,
  upgradeTargetFor,
} from '../domain/upgrade.js'
import {installableVersion, parseVersion} from '../domain/version.js'
import type {AgentContext, AgentModule, AgentModuleFactory} from './module.js'
import type {StartOptions} from './operations.js'

/** GET /v1/partitions. */
export interface PartitionsReport extends NodePartitions {
  /** The upgrade or switch-version running on this node, if any. */
  readonly operation: {id: string; action: UpgradeAction} | null
}

interface State {
  active: string
  inactive: string | null
  history: HistoryEntry[]
}

export const UPGRADE_PRODUCTS = ['cucm', 'imp'] as const
const PROGRESS_STEPS = 10

export const partitionsModule: AgentModuleFactory = (ctx: AgentContext): AgentModule => {
  const {config, events, operations, nodeManager} = ctx
  const inactiveSetting = config.settings.inactiveVersion
  if (inactiveSetting !== undefined && typeof inactiveSetting !== 'string') {
    throw new UsageError(`settings.inactiveVersion of ${config.name} must be a version string`)
  }
  const store = new JsonStore<State>(ctx.stateDir('partitions'), 'partitions.json', {
    active: parseVersion(config.version).text,
    inactive: inactiveSetting === undefined ? null : installableVersion(inactiveSetting),
    history: [],
  })
  store.save()
  const state = store.data
  const abort = new AbortController()
  /** The action being validated or run: one at a time per node (409 otherwise). */
  let busy: {action: UpgradeAction; operation?: string} | null = null

  const report = (): PartitionsReport => ({
    node: config.name,
    product: config.product as NodePartitions['product'],
    role: config.role,
    cluster: config.cluster,
    active: state.active,
    inactive: state.inactive,
    history: state.history,
    operation: busy?.operation ? {id: busy.operation, action: busy.action} : null,
  })

  /** Every cucm/imp node of the cluster, this one included; a peer that does not answer refuses. */
  async function cluster(action: UpgradeAction): Promise<{cluster: Cluster; history: HistoryEntry[]}> {
    const peers = await Promise.all(
      config.peers.map(async (p): Promise<NodePartitions | null> => {
        try {
          const info = await ctx.peer(p.name).get<{product: string}>('/v1/node')
          if (!(UPGRADE_PRODUCTS as readonly string[]).includes(info.product)) return null
          return await ctx.peer(p.name).get<PartitionsReport>('/v1/partitions')
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error)
          throw new RefusedError(
            `cannot validate ${action} of ${config.name} before it runs: peer ${p.name} (${p.url}) did not answer with its partitions (${why})`,
            {rule: 'UPG-4', hint: `bring the agent of ${p.name} back, then try again; nothing was changed`, details: {peer: p.name}},
          )
        }
      }),
    )
    return clusterFromPartitions([report(), ...peers.filter((p): p is NodePartitions => p !== null)])
  }

  /** Runs the UPG checks; throws RefusedError (422) naming the rule, else returns the dry-run lines. */
  async function validate(action: UpgradeAction, version: string): Promise<{rules: string[]; data: Record<string, unknown>}> {
    const picture = await cluster(action)
    let refusal: Refusal | null
    let target: ReturnType<typeof upgradeTargetFor>
    try {
      target = action === 'upgrade' ? upgradeTargetFor(picture.cluster, config.name, version, picture.history) : version
      refusal = checkNodeAction(picture.cluster, picture.history, config.name, action, version)
    } catch (error) {
      // A malformed picture (two publishers, a peer's odd version) is not the client's mistake.
      if (error instanceof UsageError || error instanceof NotFoundError) {
        throw new RefusedError(`cannot validate ${action} of ${config.name}: ${error.message}`, {
          rule: 'UPG-4',
          hint: "correct the nodes' configuration; nothing was changed",
        })
      }
      throw error
    }
    if (refusal) {
      events.emit({
        type: 'UpgradeRefused',
        message: `${action} ${config.name} to ${version} refused: ${refusal.message}`,
        data: {rule: refusal.rule, action, version},
      })
      throw new RefusedError(refusal.message, {rule: refusal.rule, hint: refusal.hint, details: {action, version}})
    }
    const plan = planUpgrade(picture.cluster, target)
    const step = stepOf(plan, config.name, action)
    return {
      rules: [
        ...allowedBecause(picture.cluster, config.name, action, target, picture.history),
        `UPG-4: validated before anything runs, against the partitions and histories of ${picture.cluster.nodes.map((n) => n.name).join(', ')}`,
      ],
      data: {type: plan.type, rule: plan.rule, step: step?.number},
    }
  }

  /** Claims the node for one action (409 when another is validating or running). */
  /**
   * One upgrade or switch-version at a time per node, from its validation (the peers are asked)
   * to the end of its operation: `body` validates, then starts the operation with `start`.
   */
  async function exclusively<T>(action: UpgradeAction, body: (start: typeof startOperation) => Promise<T>): Promise<T> {
    if (busy) {
      throw new ConflictError(
        `another ${busy.action} is ${busy.operation ? `running (operation ${busy.operation})` : 'being validated'} on ${config.name}`,
        {
          hint: `wait for it: ucctl events --node ${config.name}`,
          ...(busy.operation ? {details: {operation: busy.operation}} : {}),
        },
      )
    }
    busy = {action}
    try {
      return await body(startOperation)
    } finally {
      // Refused, dry run or failed to start: free again. A started operation frees it when done.
      if (busy && !busy.operation) busy = null
    }
  }

  function startOperation(
    action: UpgradeAction,
    target: Record<string, string>,
    locks: string[],
    work: (progress: (m: string) => void, signal: AbortSignal) => Promise<Record<string, unknown>>,
    opts: StartOptions = {},
  ) {
    const op = operations.start(
      action,
      target,
      locks,
      async (progress, signal) => {
        try {
          return await work(progress, signal)
        } finally {
          busy = null
        }
      },
      opts,
    )
    busy = {action, operation: op.id}
    return op
  }

  function save(change: Partial<State>): void {
    Object.assign(state, change)
    store.save()
  }

  async function install(version: string, progress: (m: string) => void, cancel: AbortSignal): Promise<void> {
    const slice = config.timingValues.upgradeInstallMs / PROGRESS_STEPS
    const signal = AbortSignal.any([abort.signal, cancel])
    for (let i = 0; i < PROGRESS_STEPS; i++) {
      progress(`installing ${version} on the inactive partition: ${Math.round((i * 100) / PROGRESS_STEPS)}%`)
      await sleep(slice, undefined, {signal})
    }
    progress(`installing ${version} on the inactive partition: 100%`)
  }

  return {
    nodeInfo: () => ({version: state.active, partitions: {active: state.active, inactive: state.inactive}}),

    stop() {
      abort.abort()
    },

    routes(app: FastifyInstance) {
      app.get('/v1/partitions', async () => report())

      app.post<{Body: {version: string; dryRun?: boolean}}>(
        '/v1/node/upgrade',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['version'],
              properties: {version: {type: 'string', minLength: 1, maxLength: 100}, dryRun: {type: 'boolean'}},
            },
          },
        },
        async (req, reply) => {
          const version = installableVersion(req.body.version)
          return exclusively('upgrade', async (start) => {
            const {rules, data} = await validate('upgrade', version)
            if (req.body.dryRun) {
              const from = state.inactive ?? 'empty'
              return reply
                .status(200)
                .send({node: config.name, action: 'upgrade', changes: [`inactive partition: ${from} → ${version}`], rules})
            }
            // Cancellable: the install writes the inactive partition only; the active one runs on.
            const op = start(
              'upgrade',
              {node: config.name, version},
              ['partitions'],
              async (progress, signal) => {
                try {
                  events.emit({
                    type: 'UpgradeStarted',
                    message: `installing ${version} on the inactive partition of ${config.name}`,
                    data: {...data, version},
                  })
                  await install(version, progress, signal)
                  save({
                    inactive: version,
                    history: [...state.history, {node: config.name, action: 'upgrade', version, time: new Date().toISOString()}],
                  })
                  events.emit({
                    type: 'UpgradeCompleted',
                    message: `${version} installed on the inactive partition of ${config.name} (active: ${state.active})`,
                    data: {...data, version},
                  })
                  return {partitions: {active: state.active, inactive: state.inactive}}
                } catch (error) {
                  if (signal.aborted) {
                    events.emit({
                      type: 'UpgradeCancelled',
                      message: `installing ${version} on ${config.name} cancelled; the inactive partition keeps ${state.inactive ?? 'nothing'}`,
                      data: {...data, version},
                    })
                    throw error
                  }
                  events.emit({
                    type: 'UpgradeFailed',
                    message: `installing ${version} on ${config.name} did not finish: ${(error as Error).message}`,
                    data: {...data, version},
                  })
                  throw error
                }
              },
              {cancellable: () => undefined},
            )
            return reply.status(202).send(op)
          })
        },
      )

      app.post<{Body: {dryRun?: boolean} | undefined}>(
        '/v1/node/switch-version',
        {schema: {body: {type: 'object', additionalProperties: false, properties: {dryRun: {type: 'boolean'}}}}},
        async (req, reply) => {
          return exclusively('switch-version', async (start) => {
            // What this node's upgrade installed: once switched, that is what the checks see as done.
            const target = switchVersionTarget({node: config.name, inactive: state.inactive, history: state.history})
            const {rules, data} = await validate('switch-version', target)
            const services = nodeManager.names()
            if (req.body?.dryRun) {
              const changes = [
                `active partition: ${state.active} → ${target}`,
                `inactive partition: ${target} → ${state.active}`,
                `every service restarted (${services.join(', ')})`,
              ]
              return reply.status(200).send({node: config.name, action: 'switch-version', changes, rules})
            }
            const op = start(
              'switch-version',
              {node: config.name, version: target},
              ['partitions', ...services.map((s) => `service:${s}`)],
              async (progress) => {
                try {
                  const from = state.active
                  events.emit({
                    type: 'SwitchVersionStarted',
                    message: `${config.name} switching version ${from} → ${target}: restarting on the inactive partition`,
                    data: {...data, from, to: target},
                  })
                  progress(`switching to ${target}: restarting on the inactive partition`)
                  await sleep(config.timingValues.switchVersionMs, undefined, {signal: abort.signal})
                  save({active: target, inactive: from})
                  progress(`active partition: ${target}; restarting every service`)
                  const statuses = await nodeManager.restartNode(progress)
                  save({
                    history: [
                      ...state.history,
                      {node: config.name, action: 'switch-version', version: target, time: new Date().toISOString()},
                    ],
                  })
                  events.emit({
                    type: 'SwitchVersionCompleted',
                    message: `${config.name} runs ${target} (inactive: ${from})`,
                    data: {...data, from, to: target},
                  })
                  return {partitions: {active: state.active, inactive: state.inactive}, services: statuses}
                } catch (error) {
                  events.emit({
                    type: 'SwitchVersionFailed',
                    message: `switch version of ${config.name} did not finish: ${(error as Error).message}`,
                    data: {...data, to: target},
                  })
                  throw error
                }
              },
            )
            return reply.status(202).send(op)
          })
        },
      )
    },
  }
}
