// The one schema loader: a document schema's validator is the build's (./compiled-validators.ts:
// dist/validators.cjs, Ajv standalone code, so an agent starts without Ajv) when the build saw
// it, else compiled at its first use; either way once per process and schema.
import type {ErrorObject} from 'ajv'
import {precompiledDocument, type Validate} from './compiled-validators.js'

/** By the schema's text: a schema read from a file again (a new object, the same $id) is the same schema. */
const cache = new Map<string, Validate>()
let compilers: Record<'plain' | 'verbose', (schema: object) => Validate> | undefined

/**
 * The validator of `schema` (Ajv, allErrors, the standard formats). `verbose` errors carry the
 * schema they failed (what a reader's error message needs: the allowed keys); those are never
 * the build's.
 */
export async function validatorOf(schema: object, opts: {verbose?: boolean} = {}): Promise<Validate> {
  const key = `${opts.verbose ? 'verbose ' : ''}${JSON.stringify(schema)}`
  let v = cache.get(key) ?? (opts.verbose ? undefined : precompiledDocument(schema))
  if (!v) {
    compilers ??= await loadCompilers()
    v = compilers[opts.verbose ? 'verbose' : 'plain'](schema)
  }
  cache.set(key, v)
  return v
}

async function loadCompilers(): Promise<NonNullable<typeof compilers>> {
  const [{Ajv}, {default: addFormats}] = await Promise.all([import('ajv'), import('ajv-formats')])
  const make = (verbose: boolean) => {
    const ajv = new Ajv({allErrors: true, verbose, strict: false})
    ;(addFormats as unknown as (a: typeof ajv) => void)(ajv)
    return (s: object) => ajv.compile(s)
  }
  return {plain: make(false), verbose: make(true)}
}

/** Ajv's errors in one line: `/path must be …; …`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ')
}
