// The one schema loader: one Ajv (with the standard formats), each schema compiled once per
// process. Modules import it where they validate, lazily where the CLI's start time matters.
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import addFormatsModule from 'ajv-formats'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv
const ajv = addFormats(new Ajv({allErrors: true, verbose: true, strict: false}))
const compiled = new WeakMap<object, ValidateFunction>()

/** The validator of `schema` (compiled on first use, then reused). */
export function validatorOf<T = unknown>(schema: object): ValidateFunction<T> {
  let v = compiled.get(schema)
  if (!v) {
    v = ajv.compile(schema)
    compiled.set(schema, v)
  }
  return v as ValidateFunction<T>
}

/** Ajv's errors in one line: `/path must be …; …`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ')
}
