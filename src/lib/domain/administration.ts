// Unified CM administration for IM and Presence (SPEC §8, seed 003): UC services and their
// types (ADM-3), the three kinds of directory service (ADM-4), service profiles, end users and
// the setting that enables them for IM and Presence (ADM-2), the BAT CSV of Insert/Update
// Users, and the findings of `user check` (ADM-1, ADM-5, ADM-6, ADM-7, contact limits).
// Pure: the configuration database and the nodes' service states are passed in.
import {UsageError} from '../errors.js'
import {PRESENCE_VIEWER_SERVICES} from './presence-viewer.js'
import type {Finding} from './finding.js'

/** ADM-3: the types of UC service. */
export const UC_SERVICE_TYPES = ['voicemail', 'mailstore', 'conferencing', 'cti', 'im-and-presence', 'directory'] as const
export type UcServiceType = (typeof UC_SERVICE_TYPES)[number]

/** ADM-4: the three kinds of directory service, and what each takes. */
export const DIRECTORY_TYPES = [
  {type: 'uds', name: 'User Data Service', description: 'users stored in Unified CM', customTftpFile: false, attributeMappings: false},
  {
    type: 'enhanced',
    name: 'enhanced directory',
    description:
      'clients find directory settings and attribute mappings from the desktop; a custom TFTP file on Unified CM changes the defaults',
    customTftpFile: true,
    attributeMappings: false,
  },
  {
    type: 'basic',
    name: 'basic directory',
    description: 'every LDAP attribute mapping is set on the server (Application > Legacy Clients > Settings) and clients download it',
    customTftpFile: false,
    attributeMappings: true,
  },
] as const
export type DirectoryType = (typeof DIRECTORY_TYPES)[number]['type']
export const DIRECTORY_TYPE_NAMES = DIRECTORY_TYPES.map((d) => d.type)

/** ADM-4 basic directory: the client fields mapped to LDAP attributes, with the usual Active Directory defaults. */
export const DEFAULT_LDAP_ATTRIBUTE_MAPPINGS: Readonly<Record<string, string>> = {
  UserID: 'sAMAccountName',
  FirstName: 'givenName',
  LastName: 'sn',
  Email: 'mail',
  BusinessPhone: 'telephoneNumber',
  MobilePhone: 'mobile',
  DisplayName: 'displayName',
  Photo: 'thumbnailPhoto',
}

export interface UcService {
  name: string
  type: UcServiceType
  directoryType?: DirectoryType
  host: string
  customTftpFile?: string
  attributeMappings?: Record<string, string>
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function checkName(what: string, name: string): string {
  if (!NAME.test(name))
    throw new UsageError(`${what} name "${name}" is not valid: letters, digits, '.', '_' and '-', at most 64 characters`)
  return name
}

/** ADM-3/ADM-4: a UC service as given by an administrator, validated. */
export function ucService(input: {
  name: string
  type: string
  directoryType?: string
  host: string
  customTftpFile?: string
  mappings?: readonly string[]
}): UcService {
  checkName('UC service', input.name)
  if (!(UC_SERVICE_TYPES as readonly string[]).includes(input.type))
    throw new UsageError(`UC service type "${input.type}" is not one of ${UC_SERVICE_TYPES.join(', ')}`, {rule: 'ADM-3'})
  if (!input.host || /\s/.test(input.host)) throw new UsageError(`UC service ${input.name}: --host must be a host name or address`)
  const type = input.type as UcServiceType
  if (type !== 'directory') {
    if (input.directoryType || input.customTftpFile || input.mappings?.length)
      throw new UsageError(`only directory UC services take --directory-type, --custom-tftp-file or --mapping`, {rule: 'ADM-4'})
    return {name: input.name, type, host: input.host}
  }
  const kind = DIRECTORY_TYPES.find((d) => d.type === input.directoryType)
  if (!kind) throw new UsageError(`a directory UC service needs --directory-type ${DIRECTORY_TYPE_NAMES.join('|')}`, {rule: 'ADM-4'})
  if (input.customTftpFile && !kind.customTftpFile)
    throw new UsageError(`--custom-tftp-file is for enhanced directory (it changes the defaults clients find from the desktop)`, {
      rule: 'ADM-4',
    })
  if (input.mappings?.length && !kind.attributeMappings)
    throw new UsageError(`--mapping is for basic directory: ${kind.name} clients do not download attribute mappings from the server`, {
      rule: 'ADM-4',
    })
  const out: UcService = {name: input.name, type, directoryType: kind.type, host: input.host}
  if (kind.customTftpFile && input.customTftpFile) out.customTftpFile = input.customTftpFile
  if (kind.attributeMappings) {
    const mappings: Record<string, string> = {...DEFAULT_LDAP_ATTRIBUTE_MAPPINGS}
    for (const m of input.mappings ?? []) {
      const match = /^([A-Za-z]+)=([A-Za-z0-9;-]+)$/.exec(m)
      if (!match) throw new UsageError(`--mapping "${m}" must be FIELD=ldapAttribute (e.g. BusinessPhone=ipPhone)`, {rule: 'ADM-4'})
      if (!(match[1] in DEFAULT_LDAP_ATTRIBUTE_MAPPINGS))
        throw new UsageError(`--mapping: unknown field ${match[1]}`, {
          rule: 'ADM-4',
          hint: `fields: ${Object.keys(DEFAULT_LDAP_ATTRIBUTE_MAPPINGS).join(', ')}`,
        })
      mappings[match[1]] = match[2]
    }
    out.attributeMappings = mappings
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// End users and the BAT CSV (ADM-2)

export interface EndUser {
  id: string
  firstName: string | null
  lastName: string | null
  mailId: string | null
  homeCluster: boolean
  imAndPresence: boolean
  /** The user's own service profile (null: the system default applies, ADM-3). */
  serviceProfile: string | null
  presenceNode: string | null
  /** The line appearance: a directory number associated with a device (ADM-6). */
  device: string | null
  extension: string | null
}

/** The settings a user template or feature group template gives (ADM-2). */
export interface UserTemplate {
  name: string
  kind: 'user' | 'feature-group'
  homeCluster: boolean
  imAndPresence: boolean
  serviceProfile: string | null
}

/** The columns of a BAT users file: userid is required, the others optional. */
export const CSV_COLUMNS = {
  userid: 'id',
  firstname: 'firstName',
  lastname: 'lastName',
  mailid: 'mailId',
  device: 'device',
  extension: 'extension',
} as const
export type CsvColumn = keyof typeof CSV_COLUMNS
export type UserFields = Partial<Pick<EndUser, 'firstName' | 'lastName' | 'mailId' | 'device' | 'extension'>>

export interface CsvUser {
  line: number
  id: string
  fields: UserFields
}

export interface Rejected {
  line: number
  message: string
}

/** Fields of one CSV line (RFC 4180 quoting), or an error message. */
function splitCsvLine(line: string): string[] | string {
  const out: string[] = []
  let i = 0
  for (;;) {
    if (line[i] === '"') {
      let v = ''
      i++
      for (;;) {
        const q = line.indexOf('"', i)
        if (q < 0) return 'an opening quote is never closed'
        v += line.slice(i, q)
        if (line[q + 1] === '"') {
          v += '"'
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
      out.push(v)
      if (i === line.length) return out
      if (line[i] !== ',') return `unexpected text after a closing quote at column ${i + 1}`
      i++
    } else {
      const c = line.indexOf(',', i)
      if (c < 0) {
        out.push(line.slice(i).trim())
        return out
      }
      out.push(line.slice(i, c).trim())
      i = c + 1
    }
  }
}

const USER_ID = /^[A-Za-z0-9._@+-]{1,128}$/
const DIRECTORY_NUMBER = /^\+?[0-9]{1,24}$/

export function checkUserId(id: string): string {
  if (!USER_ID.test(id)) throw new UsageError(`user id "${id}" is not valid: 1 to 128 letters, digits or . _ @ + -`)
  return id
}

/**
 * A BAT users file: a header line naming the columns (userid required), then one user a line.
 * Lines are numbered from 1 (the header); every bad line is reported with its number.
 */
export function parseUsersCsv(text: string): {users: CsvUser[]; rejected: Rejected[]} {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const header = splitCsvLine(lines[0] ?? '')
  if (typeof header === 'string' || header.every((h) => h === ''))
    throw new UsageError('the file has no header line (e.g. userid,firstname,lastname,mailid,device,extension)')
  const columns = header.map((h) => h.toLowerCase())
  for (const c of columns)
    if (!(c in CSV_COLUMNS))
      throw new UsageError(`line 1: unknown column "${c}"`, {hint: `columns: ${Object.keys(CSV_COLUMNS).join(', ')} (userid required)`})
  if (!columns.includes('userid')) throw new UsageError('line 1: the column userid is required')
  const dup = columns.find((c, i) => columns.indexOf(c) !== i)
  if (dup) throw new UsageError(`line 1: the column ${dup} appears twice`)
  const users: CsvUser[] = []
  const rejected: Rejected[] = []
  const seen = new Map<string, number>()
  for (let n = 1; n < lines.length; n++) {
    const raw = lines[n]
    if (raw.trim() === '') continue
    const line = n + 1
    const cells = splitCsvLine(raw)
    if (typeof cells === 'string') {
      rejected.push({line, message: cells})
      continue
    }
    if (cells.length !== columns.length) {
      rejected.push({line, message: `${cells.length} fields; the header has ${columns.length}`})
      continue
    }
    const fields: UserFields = {}
    let id = ''
    let problem: string | undefined
    columns.forEach((c, i) => {
      const v = cells[i]
      if (c === 'userid') id = v
      else if (v !== '') fields[CSV_COLUMNS[c as CsvColumn] as keyof UserFields] = v
    })
    if (!USER_ID.test(id)) problem = id === '' ? 'userid is empty' : `userid "${id}" is not valid (1 to 128 letters, digits or . _ @ + -)`
    else if (fields.extension && !DIRECTORY_NUMBER.test(fields.extension))
      problem = `extension "${fields.extension}" is not a directory number`
    else if (fields.extension !== undefined && fields.device === undefined) problem = 'an extension needs the device it appears on (ADM-6)'
    else if (fields.mailId && !/^[^@\s]+@[^@\s]+$/.test(fields.mailId)) problem = `mailid "${fields.mailId}" is not an e-mail address`
    else if (seen.has(id.toLowerCase())) problem = `userid ${id} is already on line ${seen.get(id.toLowerCase())}`
    if (problem) rejected.push({line, message: problem})
    else {
      seen.set(id.toLowerCase(), line)
      users.push({line, id, fields})
    }
  }
  return {users, rejected}
}

/** The BAT export: the same columns, quoted where needed. */
export function usersCsv(users: readonly EndUser[]): string {
  const q = (v: string | null | undefined) => (v == null ? '' : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)
  const cols = Object.entries(CSV_COLUMNS)
  return (
    [cols.map(([c]) => c).join(','), ...users.map((u) => cols.map(([, f]) => q(u[f as keyof EndUser] as string | null)).join(','))].join(
      '\n',
    ) + '\n'
  )
}

// ---------------------------------------------------------------------------------------------
// Assignment to IM and Presence nodes (ADM-8, PRG-10)

/** The node with the fewest users assigned (ties: the first named), for a newly enabled user. */
export function leastLoadedNode(load: ReadonlyArray<{name: string; users: number}>): string | null {
  let best: {name: string; users: number} | null = null
  for (const n of load) if (!best || n.users < best.users) best = n
  return best?.name ?? null
}

/** Spreads `count` new users over the nodes one at a time onto the least loaded, as enabling one by one would. */
export function balancedNodes(load: ReadonlyArray<{name: string; users: number}>, count: number): string[] {
  const l = load.map((n) => ({...n}))
  const out: string[] = []
  for (let k = 0; k < count; k++) {
    const name = leastLoadedNode(l)
    if (!name) break
    out.push(name)
    l.find((n) => n.name === name)!.users++
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// `user check` (ADM-1, ADM-5, ADM-6, ADM-7, contact and watcher limits)

export interface AdminFinding extends Finding {
  /** The users concerned (at most 100). */
  users?: string[]
}

export interface CheckInput {
  users: readonly EndUser[]
  /** Profiles with their UC services; the default's name. */
  profiles: ReadonlyArray<{name: string; services: readonly string[]}>
  defaultProfile: string | null
  services: readonly UcService[]
  /** Presence licences of the cluster; users enabled beyond it (in their order) have none (ADM-1). */
  presenceLicences: number
  /** ADM-5: several clusters, and this cluster's database does not hold the full enterprise user list. */
  multiCluster: boolean
  fullEnterpriseList: boolean
  /** State of each service on each IM and Presence node (undefined: the node could not be read). */
  nodeServices: ReadonlyMap<string, Record<string, string> | undefined>
  /** Contacts and watchers of enabled users, when read (ids not listed: not read). */
  contacts: ReadonlyMap<string, {contacts: number; watchers: number}>
  limits: {maxContacts: number; maxWatchers: number}
}

/** The profile a user gets: their own, else the system default (ADM-3). */
export function effectiveProfile(user: Pick<EndUser, 'serviceProfile'>, defaultProfile: string | null): string | null {
  return user.serviceProfile ?? defaultProfile
}

/** Users named in one finding, the first few and how many more. */
const listUsers = (ids: readonly string[]) =>
  ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`

export function checkUsers(input: CheckInput): {ok: boolean; findings: AdminFinding[]} {
  const profileFindings: AdminFinding[] = []
  // Per-user findings of one kind become one finding naming the users (15,000 lines help nobody).
  const grouped = new Map<
    string,
    {rule: string; severity: AdminFinding['severity']; text: (who: string, n: number) => string; fix: string; users: string[]}
  >()
  const per = (
    key: string,
    rule: string,
    severity: AdminFinding['severity'],
    user: string,
    text: (who: string, n: number) => string,
    fix: string,
  ) => {
    const g = grouped.get(key) ?? {rule, severity, text, fix, users: []}
    g.users.push(user)
    grouped.set(key, g)
  }
  const services = new Map(input.services.map((s) => [s.name.toLowerCase(), s]))
  const profiles = new Map(input.profiles.map((p) => [p.name.toLowerCase(), p]))
  let licensed = 0
  const profileChecked = new Set<string>()
  for (const u of input.users) {
    if (!u.imAndPresence) continue
    if (!u.homeCluster)
      per(
        'home',
        'ADM-2',
        'error',
        u.id,
        (w) => `${w}: enabled for IM and Presence but Home Cluster is off`,
        'ucctl user update USER --home-cluster',
      )
    licensed++
    if (licensed > input.presenceLicences)
      per(
        'licence',
        'ADM-1',
        'error',
        u.id,
        (w, n) => `${n} user(s) have no presence licence (${input.presenceLicences} licences): ${w}`,
        'add presence licences, or disable IM and Presence for users who do not need it',
      )
    const profileName = effectiveProfile(u, input.defaultProfile)
    const profile = profileName ? profiles.get(profileName.toLowerCase()) : undefined
    if (!profile)
      per(
        'profile',
        'ADM-1',
        'error',
        u.id,
        (w, n) => `${n} user(s) have no service profile and there is no default profile: ${w}`,
        'ucctl service-profile set-default NAME, or ucctl service-profile assign NAME USER',
      )
    else if (!profileChecked.has(profile.name)) {
      profileChecked.add(profile.name)
      const has = (s: string) => services.get(s.toLowerCase())
      const kinds = new Set(
        profile.services
          .map(has)
          .filter((s) => s?.type === 'directory')
          .map((s) => s!.directoryType),
      )
      const missing = DIRECTORY_TYPE_NAMES.filter((k) => !kinds.has(k))
      const pf = (rule: string, severity: AdminFinding['severity'], message: string, fix: string) =>
        profileFindings.push({rule, severity, message, fix})
      if (!profile.services.some((s) => has(s)?.type === 'im-and-presence'))
        pf(
          'ADM-1',
          'error',
          `service profile ${profile.name} has no IM and Presence UC service`,
          `ucctl uc-service add NAME --type im-and-presence --host IMP-NODE, then put it in ${profile.name}`,
        )
      if (missing.length > 0)
        pf(
          'ADM-5',
          'warning',
          `service profile ${profile.name} lacks ${missing.map((k) => `${k} directory`).join(', ')}: clients support different directory services`,
          `put a UDS, an enhanced and a basic directory service in ${profile.name}`,
        )
      if (kinds.has('uds') && input.multiCluster && !input.fullEnterpriseList)
        pf(
          'ADM-5',
          'error',
          `service profile ${profile.name} uses UDS, but this cluster's database does not hold the full enterprise user list (multi-cluster)`,
          `use enhanced directory (the Jabber for Windows default) in ${profile.name} instead of UDS`,
        )
    }
    if (!u.device || !u.extension)
      per(
        'line',
        'ADM-6',
        'error',
        u.id,
        (w, n) => `${n} user(s) have no line appearance associated (phone availability cannot be shown): ${w}`,
        'ucctl user update USER --device NAME --extension DN',
      )
    if (!u.presenceNode)
      per(
        'unassigned',
        'ADM-7',
        'error',
        u.id,
        (w, n) => `${n} user(s) are not assigned to an IM and Presence node: ${w}`,
        'ucctl pcluster users assign USER --node NODE',
      )
    else {
      const node = u.presenceNode
      const states = input.nodeServices.get(node)
      if (!states)
        per(
          `unread:${node}`,
          'ADM-7',
          'error',
          u.id,
          (w, n) => `could not read the services of ${node}, the node of ${n} user(s): ${w}`,
          `check that the agent of ${node} answers (ucctl status)`,
        )
      else {
        const down = PRESENCE_VIEWER_SERVICES.filter((s) => states[s] !== 'Running')
        if (down.length > 0)
          per(
            `down:${node}`,
            'ADM-7',
            'error',
            u.id,
            (w, n) => `${down.join(', ')} not running on ${node}: presence is not valid for its ${n} user(s): ${w}`,
            `ucctl service start "${down[0]}" --node ${node}`,
          )
      }
    }
    const c = input.contacts.get(u.id)
    if (c && c.contacts > input.limits.maxContacts)
      per(
        'contacts',
        'ADM-7',
        'warning',
        u.id,
        (w, n) => `${n} user(s) have more contacts than the configured maximum of ${input.limits.maxContacts}: ${w}`,
        'remove contacts, or raise Maximum Contact List Size',
      )
    if (c && c.watchers > input.limits.maxWatchers)
      per(
        'watchers',
        'ADM-7',
        'warning',
        u.id,
        (w, n) => `${n} user(s) have more watchers than the configured maximum of ${input.limits.maxWatchers}: ${w}`,
        'raise Maximum Watchers, or review who watches these users',
      )
  }
  const findings = [
    ...profileFindings,
    ...[...grouped.values()].map((g) => ({
      rule: g.rule,
      severity: g.severity,
      message: g.text(listUsers(g.users), g.users.length),
      fix: g.fix,
      users: g.users.slice(0, 100),
    })),
  ]
  return {ok: !findings.some((x) => x.severity === 'error'), findings}
}

// ---------------------------------------------------------------------------------------------
// Presence redundancy group configuration (ADM-8, PRG-3): SRM service parameters with ranges

export const SRM_PARAMETERS = [
  {key: 'keepaliveIntervalSeconds', flag: 'keepalive-interval', description: 'Server Heartbeat Interval', default: 15, min: 5, max: 60},
  {key: 'keepaliveTimeoutSeconds', flag: 'keepalive-timeout', description: 'Server Heartbeat Timeout', default: 60, min: 15, max: 300},
  {
    key: 'initializationKeepaliveTimeoutSeconds',
    flag: 'initialization-keepalive-timeout',
    description: 'Initialization Heartbeat Timeout',
    default: 120,
    min: 30,
    max: 300,
  },
  {
    key: 'criticalServiceDownDelaySeconds',
    flag: 'critical-service-down-delay',
    description: 'Critical Service Down Delay',
    default: 90,
    min: 0,
    max: 600,
  },
  {
    key: 'automaticFallbackDelayMinutes',
    flag: 'automatic-fallback-delay',
    description: 'Automatic Failback Delay (after the primary is healthy again)',
    default: 30,
    min: 1,
    max: 1440,
  },
] as const
export type SrmParameter = (typeof SRM_PARAMETERS)[number]['key']
export type SrmParameters = Record<SrmParameter, number>
export const DEFAULT_SRM_PARAMETERS = Object.fromEntries(SRM_PARAMETERS.map((p) => [p.key, p.default])) as SrmParameters

/** PRG-3: each value within its range; the heartbeat timeout longer than the interval. */
export function srmParameters(base: SrmParameters, changes: Partial<Record<SrmParameter, number>>): SrmParameters {
  const out = {...base}
  for (const p of SRM_PARAMETERS) {
    const v = changes[p.key]
    if (v === undefined) continue
    if (!Number.isInteger(v) || v < p.min || v > p.max)
      throw new UsageError(`--${p.flag} ${v}: ${p.description} is ${p.min} to ${p.max}`, {rule: 'PRG-3'})
    out[p.key] = v
  }
  if (out.keepaliveTimeoutSeconds <= out.keepaliveIntervalSeconds)
    throw new UsageError(
      `the heartbeat timeout (${out.keepaliveTimeoutSeconds} s) must be longer than the heartbeat interval (${out.keepaliveIntervalSeconds} s)`,
      {rule: 'PRG-3'},
    )
  return out
}
