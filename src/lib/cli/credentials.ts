// Where a context's token lives: the OS keychain through keytar when it works (an optional
// dependency, loaded lazily: a machine without libsecret installs and runs fine), else a 0600
// file. UCCTL_TOKEN overrides both. The lab's own tokens live in the lab's state.
import {chmodSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {readJsonFile, writeFileDurably} from '../durable.js'
import {configDir} from '../paths.js'

const SERVICE = 'ucctl'

export type StoreKind = 'keychain' | 'file'

export interface SecretStore {
  readonly kind: StoreKind
  get(account: string): Promise<string | undefined>
  set(account: string, secret: string): Promise<void>
  delete(account: string): Promise<boolean>
}

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
  findCredentials(service: string): Promise<Array<{account: string; password: string}>>
}

/** keytar, or why it cannot be used here (not installed, no Secret Service running...). */
export async function loadKeytar(): Promise<{keytar: Keytar} | {reason: string}> {
  if (process.env.UCCTL_NO_KEYCHAIN) return {reason: 'UCCTL_NO_KEYCHAIN is set'}
  let keytar: Keytar
  try {
    // A variable, not a literal: keytar is optional and may be absent at build time too.
    const name = 'keytar'
    const mod = (await import(name)) as {default?: Keytar} & Keytar
    keytar = mod.default ?? mod
  } catch (error) {
    return {reason: `keytar is not installed (${(error as NodeJS.ErrnoException).code ?? 'load failed'})`}
  }
  try {
    await keytar.findCredentials(SERVICE)
  } catch (error) {
    return {reason: `no OS keychain answered (${(error as Error).message.split('\n')[0]})`}
  }
  return {keytar}
}

export function keychainStore(keytar: Keytar): SecretStore {
  return {
    kind: 'keychain',
    get: async (account) => (await keytar.getPassword(SERVICE, account)) ?? undefined,
    set: (account, secret) => keytar.setPassword(SERVICE, account, secret),
    delete: (account) => keytar.deletePassword(SERVICE, account),
  }
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'credentials.json')
}

/** The fallback: a 0600 file in the 0700 config directory. */
export function fileStore(env: NodeJS.ProcessEnv = process.env): SecretStore {
  const path = credentialsFile(env)
  const read = () => readJsonFile<{tokens: Record<string, string>}>(path) ?? {tokens: {}}
  const write = (data: {tokens: Record<string, string>}) => {
    const dir = configDir(env)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    chmodSync(dir, 0o700)
    writeFileDurably(path, JSON.stringify(data, null, 2) + '\n', 0o600)
  }
  return {
    kind: 'file',
    get: async (account) => read().tokens[account],
    async set(account, secret) {
      const data = read()
      data.tokens[account] = secret
      write(data)
    },
    async delete(account) {
      const data = read()
      if (!(account in data.tokens)) return false
      delete data.tokens[account]
      write(data)
      return true
    },
  }
}

/** The store a new login goes to: the keychain when it works, else the file (and why). */
export async function preferredStore(): Promise<{store: SecretStore; fallbackReason?: string}> {
  const k = await loadKeytar()
  if ('keytar' in k) return {store: keychainStore(k.keytar)}
  return {store: fileStore(), fallbackReason: k.reason}
}

/** Stores a context's secret where a new login goes (the keychain, else the 0600 file, saying why). */
export async function storeSecret(account: string, secret: string, notice: (m: string) => void): Promise<StoreKind> {
  let {store, fallbackReason} = await preferredStore()
  if (!fallbackReason) {
    try {
      await store.set(account, secret)
    } catch (error) {
      // A keychain that answers but will not store (a locked collection, say).
      fallbackReason = `the OS keychain refused it: ${(error as Error).message}`
      store = fileStore()
    }
  }
  if (fallbackReason) {
    notice(`warning: no OS keychain (${fallbackReason}); the secret goes to a 0600 file in the config directory`)
    await store.set(account, secret)
  }
  return store.kind
}

/** The token for a context: UCCTL_TOKEN, else the store its login went to. */
export async function storedToken(context: string, where: StoreKind | undefined, envOverrides = true): Promise<string | undefined> {
  if (envOverrides && process.env.UCCTL_TOKEN) return process.env.UCCTL_TOKEN
  if (where === 'keychain') {
    const k = await loadKeytar()
    return 'keytar' in k ? keychainStore(k.keytar).get(context) : undefined
  }
  return fileStore().get(context)
}
