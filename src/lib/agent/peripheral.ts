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
import {
  effectiveLoad,
  failoverAgentState,
  type FailoverAgentState,
  loadChangeRefusal,
  parseConfigurationParameters,
  REJECT_MEANING,
  withLoad,
} from '../domain/load-parameter.js'
import {toVersion} from '../domain/version.js'
import {type ActionEffect, effectLine} from '../domain/effects.js'
import type {AgentContext, AgentModule} from './module.js'
import {serve} from './route.js'

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

/** What a PG restart does beyond it (CTI-1, CTI-6), said by the node's CTI OS server. */
const pgRestartEffects = new WeakMap<AgentContext, () => ActionEffect[]>()

/** The node's CTI OS server says what a PG restart would do to its softphones (the preview of load set). */
export function onPgRestart(ctx: AgentContext, effects: () => ActionEffect[]): void {
  pgRestartEffects.set(ctx, effects)
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
  const {validatorOf, describeErrors} = await import('../schema.js')
  const validate = await validatorOf(SETTINGS_SCHEMA)
  if (!validate(raw)) {
    throw new UsageError(`settings.peripheral of ${ctx.config.name} is invalid: ${describeErrors(validate.errors)}`)
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
      serve(app, 'GET /v1/peripheral', async () => view())

      /** The field with /LOAD `value`, unless the rules forbid it on this node (it uses CTI OS: LOAD-1, LOAD-4). */
      const loadField = (value: 0 | 1) => {
        const d = store.data
        const broken = loadChangeRefusal(d, value)
        if (broken) throw new RefusedError(`refusing /LOAD ${value} on ${node}: ${broken.message}`, {rule: broken.rule, hint: broken.fix})
        return withLoad(d.configurationParameters, value)
      }
      serve(
        app,
        'PUT /v1/peripheral/load',
        async (req) => {
          const d = store.data
          const field = loadField(req.body.value)
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
        async (req) => {
          const d = store.data
          const value = req.body.value
          const field = loadField(value)
          const changes: string[] = []
          if (field !== d.configurationParameters) changes.push(`Configuration Parameters: "${d.configurationParameters}" → "${field}"`)
          // The PG restart's effects on the softphones (CTI-1, CTI-6), from this node's CTI OS server.
          const effects = req.query.restart ? (pgRestartEffects.get(ctx)?.() ?? []) : []
          if (req.query.restart)
            changes.push(
              `PG: online → offline → online; /LOAD ${d.loadInEffect ?? '?'} → /LOAD ${value} in effect`,
              ...effects.map(effectLine),
            )
          const rules = [
            'LOAD-6: /LOAD is replaced in the field; the other parameters are kept',
            'LOAD-1: the PG must restart for the change to apply; CTI OS failover needs /LOAD 0',
            ...effects.map((e) => e.rule),
          ]
          return {node, action: 'load set', changes, rules, effects}
        },
      )

      // LOAD-5 (run time): the CTI OS server's desktop connection profile.
      serve(app, 'GET /v1/ctios/settings', async () => settingsView())
      serve(
        app,
        'PUT /v1/ctios/settings',
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
        async (req) => {
          const from = store.data.rejectIfAlreadyLoggedIn
          const to = req.body.rejectIfAlreadyLoggedIn
          const changes = from === to ? [] : [`RejectIfAlreadyLoggedIn: ${from} → ${to}: ${REJECT_MEANING[to]}`]
          return {node, action: 'ctios settings', changes, rules: ['LOAD-5']}
        },
      )

      serve(app, 'POST /v1/peripheral/restart', async (_req, reply) => {
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
        reply.code(202)
        return op
      })
    },
  }
}
