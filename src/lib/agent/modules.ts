// Which modules each product's agent runs. Loaded lazily: an agent pays only for its product's.
import type {Product} from '../domain/services.js'
import type {AgentModuleFactory} from './module.js'

type Loader = () => Promise<AgentModuleFactory>

export const MODULES_BY_PRODUCT: Record<Product, readonly Loader[]> = {
  cucm: [],
  imp: [],
  cuc: [],
  ctios: [],
}

export async function modulesFor(product: Product): Promise<AgentModuleFactory[]> {
  return Promise.all(MODULES_BY_PRODUCT[product].map((load) => load()))
}
