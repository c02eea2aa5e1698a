// Wire shapes shared by several route families: names, the error answer, a service's status, an
// operation, an event. Declared once here; the agent's and the CLI's types are derived from them.
import {type Static, Type} from 'typebox'
import {SERVICE_STATES, STARTUP_TYPES} from '../domain/services.js'

/** A name in a path or a body (a service, a node, a group). */
export const Name = Type.String({minLength: 1, maxLength: 200})
export const Id = Type.String({minLength: 1, maxLength: 64})
export const Time = Type.String({format: 'date-time'})
export const NameParams = Type.Object({name: Name})
export const IdParams = Type.Object({id: Id})

/** Every error answer (errors.ts WireError). */
export const ErrorAnswer = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    rule: Type.Optional(Type.String()),
    hint: Type.Optional(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
})

export const ServiceStatus = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  state: Type.Enum(SERVICE_STATES),
  pid: Type.Union([Type.Integer(), Type.Null()]),
  restarts: Type.Integer({minimum: 0}),
  startup: Type.Enum(STARTUP_TYPES),
  console: Type.Boolean(),
  critical: Type.Boolean(),
  uptimeMs: Type.Union([Type.Number(), Type.Null()]),
  lastExit: Type.Union([
    Type.Object({
      code: Type.Union([Type.Integer(), Type.Null()]),
      signal: Type.Union([Type.String(), Type.Null()]),
      time: Time,
      abnormal: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  failure: Type.Optional(Type.String()),
})
export type ServiceStatus = Static<typeof ServiceStatus>

export const OperationState = Type.Union([
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
])
export const Transition = Type.Object({time: Time, message: Type.String()})

/** An action the agent runs (DESIGN.md "Operations"): its transitions, then its result or error. */
export const Operation = Type.Object({
  id: Type.String(),
  node: Type.String(),
  action: Type.String(),
  target: Type.Optional(Type.Record(Type.String(), Type.String())),
  state: OperationState,
  createdAt: Time,
  updatedAt: Time,
  transitions: Type.Array(Transition),
  result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  error: Type.Optional(ErrorAnswer.properties.error),
})
export type Operation = Static<typeof Operation>

export const AgentEvent = Type.Object({
  seq: Type.Integer({minimum: 1}),
  time: Time,
  node: Type.String(),
  type: Type.String(),
  message: Type.String(),
  service: Type.Optional(Type.String()),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})
export type AgentEvent = Static<typeof AgentEvent>

/** What an action would do beyond itself (effects.ts ActionEffect). */
export const ActionEffect = Type.Object({
  rule: Type.String(),
  kind: Type.Union([Type.Literal('change'), Type.Literal('warning')]),
  message: Type.String(),
})

/** A previewed action's answer (dry run): what would change, under which rules, and its effects beyond itself. */
export const Plan = Type.Object({
  changes: Type.Array(Type.String()),
  rules: Type.Array(Type.String()),
  effects: Type.Optional(Type.Array(ActionEffect)),
})
export type Plan = Static<typeof Plan>

/** Shapes the OpenAPI document names once (components.schemas) and refers to. */
export const COMPONENTS = {ServiceStatus, Operation, AgentEvent, ActionEffect, Plan}
