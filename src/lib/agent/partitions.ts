// Unified CM and IM and Presence partitions (SPEC §5): an active and an inactive partition per
// node, `upgrade` installs a version on the inactive one, `switch-version` makes it active and
// restarts the node's services. UPG-4: every action is validated before anything runs, against
// the whole cluster's partitions and histories, read from the peers (never guessed).
import type {FastifyInstance} from 'fastify'
import type {Answer} from '../api/index.js'
import {setTimeout as sleep} from 'node:timers/promises'
import {JsonStore} from '../durable.js'
import {NotFoundError, RefusedError, UsageError} from '../errors.js'
import {type Cluster, type HistoryEntry, type NodePartitions, type Refusal, type UpgradeAction, planUpgrade} from '../domain/upgrade.js'
import {
  allowedBecause,
  checkNodeAction,
  clusterFromPartitions,
  stepOf,
  switchVersionTarget,
  upgradeTargetFor,
} from '../domain/upgrade-guards.js'
import {installableVersion, parseVersion} from '../domain/version.js'
import type {AgentContext, AgentModule, AgentModuleFactory} from './module.js'
import type {Operation, StartOptions} from './operations.js'
import {serve} from './route.js'

/** GET /v1/partitions. */
export type PartitionsReport = Answer<'GET /v1/partitions'>

interface State {
  active: string
  inactive: string | null
  history: HistoryEntry[]
}

export const UPGRADE_PRODUCTS = ['cucm', 'imp'] as const
/** The lock key of the node's partitions: one upgrade or switch-version at a time. */
const PARTITIONS_LOCK = 'partitions'

type StartOperation = (
  target: Record<string, string>,
  locks: string[],
  work: (progress: (m: string) => void, signal: AbortSignal) => Promise<Record<string, unknown>>,
  opts?: StartOptions,
) => Operation
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
  /** The upgrade or switch-version running on this node. */
  let running: {id: string; action: UpgradeAction} | null = null

  const report = (): PartitionsReport => ({
    node: config.name,
    product: config.product as NodePartitions['product'],
    role: config.role,
    cluster: config.cluster,
    active: state.active,
    inactive: state.inactive,
    history: state.history,
    operation: running,
  })

  /** Every cucm/imp node of the cluster, this one included; a peer that does not answer refuses. */
  async function cluster(action: UpgradeAction): Promise<{cluster: Cluster; history: HistoryEntry[]}> {
    const peers = await Promise.all(
      config.peers.map(async (p): Promise<NodePartitions | null> => {
        try {
          const info = await ctx.peer(p.name).call('GET /v1/node')
          if (!(UPGRADE_PRODUCTS as readonly string[]).includes(info.product)) return null
          return await ctx.peer(p.name).call('GET /v1/partitions')
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

  /**
   * One upgrade or switch-version at a time per node, from its validation (the peers are asked)
   * to the end of its operation: the partitions' lock key is reserved while `body` validates, and
   * the operation `start` begins takes it over (a second action meanwhile is 409 Busy).
   */
  async function exclusively<T>(action: UpgradeAction, body: (start: StartOperation) => Promise<T>): Promise<T> {
    const reservation = operations.reserve(action, [PARTITIONS_LOCK])
    try {
      return await body((target, locks, work, opts = {}) => {
        const op = operations.start(
          action,
          target,
          [PARTITIONS_LOCK, ...locks],
          async (progress, signal) => {
            try {
              return await work(progress, signal)
            } finally {
              running = null
            }
          },
          {...opts, owner: reservation.id},
        )
        running = {id: op.id, action}
        return op
      })
    } finally {
      // Refused, previewed or failed to start: free again. A started operation holds the key until done.
      reservation.release()
    }
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
      serve(app, 'GET /v1/partitions', async () => report())

      serve(
        app,
        'POST /v1/node/upgrade',
        async (req, reply) => {
          const version = installableVersion(req.body.version)
          return exclusively('upgrade', async (start) => {
            const {data} = await validate('upgrade', version)
            // Cancellable: the install writes the inactive partition only; the active one runs on.
            const op = start(
              {node: config.name, version},
              [],
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
            reply.code(202)
            return op
          })
        },
        async (req) => {
          const version = installableVersion(req.body.version)
          return exclusively('upgrade', async () => {
            const {rules} = await validate('upgrade', version)
            const from = state.inactive ?? 'empty'
            return {node: config.name, action: 'upgrade' as const, changes: [`inactive partition: ${from} → ${version}`], rules}
          })
        },
      )

      /** What this node's upgrade installed: once switched, that is what the checks see as done. */
      const switchTarget = () => switchVersionTarget({node: config.name, inactive: state.inactive, history: state.history})
      serve(
        app,
        'POST /v1/node/switch-version',
        async (_req, reply) => {
          return exclusively('switch-version', async (start) => {
            const target = switchTarget()
            const {data} = await validate('switch-version', target)
            const services = nodeManager.names()
            const op = start(
              {node: config.name, version: target},
              services.map((s) => `service:${s}`),
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
            reply.code(202)
            return op
          })
        },
        async () => {
          return exclusively('switch-version', async () => {
            const target = switchTarget()
            const {rules} = await validate('switch-version', target)
            const changes = [
              `active partition: ${state.active} → ${target}`,
              `inactive partition: ${target} → ${state.active}`,
              `every service restarted (${nodeManager.names().join(', ')})`,
            ]
            return {node: config.name, action: 'switch-version' as const, changes, rules}
          })
        },
      )
    },
  }
}
