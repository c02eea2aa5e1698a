// Which modules each product's agent runs. Loaded lazily: an agent pays only for its product's.
import type {Product} from '../domain/services.js'
import type {AgentModuleFactory} from './module.js'

type Loader = () => Promise<AgentModuleFactory>

export const MODULES_BY_PRODUCT: Record<Product, readonly Loader[]> = {
  cucm: [
    async () => (await import('./partitions.js')).partitionsModule,
    async () => (await import('./throttle.js')).throttleModule,
    async () => (await import('./configuration.js')).configurationModule,
  ],
  imp: [
    async () => (await import('./partitions.js')).partitionsModule,
    async () => (await import('./server-recovery-manager.js')).serverRecoveryManagerModule,
  ],
  cuc: [async () => (await import('./connection-role-manager.js')).connectionRoleManagerModule],
  ctios: [
    async () => (await import('./peripheral.js')).peripheralModule,
    async () => (await import('./ctios-failover.js')).ctiosFailoverModule,
  ],
}

export async function modulesFor(product: Product): Promise<AgentModuleFactory[]> {
  return Promise.all(MODULES_BY_PRODUCT[product].map((load) => load()))
}
