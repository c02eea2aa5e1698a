// Request validators compiled on a route's first request instead of at start-up: compiling every
// route's schemas was a third of an agent's start (a lab starts many agents at once), and most
// routes of a lab agent are never called. The validators themselves are fastify's own.
import AjvCompiler from '@fastify/ajv-compiler'

type Validate = ((data: unknown) => unknown) & {errors?: unknown}
type Compile = (route: {schema: unknown; method: string; url: string; httpPart: string}) => Validate

/** fastify's `schemaController.compilersFactory.buildValidator`, compiling each validator when first used. */
export function lazyValidators(): (externalSchemas: unknown, options: unknown) => Compile {
  const build = AjvCompiler() as unknown as (externalSchemas: unknown, options: unknown) => Compile
  return (externalSchemas, options) => {
    let compile: Compile | undefined
    return (route) => {
      let validate: Validate | undefined
      const lazy: Validate = (data) => {
        validate ??= (compile ??= build(externalSchemas, options))(route)
        const ok = validate(data)
        // fastify reads a failed validation's reasons from the function it was given.
        lazy.errors = validate.errors
        return ok
      }
      return lazy
    }
  }
}
