// One error hierarchy for the CLI and the agent. Each class knows its exit code (DESIGN.md
// "Exit codes") and its HTTP status (DESIGN.md "Agent API"), so the mapping lives here only.

export const EXIT_CODES = [
  {code: 0, meaning: 'done; the check passed; the state was reached'},
  {code: 1, meaning: 'internal error (a bug, an I/O failure)'},
  {code: 2, meaning: 'usage or bad input: unknown flag, malformed value or file, unknown node/service/group'},
  {code: 3, meaning: 'a check found problems, or a queried condition is false'},
  {code: 4, meaning: 'authentication or authorization failed'},
  {code: 5, meaning: 'refused: the action breaks a rule in the current state; nothing was changed'},
  {code: 6, meaning: 'conflict: another operation is running on that node or group'},
  {code: 7, meaning: 'unreachable: no agent answered'},
  {code: 124, meaning: 'timed out waiting; the operation may still be running'},
  {code: 130, meaning: 'interrupted (Ctrl-C): at a prompt nothing was changed; a running operation goes on'},
] as const

export type ExitCode = (typeof EXIT_CODES)[number]['code']

export interface ErrorDetails {
  rule?: string
  hint?: string
  /** Extra machine-readable facts (current state, allowed actions, ...). */
  details?: Record<string, unknown>
  cause?: unknown
}

export interface WireError {
  code: string
  message: string
  rule?: string
  hint?: string
  details?: Record<string, unknown>
}

export abstract class UcctlError extends Error {
  abstract readonly exitCode: ExitCode
  abstract readonly httpStatus: number
  abstract readonly code: string
  readonly rule?: string
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.rule = opts.rule
    this.hint = opts.hint
    this.details = opts.details
  }

  toWire(): WireError {
    const wire: WireError = {code: this.code, message: this.message}
    if (this.rule) wire.rule = this.rule
    if (this.hint) wire.hint = this.hint
    if (this.details) wire.details = this.details
    return wire
  }
}

export class InternalError extends UcctlError {
  readonly exitCode = 1
  readonly httpStatus = 500
  readonly code = 'Internal'
}

/** Bad input: malformed flag, value, file or request body. */
export class UsageError extends UcctlError {
  readonly exitCode = 2
  readonly httpStatus = 400
  readonly code = 'BadRequest'
}

/** Unknown node, service, group, operation... Still the client's mistake: exit 2. */
export class NotFoundError extends UcctlError {
  readonly exitCode = 2
  readonly httpStatus = 404
  readonly code = 'NotFound'
}

/** A check found problems or a queried condition is false. */
export class CheckFailedError extends UcctlError {
  readonly exitCode = 3
  readonly httpStatus = 200
  readonly code = 'CheckFailed'
}

/** An action that changed something and then could not finish: the state reached is in its details. */
export class PartialFailureError extends UcctlError {
  readonly exitCode = 1
  readonly httpStatus = 500
  readonly code = 'Failed'
}

/** Ctrl-C: at a prompt (nothing changed), or while waiting (the operation goes on). */
export class InterruptedError extends UcctlError {
  readonly exitCode = 130
  readonly httpStatus = 499
  readonly code = 'Interrupted'
}

export class UnauthorizedError extends UcctlError {
  readonly exitCode = 4
  readonly httpStatus = 401
  readonly code = 'Unauthorized'
}

export class ForbiddenError extends UcctlError {
  readonly exitCode = 4
  readonly httpStatus = 403
  readonly code = 'Forbidden'
}

/** The action breaks a rule in the current state; nothing was changed. */
export class RefusedError extends UcctlError {
  readonly exitCode = 5
  readonly httpStatus = 422
  readonly code = 'Refused'
}

/**
 * A call or message the server does not take now (reorder tone in Code Yellow, a status that
 * answers no calls): simulated traffic refused by a rule, with that rule; nothing changed.
 */
export class RejectedError extends UcctlError {
  readonly exitCode = 5
  readonly httpStatus = 429
  readonly code = 'Rejected'
}

/** Another operation is running on that node or group. */
export class ConflictError extends UcctlError {
  readonly exitCode = 6
  readonly httpStatus = 409
  readonly code = 'Busy'
}

export class UnreachableError extends UcctlError {
  readonly exitCode = 7
  readonly httpStatus = 502
  readonly code = 'Unreachable'
}

export class WaitTimeoutError extends UcctlError {
  readonly exitCode = 124
  readonly httpStatus = 504
  readonly code = 'Timeout'
}

const BY_STATUS: Record<number, new (message: string, opts?: ErrorDetails) => UcctlError> = {
  400: UsageError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  405: UsageError,
  409: ConflictError,
  413: UsageError,
  415: UsageError,
  422: RefusedError,
  // Traffic a rule refuses (RejectedError): to the client, a refusal like any other (exit 5).
  429: RefusedError,
}

const ERROR_CLASSES = [
  InternalError,
  PartialFailureError,
  InterruptedError,
  UsageError,
  NotFoundError,
  CheckFailedError,
  UnauthorizedError,
  ForbiddenError,
  RefusedError,
  ConflictError,
  UnreachableError,
  WaitTimeoutError,
]
const BY_CODE = new Map<string, new (message: string, opts?: ErrorDetails) => UcctlError>(
  ERROR_CLASSES.map((Cls) => [new Cls('').code, Cls]),
)

/** The HTTP status an agent answers a wire error code with (RejectedError is the agent's only). */
export function httpStatusOf(code: string): number {
  const Cls = [...ERROR_CLASSES, RejectedError].find((C) => new C('').code === code) ?? InternalError
  return new Cls('').httpStatus
}

/** Rebuilds the typed error from an agent's error answer (by its code, else its HTTP status). */
export function errorFromWire(status: number, wire: Partial<WireError> | undefined): UcctlError {
  const Cls = (wire?.code && BY_CODE.get(wire.code)) || BY_STATUS[status] || InternalError
  const message = wire?.message ?? `agent answered HTTP ${status}`
  return new Cls(message, {rule: wire?.rule, hint: wire?.hint, details: wire?.details})
}

/** The one place that turns any thrown value into an exit code. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UcctlError) return err.exitCode
  // oclif's parser errors (unknown flag, missing or malformed value) carry exit 2.
  const oclifExit = (err as {oclif?: {exit?: number}} | undefined)?.oclif?.exit
  if (oclifExit === 2) return 2
  return 1
}
