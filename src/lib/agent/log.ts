// The agent's log: JSON lines on stderr in pino's shape ({level, time, pid, msg, ...fields}), as
// fastify's logger wrote them. The agent's own (fastify runs without a logger) because loading
// pino was a tenth of an agent's start; requests are not logged (actions are, in the audit log).
import type {FastifyBaseLogger} from 'fastify'

const LEVELS = {trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY} as const
export type LogLevel = keyof typeof LEVELS

type Write = (line: string) => void

/** An Error as pino's standard serializer shows it; other fields as they are. */
const field = (key: string, value: unknown) =>
  key === 'err' && value instanceof Error ? {type: value.name, message: value.message, stack: value.stack} : value

export function agentLog(
  level: LogLevel = 'info',
  write: Write = (line) => process.stderr.write(line),
  bindings: Record<string, unknown> = {},
): FastifyBaseLogger {
  const at = (name: Exclude<LogLevel, 'silent'>) => {
    const n = LEVELS[name]
    return (objOrMsg: unknown, msg?: string) => {
      if (n < LEVELS[level]) return
      const fields = typeof objOrMsg === 'object' && objOrMsg !== null ? (objOrMsg as Record<string, unknown>) : {}
      const text = typeof objOrMsg === 'string' ? objOrMsg : msg
      const line: Record<string, unknown> = {level: n, time: Date.now(), pid: process.pid, ...bindings}
      for (const [k, v] of Object.entries(fields)) line[k] = field(k, v)
      write(`${JSON.stringify(text === undefined ? line : {...line, msg: text})}\n`)
    }
  }
  return {
    level,
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    silent: () => {},
    child: (more: Record<string, unknown>) => agentLog(level, write, {...bindings, ...more}),
  } as unknown as FastifyBaseLogger
}
