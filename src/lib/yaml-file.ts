// Reading a YAML file that must fit a JSON Schema (node.yaml, topologies, runbooks): one way,
// with the file's path and every problem in the message, and exit 2 for the operator. Each
// problem names the key, its line, the allowed values and, for a typo, the nearest key.
import {readFileSync} from 'node:fs'
import {validatorOf} from './schema.js'
import {UsageError} from './errors.js'
import {nearest} from './suggest.js'

export interface YamlProblem {
  /** The key in dotted form (`services.0.command`), or the document itself (''). */
  key: string
  /** 1-based line in the file. */
  line: number
  message: string
  fix: string
}

interface AjvProblem {
  keyword: string
  instancePath: string
  message?: string
  params: Record<string, unknown>
  schema?: unknown
  parentSchema?: {properties?: Record<string, unknown>}
}

const list = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).join(', ')

/** The schema's problems with the text (none when it fits), or one for YAML that does not parse. */
export async function yamlProblems(text: string, schema: object): Promise<{value: unknown; problems: YamlProblem[]}> {
  const {isMap, LineCounter, parseDocument} = await import('yaml')
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    return {
      value: undefined,
      problems: [
        {key: '', line: lines.linePos(e.pos[0]).line, message: `not valid YAML: ${e.message.split('\n')[0]}`, fix: 'fix the YAML syntax'},
      ],
    }
  }
  const value = doc.toJS()
  // Valid (the usual case): the build's validator says so without compiling one.
  if ((await validatorOf(schema))(value)) return {value, problems: []}
  const validate = await validatorOf(schema, {verbose: true})
  validate(value)
  const lineOf = (path: string[], key?: string): number => {
    const node = path.length ? doc.getIn(path, true) : doc.contents
    const pair = key !== undefined && isMap(node) ? node.items.find((p) => String((p.key as {value?: unknown})?.value) === key) : undefined
    const range = ((pair?.key ?? node) as {range?: [number, number, number]} | null)?.range
    return range ? lines.linePos(range[0]).line : 1
  }
  const problems = ((validate.errors ?? []) as AjvProblem[]).map((e): YamlProblem => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    const where = path.join('.')
    const inside = where ? ` in ${where}` : ''
    if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty)
      const allowed = Object.keys(e.parentSchema?.properties ?? {})
      const guess = nearest(key, allowed)
      return {
        key: where ? `${where}.${key}` : key,
        line: lineOf(path, key),
        message: `unknown key "${key}"${inside}${guess ? `: did you mean "${guess}"?` : ''}`,
        fix: `allowed keys${inside}: ${allowed.join(', ')}`,
      }
    }
    if (e.keyword === 'required') {
      const key = String(e.params.missingProperty)
      return {key: where ? `${where}.${key}` : key, line: lineOf(path), message: `missing key "${key}"${inside}`, fix: `add ${key}: …`}
    }
    if (e.keyword === 'enum') {
      const allowed = (e.schema as unknown[]) ?? []
      const got = path.length ? doc.getIn(path) : value
      const guess = typeof got === 'string' ? nearest(got, allowed.map(String)) : undefined
      return {
        key: where,
        line: lineOf(path),
        message: `${where || 'the document'}: ${JSON.stringify(got)} is not allowed${guess ? `: did you mean "${guess}"?` : ''}`,
        fix: `one of ${list(allowed)}`,
      }
    }
    return {key: where, line: lineOf(path), message: `${where || 'the document'} ${e.message ?? 'is invalid'}`, fix: ''}
  })
  return {value, problems}
}

/** How a problem reads in one line: `line 7: unknown key "servcies": did you mean "services"? (allowed …)`. */
export const problemText = (p: YamlProblem) => `line ${p.line}: ${p.message}${p.fix ? ` (${p.fix})` : ''}`

/**
 * YAML is a superset of JSON: a file written as JSON that fits the schema (the lab's node.yaml)
 * needs no YAML parser, which is a tenth of an agent's start. Anything else takes the YAML path,
 * which names each problem's key and line.
 */
async function parseJsonFast(text: string, schema: object): Promise<unknown> {
  if (!text.startsWith('{')) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return (await validatorOf(schema))(value) ? value : undefined
}

export async function readYamlFile(path: string, schema: object, what: string): Promise<unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const fast = await parseJsonFast(text, schema)
  if (fast !== undefined) return fast
  const {value, problems} = await yamlProblems(text, schema)
  if (problems.length > 0) throw new UsageError(`${what} ${path} is invalid: ${problems.map(problemText).join('; ')}`)
  return value
}
