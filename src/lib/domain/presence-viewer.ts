// The end user presence viewer of IM and Presence (seed 003, "エンド ユーザのプレゼンス ビューア"):
// a user's presence status, as seen by a watcher too ("View From Perspective of"), contacts by
// group and watchers (each counted once however many groups hold it), the server the user is
// assigned to, and warnings. Pure: the directory and the assignment are passed in.
import {NotFoundError, UsageError} from '../errors.js'

/** User Status, in the document's order. */
export const PRESENCE_STATUSES = ['Available', 'Away', 'Do Not Disturb', 'Unavailable', 'Custom'] as const
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number]

/** Published IM and Presence defaults: Maximum Contact List Size and Maximum Watchers, per user. */
export const DEFAULT_PRESENCE_LIMITS = {maxContacts: 200, maxWatchers: 200} as const

/** The services that must run on the user's node for valid presence (seed 003). */
export const PRESENCE_VIEWER_SERVICES = ['Cisco AXL Web Service', 'Cisco Presence Engine', 'Cisco SIP Proxy'] as const

/**
 * The viewer's status icons: the standard ones tell statuses apart by colour; "Enable accessible
 * presence icons" gives each status its own shape, readable without colour.
 */
export const STATUS_ICONS: Record<'standard' | 'accessible', Record<PresenceStatus, string>> = {
  standard: {Available: '●', Away: '●', 'Do Not Disturb': '●', Unavailable: '●', Custom: '●'},
  accessible: {Available: '✔', Away: '◷', 'Do Not Disturb': '⊘', Unavailable: '○', Custom: '✎'},
}

/** "View From Perspective of" takes at most 128 characters. */
export const PERSPECTIVE_MAX_LENGTH = 128

export interface DirectoryEntry {
  id: string
  status: PresenceStatus
  customText?: string
  contactGroups: Array<{name: string; contacts: string[]}>
  /** Contacts in no group: listed under the groups. */
  ungrouped: string[]
  /** Users this user's privacy policy blocks: to them it shows Unavailable. */
  blocked: string[]
}

export interface Directory {
  readonly size: number
  entry(id: string): DirectoryEntry | undefined
  /** Who has this user in their contact list, with the group they hold it in ('' = none). */
  watchersOf(id: string): Array<{watcher: string; group: string}>
}

export interface PresenceView {
  user: string
  status: PresenceStatus
  customText?: string
  /** The watcher whose view is shown, when asked. */
  perspective: string | null
  /** Each contact's status (the groups list ids; a contact in several groups appears once here). */
  contacts: {
    count: number
    groups: Array<{name: string; contacts: string[]}>
    ungrouped: string[]
    statuses: Record<string, PresenceStatus>
  }
  /** Watchers by group, those in no group last (also in `ungrouped`). */
  watchers: {
    count: number
    groups: Array<{name: string; watchers: string[]}>
    ungrouped: string[]
    statuses: Record<string, PresenceStatus>
  }
  server: {assigned: string; signedInTo: string}
  /** ADM-7's prerequisites for valid presence, each checked. */
  prerequisites: Array<{name: string; ok: boolean; detail: string}>
  warnings: string[]
}

export function viewPresence(input: {
  directory: Directory
  user: string
  as?: string
  assignment: {assigned: string; signedInTo: string}
  /** State of each of PRESENCE_VIEWER_SERVICES on the node the user is on (undefined: unknown). */
  services: Record<string, string | undefined>
  limits?: {maxContacts: number; maxWatchers: number}
}): PresenceView {
  const {directory, user, as} = input
  const limits = input.limits ?? DEFAULT_PRESENCE_LIMITS
  if (as !== undefined && as.length > PERSPECTIVE_MAX_LENGTH) {
    throw new UsageError(`the perspective user id is ${as.length} characters; the presence viewer takes at most ${PERSPECTIVE_MAX_LENGTH}`)
  }
  const entry = directory.entry(user)
  if (!entry) throw new NotFoundError(`no user ${user} in the directory`)
  if (as !== undefined && !directory.entry(as)) throw new NotFoundError(`no user ${as} in the directory (View From Perspective of)`)
  const warnings: string[] = []

  // Each contact counts once, however many groups hold it.
  const contacts = new Set([...entry.contactGroups.flatMap((g) => g.contacts), ...entry.ungrouped])
  if (contacts.size > limits.maxContacts) {
    warnings.push(`${user} has ${contacts.size} contacts, more than the configured maximum of ${limits.maxContacts}`)
  }
  const watcherRows = directory.watchersOf(user)
  const watchers = new Set(watcherRows.map((w) => w.watcher))
  if (watchers.size > limits.maxWatchers) {
    warnings.push(`${user} has ${watchers.size} watchers, more than the configured maximum of ${limits.maxWatchers}`)
  }
  const byGroup = new Map<string, string[]>()
  for (const w of watcherRows) if (w.group) byGroup.set(w.group, [...(byGroup.get(w.group) ?? []), w.watcher])
  const ungroupedWatchers = watcherRows.filter((w) => !w.group).map((w) => w.watcher)
  if (ungroupedWatchers.length > 0) byGroup.set('(no group)', ungroupedWatchers)
  const statusOf = (ids: Iterable<string>) =>
    Object.fromEntries([...ids].map((id) => [id, directory.entry(id)?.status ?? 'Unavailable'])) as Record<string, PresenceStatus>

  const down = PRESENCE_VIEWER_SERVICES.filter((s) => input.services[s] !== 'Running')
  const prerequisites = [
    {name: 'assigned to an IM and Presence node', ok: true, detail: input.assignment.assigned},
    ...PRESENCE_VIEWER_SERVICES.map((svc) => ({
      name: `${svc} running on ${input.assignment.signedInTo}`,
      ok: input.services[svc] === 'Running',
      detail: input.services[svc] ?? 'unknown',
    })),
  ]
  if (down.length > 0) {
    warnings.push(
      `presence information is not valid: ${down.map((s) => `${s} is ${input.services[s] ?? 'unknown'}`).join(', ')} on ${input.assignment.signedInTo} (AXL, Presence Engine and Proxy must run)`,
    )
  }
  if (input.assignment.signedInTo !== input.assignment.assigned) {
    warnings.push(`${user} is assigned to ${input.assignment.assigned} but served by ${input.assignment.signedInTo} (failed over)`)
  }

  // As a watcher sees it: a privacy policy that blocks the watcher shows Unavailable.
  const blocked = as !== undefined && entry.blocked.includes(as)
  const status: PresenceStatus = blocked ? 'Unavailable' : entry.status
  return {
    user,
    status,
    ...(status === 'Custom' && entry.customText ? {customText: entry.customText} : {}),
    perspective: as ?? null,
    contacts: {count: contacts.size, groups: entry.contactGroups, ungrouped: entry.ungrouped, statuses: statusOf(contacts)},
    watchers: {
      count: watchers.size,
      groups: [...byGroup].map(([name, ws]) => ({name, watchers: ws})),
      ungrouped: ungroupedWatchers,
      statuses: statusOf(watchers),
    },
    server: input.assignment,
    prerequisites,
    warnings,
  }
}

/**
 * The lab's directory of `size` users (user00001@example.com ...), made the same way every time
 * so every node agrees without storing 15,000 contact lists: a team of three, a project pair
 * that shares one contact with the team, one contact in no group, a privacy block every seventh
 * user, a "Leadership" group holding user00001 for every 50th user (300 watchers in the lab:
 * over the maximum), and every 1,000th user with an "Everyone" group of 250 (over the maximum).
 * `indexOfId` finds users by position when the ids are not the generated ones (synced users).
 */
export function labDirectory(size: number, idOf: (index: number) => string, indexOfId?: (id: string) => number | undefined): Directory {
  const indexOf = (id: string): number | undefined => {
    if (indexOfId) return indexOfId(id)
    const m = /^user(\d{5})@example\.com$/.exec(id)
    if (!m) return undefined
    const i = Number(m[1]) - 1
    return i >= 0 && i < size ? i : undefined
  }
  const at = (i: number) => idOf(((i % size) + size) % size)
  const STATUS_BY_DIGIT: PresenceStatus[] = [
    'Available',
    'Available',
    'Available',
    'Available',
    'Available',
    'Away',
    'Away',
    'Do Not Disturb',
    'Unavailable',
    'Custom',
  ]
  const everyone = (i: number) => i % 1000 === 999
  const leader = (i: number) => i % 50 === 0 && i !== 0

  const entryOf = (i: number): DirectoryEntry => {
    const groups = [
      {name: 'Team', contacts: [at(i + 1), at(i + 2), at(i + 3)]},
      {name: 'Project', contacts: [at(i + 3), at(i + 10)]},
    ]
    if (leader(i)) groups.push({name: 'Leadership', contacts: [at(0)]})
    if (everyone(i)) groups.push({name: 'Everyone', contacts: Array.from({length: 250}, (_, k) => at(i + 1 + k))})
    const status = STATUS_BY_DIGIT[i % 10]
    return {
      id: at(i),
      status,
      ...(status === 'Custom' ? {customText: 'In a meeting'} : {}),
      contactGroups: groups,
      ungrouped: [at(i + 20)],
      blocked: i % 7 === 0 ? [at(i + 1)] : [],
    }
  }
  return {
    size,
    entry: (id) => {
      const i = indexOf(id)
      return i === undefined ? undefined : entryOf(i)
    },
    watchersOf(id) {
      const j = indexOf(id)
      if (j === undefined) return []
      // The inverse of entryOf: who lists j, and in which group.
      const rows: Array<{watcher: string; group: string}> = []
      for (const d of [1, 2, 3]) rows.push({watcher: at(j - d), group: 'Team'})
      for (const d of [3, 10]) rows.push({watcher: at(j - d), group: 'Project'})
      rows.push({watcher: at(j - 20), group: ''})
      if (j === 0) for (let i = 50; i < size; i += 50) rows.push({watcher: at(i), group: 'Leadership'})
      for (let k = 1; k <= 250; k++) if (everyone((((j - k) % size) + size) % size)) rows.push({watcher: at(j - k), group: 'Everyone'})
      return rows
    },
  }
}
