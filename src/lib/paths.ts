// Where ucctl keeps things (DESIGN.md "Files"): config in $XDG_CONFIG_HOME/ucctl, state in
// $XDG_STATE_HOME/ucctl, both under $UCCTL_HOME when it is set.
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UCCTL_HOME) return join(env.UCCTL_HOME, 'config')
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ucctl')
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UCCTL_HOME) return join(env.UCCTL_HOME, 'state')
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'ucctl')
}

/** The installed package's root (dist/src/lib/paths.js is four levels down). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
