// The CTI OS node's peripheral (SPEC §3, LOAD-1..6): its Configuration Parameters field (/LOAD),
// the versions the rules read, and the Peripheral Gateway's restart.
import {Type} from 'typebox'
import {routes} from '../contract.js'
import {ActionEffect, Operation, Plan, Time} from '../schemas.js'

// An enum, not literals: a typed schema lets fastify coerce "0" into 0.
const ZeroOne = Type.Enum([0, 1])
const Load = Type.Union([ZeroOne, Type.Null()])

export const Peripheral = Type.Object({
  node: Type.String(),
  configurationParameters: Type.String(),
  /** The /LOAD the field gives (written, or the ICM default). */
  load: Load,
  /** The /LOAD the PG read when it last started (LOAD-1). */
  loadInEffect: Load,
  pending: Type.Boolean(),
  icmVersion: Type.String(),
  ctiosVersion: Type.Union([Type.String(), Type.Null()]),
  upgradedFrom: Type.Union([Type.String(), Type.Null()]),
  rejectIfAlreadyLoggedIn: ZeroOne,
  pg: Type.Object({state: Type.Enum(['online', 'offline']), lastRestartAt: Type.Union([Time, Type.Null()])}),
})

export const peripheralRoutes = routes({
  'GET /v1/peripheral': {
    summary: "The peripheral's Configuration Parameters, /LOAD written and in effect, versions, PG",
    response: Peripheral,
  },
  'PUT /v1/peripheral/load': {
    summary: 'Writes /LOAD into the Configuration Parameters (LOAD-6: the others stay); with restart, then restarts the PG (LOAD-1)',
    query: Type.Object({restart: Type.Optional(Type.Boolean())}, {additionalProperties: false}),
    body: Type.Object({value: ZeroOne}, {additionalProperties: false}),
    response: Peripheral,
    preview: Type.Intersect([
      Plan,
      Type.Object({node: Type.String(), action: Type.Literal('load set'), effects: Type.Array(ActionEffect)}),
    ]),
    errors: ['Refused'],
  },
  'POST /v1/peripheral/restart': {
    summary: 'Restarts the Peripheral Gateway: it reads the Configuration Parameters when it starts (LOAD-1)',
    response: Operation,
    status: 202,
    errors: ['Busy'],
  },
})
