// Reading a YAML file that must fit a JSON Schema (node.yaml, topologies, runbooks): one way,
// with the file's path and every problem in the message, and exit 2 for the operator.
import {readFileSync} from 'node:fs'
import {UsageError} from './errors.js'

/**
 * YAML is a superset of JSON: a file written as JSON (the lab's node.yaml) needs no YAML parser,
 * which is a tenth of an agent's start.
 */
async function parseYaml(text: string): Promise<unknown> {
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text)
    } catch {
      // Flow-style YAML, not JSON: the YAML parser reads it.
    }
  }
  const {parse} = await import('yaml')
  return parse(text)
}

export async function readYamlFile(path: string, schema: object, what: string): Promise<unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  let raw: unknown
  try {
    raw = await parseYaml(text)
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid YAML: ${(error as Error).message}`)
  }
  const {Ajv} = await import('ajv')
  const validate = new Ajv({allErrors: true}).compile(schema)
  if (!validate(raw)) {
    throw new UsageError(`${what} ${path} is invalid: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`)
  }
  return raw
}
