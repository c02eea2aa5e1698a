// The one schema loader: a document schema's validator is the build's (./compiled-validators.ts:
// dist/validators.cjs, Ajv standalone code, so an agent starts without Ajv) when the build saw
// it, else compiled at its first use; either way once per process and schema.
import type {ErrorObject} from 'ajv'
import {precompiledDocument, type Validate} from './compiled-validators.js'

const cache = new WeakMap<object, Validate>()
let compile: ((schema: object) => Validate) | undefined

/** The validator of `schema` (Ajv, allErrors, the standard formats). */
export async function validatorOf(schema: object): Promise<Validate> {
  let v = cache.get(schema) ?? precompiledDocument(schema)
  if (!v) {
    if (!compile) {
      const [{Ajv}, {default: addFormats}] = await Promise.all([import('ajv'), import('ajv-formats')])
      const ajv = (addFormats as unknown as (a: InstanceType<typeof Ajv>) => InstanceType<typeof Ajv>)(
        new Ajv({allErrors: true, strict: false}),
      )
      compile = (s) => ajv.compile(s)
    }
    v = compile(schema)
  }
  cache.set(schema, v)
  return v
}

/** Ajv's errors in one line: `/path must be …; …`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ')
}
