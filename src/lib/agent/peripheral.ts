// The CTI OS node's peripheral (SPEC §3, LOAD-1..6): its PG Explorer Configuration Parameters
// field, the ICM and CTI OS versions, and a small model of its Peripheral Gateway. The PG is
// not a CTI OS process (SVC-1): its restart is an operation of this module, not a service.
// The PG reads the field when it starts (LOAD-1), so `loadInEffect` changes only on restart.
// It also holds the CTI OS server's desktop connection profile (RejectIfAlreadyLoggedIn, LOAD-5:
// `ucctl ctios settings`); the node's CTI OS server (ctios-failover.ts) reads both through
// `peripheralOf`: the /LOAD in effect decides agent state after a failover (LOAD-2 run time).
import {setTimeout as sleep} from 'node:timers/promises'
import type {FastifyInstance} from 'fastify'
import {JsonStore} from '../durable.js'
import {RefusedError, UsageError} from '../errors.js'
import {documentValidator} from '../compiled-validators.js'
import {
  effectiveLoad,
  failoverAgentState,
  type FailoverAgentState,
  loadChangeRefusal,
  parseConfigurationParameters,
  withLoad,
} from '../domain/load-parameter.js'
import {toVersion} from '../domain/version.js'
import type {AgentContext, AgentModule} from './module.js'

export type PgState = 'online' | 'offline'

/** What this node's CTI OS server reads of its peripheral and desktop connection profile. */
export interface PeripheralHandle {
  /** LOAD-2 (run time): agent state after a failover, with the rule that decides it. */
  afterFailover(): {mode: FailoverAgentState; rule: string; loadInEffect: 0 | 1 | null}
  /** LOAD-5: RejectIfAlreadyLoggedIn of the desktop connection profile. */
  rejectIfAlreadyLoggedIn(): 0 | 1
}

const handles = new WeakMap<AgentContext, PeripheralHandle>()

/** The peripheral of the node whose agent context this is (undefined before the module is made). */
export function peripheralOf(ctx: AgentContext): PeripheralHandle | undefined {
  return handles.get(ctx)
}

interface PeripheralSettings {
  configurationParameters: string
  icmVersion: string
  ctiosVersion: string | null
  upgradedFrom: string | null
  rejectIfAlreadyLoggedIn: 0 | 1
}

interface Persisted extends PeripheralSettings {
  /** The /LOAD the PG read at its last start (null: unknown). */
  loadInEffect: 0 | 1 | null
  lastRestartAt: string | null
}

const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['configurationParameters', 'icmVersion'],
  properties: {
    configurationParameters: {type: 'string', maxLength: 1000},
    icmVersion: {type: 'string', minLength: 1},
    ctiosVersion: {type: ['string', 'null']},
    upgradedFrom: {type: ['string', 'null']},
    rejectIfAlreadyLoggedIn: {enum: [0, 1]},
  },
} as const

/** DESIGN.md "The default lab": CTI OS 8.0 on ICM 8.0(1) with /LOAD 0. */
const DEFAULTS: PeripheralSettings = {
  configurationParameters: '/LOAD 0',
  icmVersion: '8.0(1)',
  ctiosVersion: '8.0',
  upgradedFrom: null,
  rejectIfAlreadyLoggedIn: 0,
}

async function readSettings(ctx: AgentContext): Promise<PeripheralSettings> {
  const raw = ctx.config.settings.peripheral
  if (raw === undefined) return {...DEFAULTS, ctiosVersion: ctx.config.version}
  const validate = await documentValidator(SETTINGS_SCHEMA)
  if (!validate(raw)) {
    throw new UsageError(
      `settings.peripheral of ${ctx.config.name} is invalid: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`,
    )
  }
  const s = {...DEFAULTS, ctiosVersion: ctx.config.version, ...(raw as Partial<PeripheralSettings>)}
  // Versions that do not parse are a configuration error, found at start rather than at check.
  for (const v of [s.icmVersion, s.ctiosVersion, s.upgradedFrom]) if (v !== null) toVersion(v)
  return s
}

export async function peripheralModule(ctx: AgentContext): Promise<AgentModule> {
  const settings = await readSettings(ctx)
  const store = new JsonStore<Persisted>(ctx.stateDir('peripheral'), 'peripheral.json', {
    ...settings,
    loadInEffect: effectiveLoad(settings.configurationParameters, settings.icmVersion),
    lastRestartAt: null,
  })
  let pg: PgState = 'online'
  const node = ctx.config.name

  const view = () => {
    const d = store.data
    const load = effectiveLoad(d.configurationParameters, d.icmVersion)
    return {
      node,
      configurationParameters: d.configurationParameters,
      /** The /LOAD the field gives (written, or the ICM default). */
      load,
      loadInEffect: d.loadInEffect,
      pending: load !== d.loadInEffect,
      icmVersion: d.icmVersion,
      ctiosVersion: d.ctiosVersion,
      upgradedFrom: d.upgradedFrom,
      rejectIfAlreadyLoggedIn: d.rejectIfAlreadyLoggedIn,
      pg: {state: pg, lastRestartAt: d.lastRestartAt},
    }
  }

  handles.set(ctx, {
    afterFailover: () => ({...failoverAgentState(store.data), loadInEffect: store.data.loadInEffect}),
    rejectIfAlreadyLoggedIn: () => store.data.rejectIfAlreadyLoggedIn,
  })
  const settingsView = () => ({node, desktopConnectionProfile: {rejectIfAlreadyLoggedIn: store.data.rejectIfAlreadyLoggedIn}})

  return {
    nodeInfo: () => ({peripheral: {pg, loadInEffect: store.data.loadInEffect, pending: view().pending}}),
    routes(app: FastifyInstance) {
      app.get('/v1/peripheral', async () => view())

      app.put<{Body: {value: 0 | 1}}>(
        '/v1/peripheral/load',
        {schema: {body: {type: 'object', additionalProperties: false, required: ['value'], properties: {value: {enum: [0, 1]}}}}},
        async (req) => {
          const d = store.data
          const field = withLoad(d.configurationParameters, req.body.value)
          // Refuse a value the rules forbid for this node (it uses CTI OS: LOAD-1, LOAD-4).
          const broken = loadChangeRefusal(d, req.body.value)
          if (broken)
            throw new RefusedError(`refusing /LOAD ${req.body.value} on ${node}: ${broken.message}`, {rule: broken.rule, hint: broken.fix})
          if (field !== d.configurationParameters) {
            const from = d.configurationParameters
            d.configurationParameters = field
            store.save()
            ctx.events.emit({
              type: 'PeripheralConfiguration',
              message: `Configuration Parameters "${from}" → "${field}"; takes effect when the PG restarts (LOAD-1)`,
              data: {from, to: field, rule: 'LOAD-1'},
            })
          }
          return view()
        },
      )

      // LOAD-5 (run time): the CTI OS server's desktop connection profile.
      app.get('/v1/ctios/settings', async () => settingsView())
      app.put<{Body: {rejectIfAlreadyLoggedIn: 0 | 1}}>(
        '/v1/ctios/settings',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['rejectIfAlreadyLoggedIn'],
              properties: {rejectIfAlreadyLoggedIn: {enum: [0, 1]}},
            },
          },
        },
        async (req) => {
          const d = store.data
          const to = req.body.rejectIfAlreadyLoggedIn
          if (d.rejectIfAlreadyLoggedIn !== to) {
            const from = d.rejectIfAlreadyLoggedIn
            d.rejectIfAlreadyLoggedIn = to
            store.save()
            ctx.events.emit({
              type: 'CtiosSettings',
              message: `desktop connection profile: RejectIfAlreadyLoggedIn ${from} → ${to} (LOAD-5)`,
              data: {setting: 'RejectIfAlreadyLoggedIn', from, to, rule: 'LOAD-5'},
            })
          }
          return settingsView()
        },
      )

      app.post('/v1/peripheral/restart', async (_req, reply) => {
        const op = ctx.operations.start('pg-restart', {peripheral: 'PG'}, ['peripheral:pg'], async (progress) => {
          pg = 'offline'
          const offline = 'PG going offline (restart: it reads the Configuration Parameters when it starts, LOAD-1)'
          ctx.events.emit({type: 'PeripheralGateway', message: offline, data: {state: 'offline', rule: 'LOAD-1'}})
          progress('PG going offline')
          await sleep(ctx.config.timingValues.pgRestartMs)
          const d = store.data
          // The PG starts with whatever the field holds now; a malformed field still starts it.
          const parsed = parseConfigurationParameters(d.configurationParameters)
          d.loadInEffect = effectiveLoad(parsed, d.icmVersion)
          d.lastRestartAt = new Date().toISOString()
          store.save()
          pg = 'online'
          const online = `PG back online, ${d.loadInEffect === null ? 'no known /LOAD' : `/LOAD ${d.loadInEffect}`} in effect`
          ctx.events.emit({
            type: 'PeripheralGateway',
            message: online,
            data: {state: 'online', loadInEffect: d.loadInEffect, rule: 'LOAD-1'},
          })
          progress(online)
          return {peripheral: view()}
        })
        return reply.status(202).send(op)
      })
    },
  }
}
