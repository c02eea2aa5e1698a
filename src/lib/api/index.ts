// The whole agent API: every family's routes in one table. Import its types anywhere; import its
// values only at build time and in tests (TypeBox is slow to load: see contract.ts).
import type {AnswerOf, BodyOf, ParamsOf, PreviewOf, QueryOf, RequestArgs, StreamOf} from './contract.js'
import {configurationRoutes} from './routes/configuration.js'
import {connectionRoutes} from './routes/connection.js'
import {coreRoutes} from './routes/core.js'
import {ctiosRoutes} from './routes/ctios.js'
import {faultRoutes} from './routes/faults.js'
import {peripheralRoutes} from './routes/peripheral.js'
import {presenceRoutes} from './routes/presence.js'
import {throttleRoutes} from './routes/throttle.js'
import {upgradeRoutes} from './routes/upgrade.js'

export const ROUTES = {
  ...coreRoutes,
  ...configurationRoutes,
  ...connectionRoutes,
  ...ctiosRoutes,
  ...peripheralRoutes,
  ...presenceRoutes,
  ...throttleRoutes,
  ...upgradeRoutes,
  ...faultRoutes,
}

export type Routes = typeof ROUTES
export type Route = keyof Routes
export type Params<K extends Route> = ParamsOf<Routes[K]>
export type Query<K extends Route> = QueryOf<Routes[K]>
export type Body<K extends Route> = BodyOf<Routes[K]>
export type Answer<K extends Route> = AnswerOf<Routes[K]>
export type StreamEvent<K extends Route> = StreamOf<Routes[K]>
export type Preview<K extends Route> = PreviewOf<Routes[K]>
/** The routes the agent previews (dry run). */
export type PreviewRoute = {[K in Route]: Routes[K] extends {readonly preview: object} ? K : never}[Route]
export type Args<K extends Route> = RequestArgs<Routes[K]>
/** The routes whose answer is an operation (submitted, then waited for). */
export type OperationRoute = {[K in Route]: Answer<K> extends OperationAnswer ? K : never}[Route]
type OperationAnswer = import('./schemas.js').Operation
