// The Unified CM cluster's configuration database, on the publisher (ADM-10: since 10.0(x) the
// presence redundancy groups live here too): end users, UC services, service profiles, user
// and feature group templates, presence redundancy groups and user-to-node assignments.
//
// SQLite through libsql (prebuilt binaries in the registry for Node 20, 22 and 24; nothing to
// compile), in WAL mode with synchronous FULL: a transaction the agent acknowledged is on disk,
// and one cut by SIGKILL is not there at all. The schema is versioned (PRAGMA user_version) and
// migrated forward at open, each migration in its own transaction.
import {mkdirSync} from 'node:fs'
import {dirname} from 'node:path'
import Database from 'libsql'
import {InternalError, RefusedError} from '../errors.js'
import type {EndUser, SrmParameters, UcService, UserTemplate} from '../domain/administration.js'

type Db = InstanceType<typeof Database>

/** Forward migrations, in order; index + 1 is the schema version they bring. Never edit one: add one. */
export const MIGRATIONS: readonly string[] = [
  // 1: directory and UC configuration
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   INSERT INTO meta (key, value) VALUES ('revision', '0');
   CREATE TABLE uc_service (
     name TEXT PRIMARY KEY COLLATE NOCASE, type TEXT NOT NULL, directory_type TEXT, host TEXT NOT NULL,
     custom_tftp_file TEXT, attribute_mappings TEXT);
   CREATE TABLE service_profile (name TEXT PRIMARY KEY COLLATE NOCASE, is_default INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE service_profile_member (
     profile TEXT NOT NULL REFERENCES service_profile(name) ON DELETE CASCADE,
     service TEXT NOT NULL REFERENCES uc_service(name), position INTEGER NOT NULL, PRIMARY KEY (profile, service));
   CREATE TABLE user_template (
     name TEXT PRIMARY KEY COLLATE NOCASE, kind TEXT NOT NULL, home_cluster INTEGER NOT NULL, im_and_presence INTEGER NOT NULL,
     service_profile TEXT REFERENCES service_profile(name));
   CREATE TABLE end_user (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE COLLATE NOCASE,
     first_name TEXT, last_name TEXT, mail_id TEXT, home_cluster INTEGER NOT NULL DEFAULT 0, im_and_presence INTEGER NOT NULL DEFAULT 0,
     service_profile TEXT REFERENCES service_profile(name), device TEXT, extension TEXT);`,
  // 2: presence redundancy groups and user assignment (ADM-8, ADM-10)
  `CREATE TABLE presence_group (name TEXT PRIMARY KEY COLLATE NOCASE, automatic_fallback INTEGER NOT NULL DEFAULT 0, srm_parameters TEXT NOT NULL);
   CREATE TABLE presence_group_node (node TEXT PRIMARY KEY, group_name TEXT NOT NULL REFERENCES presence_group(name) ON DELETE CASCADE);
   ALTER TABLE end_user ADD COLUMN presence_node TEXT;
   CREATE INDEX end_user_presence_node ON end_user(presence_node);`,
]

export interface PresenceGroupRow {
  name: string
  nodes: string[]
  automaticFallback: boolean
  srmParameters: SrmParameters
}

interface UserRow {
  seq: number
  id: string
  first_name: string | null
  last_name: string | null
  mail_id: string | null
  home_cluster: number
  im_and_presence: number
  service_profile: string | null
  device: string | null
  extension: string | null
  presence_node: string | null
}

const toUser = (r: UserRow): EndUser => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  mailId: r.mail_id,
  homeCluster: r.home_cluster === 1,
  imAndPresence: r.im_and_presence === 1,
  serviceProfile: r.service_profile,
  presenceNode: r.presence_node,
  device: r.device,
  extension: r.extension,
})

const USER_COLUMNS: Record<keyof Omit<EndUser, 'id'>, string> = {
  firstName: 'first_name',
  lastName: 'last_name',
  mailId: 'mail_id',
  homeCluster: 'home_cluster',
  imAndPresence: 'im_and_presence',
  serviceProfile: 'service_profile',
  presenceNode: 'presence_node',
  device: 'device',
  extension: 'extension',
}

const sqlValue = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null))

export interface UserFilter {
  enabled?: boolean
  profile?: string
  node?: string
  ids?: readonly string[]
  limit?: number
  offset?: number
}

export class ConfigurationDatabase {
  private constructor(private readonly db: Db) {}

  /** Opens (creating) the database and migrates it to the newest schema. */
  static open(path: string): ConfigurationDatabase {
    mkdirSync(dirname(path), {recursive: true})
    const db = new Database(path)
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000')
    const me = new ConfigurationDatabase(db)
    me.migrate()
    return me
  }

  get schemaVersion(): number {
    // libsql's pragma({simple: true}) answers an object: read it as a row.
    return (this.db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version
  }

  private migrate(): void {
    const from = this.schemaVersion
    if (from > MIGRATIONS.length)
      throw new InternalError(
        `the configuration database is at schema version ${from}, newer than this ucctl knows (${MIGRATIONS.length}): upgrade ucctl`,
      )
    for (let v = from; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v])
        this.db.exec(`PRAGMA user_version = ${v + 1}`)
      })()
    }
  }

  close(): void {
    this.db.close()
  }

  /** Runs `fn` in one transaction that also bumps the revision (IM&P Sync Agents poll it). */
  write<T>(fn: () => T): T {
    try {
      return this.db
        .transaction(() => {
          const out = fn()
          this.db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'").run()
          return out
        })
        .immediate()
    } catch (error) {
      // The rules run before the write; a constraint that still trips is a refusal, not a crash.
      if (String((error as {code?: string}).code).startsWith('SQLITE_CONSTRAINT'))
        throw new RefusedError(`the configuration database refused the change (nothing was written): ${(error as Error).message}`)
      throw error
    }
  }

  /** Runs `fn` in a transaction that is always rolled back (dry runs see the outcome, change nothing). */
  rehearse<T>(fn: () => T): T {
    let out: T | undefined
    const rollback = new Error('rehearsal')
    try {
      this.db.transaction(() => {
        out = fn()
        throw rollback
      })()
    } catch (error) {
      if (error !== rollback) throw error
    }
    return out as T
  }

  get revision(): number {
    return Number((this.db.prepare("SELECT value FROM meta WHERE key = 'revision'").get() as {value: string}).value)
  }

  meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as {value: string} | undefined)?.value
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  // --- UC services (ADM-3, ADM-4)

  ucServices(): UcService[] {
    const rows = this.db.prepare('SELECT * FROM uc_service ORDER BY name').all() as Array<Record<string, string | null>>
    return rows.map((r) => ({
      name: r.name!,
      type: r.type as UcService['type'],
      host: r.host!,
      ...(r.directory_type ? {directoryType: r.directory_type as UcService['directoryType']} : {}),
      ...(r.custom_tftp_file ? {customTftpFile: r.custom_tftp_file} : {}),
      ...(r.attribute_mappings ? {attributeMappings: JSON.parse(r.attribute_mappings) as Record<string, string>} : {}),
    }))
  }

  addUcService(s: UcService): void {
    this.db
      .prepare('INSERT INTO uc_service (name, type, directory_type, host, custom_tftp_file, attribute_mappings) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        s.name,
        s.type,
        s.directoryType ?? null,
        s.host,
        s.customTftpFile ?? null,
        s.attributeMappings ? JSON.stringify(s.attributeMappings) : null,
      )
  }

  removeUcService(name: string): number {
    return this.db.prepare('DELETE FROM uc_service WHERE name = ?').run(name).changes
  }

  /** Profiles that hold a UC service. */
  profilesWith(service: string): string[] {
    return (
      this.db.prepare('SELECT profile FROM service_profile_member WHERE service = ? ORDER BY profile').all(service) as Array<{
        profile: string
      }>
    ).map((r) => r.profile)
  }

  // --- service profiles (ADM-3)

  serviceProfiles(): Array<{name: string; default: boolean; services: string[]; users: number}> {
    const profiles = this.db.prepare('SELECT name, is_default FROM service_profile ORDER BY name').all() as Array<{
      name: string
      is_default: number
    }>
    const members = this.db.prepare('SELECT profile, service FROM service_profile_member ORDER BY profile, position').all() as Array<{
      profile: string
      service: string
    }>
    const counts = new Map(
      (
        this.db
          .prepare(
            'SELECT service_profile AS p, COUNT(*) AS n FROM end_user WHERE service_profile IS NOT NULL GROUP BY service_profile COLLATE NOCASE',
          )
          .all() as Array<{p: string; n: number}>
      ).map((r) => [r.p.toLowerCase(), r.n]),
    )
    const withoutOwn = (this.db.prepare('SELECT COUNT(*) AS n FROM end_user WHERE service_profile IS NULL').get() as {n: number}).n
    return profiles.map((p) => ({
      name: p.name,
      default: p.is_default === 1,
      services: members.filter((m) => m.profile.toLowerCase() === p.name.toLowerCase()).map((m) => m.service),
      // A user's profile is their own, else the default (ADM-3).
      users: (counts.get(p.name.toLowerCase()) ?? 0) + (p.is_default === 1 ? withoutOwn : 0),
    }))
  }

  addServiceProfile(name: string, services: readonly string[]): void {
    this.db.prepare('INSERT INTO service_profile (name) VALUES (?)').run(name)
    const add = this.db.prepare('INSERT INTO service_profile_member (profile, service, position) VALUES (?, ?, ?)')
    services.forEach((s, i) => add.run(name, s, i))
  }

  removeServiceProfile(name: string): number {
    return this.db.prepare('DELETE FROM service_profile WHERE name = ?').run(name).changes
  }

  setDefaultProfile(name: string): void {
    this.db.prepare('UPDATE service_profile SET is_default = (name = ?)').run(name)
  }

  /** Users and templates that name a profile as their own. */
  profileUsage(name: string): {users: number; templates: string[]} {
    const users = (this.db.prepare('SELECT COUNT(*) AS n FROM end_user WHERE service_profile = ?').get(name) as {n: number}).n
    const templates = (this.db.prepare('SELECT name FROM user_template WHERE service_profile = ?').all(name) as Array<{name: string}>).map(
      (r) => r.name,
    )
    return {users, templates}
  }

  // --- user templates and feature group templates (ADM-2)

  userTemplates(): UserTemplate[] {
    return (
      this.db.prepare('SELECT * FROM user_template ORDER BY name').all() as Array<{
        name: string
        kind: string
        home_cluster: number
        im_and_presence: number
        service_profile: string | null
      }>
    ).map((r) => ({
      name: r.name,
      kind: r.kind as UserTemplate['kind'],
      homeCluster: r.home_cluster === 1,
      imAndPresence: r.im_and_presence === 1,
      serviceProfile: r.service_profile,
    }))
  }

  addUserTemplate(t: UserTemplate): void {
    this.db
      .prepare('INSERT INTO user_template (name, kind, home_cluster, im_and_presence, service_profile) VALUES (?, ?, ?, ?, ?)')
      .run(t.name, t.kind, t.homeCluster ? 1 : 0, t.imAndPresence ? 1 : 0, t.serviceProfile)
  }

  removeUserTemplate(name: string): number {
    return this.db.prepare('DELETE FROM user_template WHERE name = ?').run(name).changes
  }

  // --- end users (ADM-2)

  users(filter: UserFilter = {}): {total: number; users: EndUser[]} {
    const where: string[] = []
    const params: unknown[] = []
    if (filter.enabled !== undefined) where.push(`im_and_presence = ${filter.enabled ? 1 : 0}`)
    if (filter.profile !== undefined) {
      // Their own profile, or the default for users without one (ADM-3).
      where.push(
        '(service_profile = ? OR (service_profile IS NULL AND EXISTS (SELECT 1 FROM service_profile p WHERE p.name = ? AND p.is_default = 1)))',
      )
      params.push(filter.profile, filter.profile)
    }
    if (filter.node !== undefined) {
      where.push('presence_node = ?')
      params.push(filter.node)
    }
    if (filter.ids) {
      where.push(`id IN (SELECT value FROM json_each(?))`)
      params.push(JSON.stringify(filter.ids))
    }
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : ''
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM end_user${clause}`).get(...params) as {n: number}).n
    const page =
      filter.limit !== undefined
        ? ` LIMIT ${Math.trunc(filter.limit)} OFFSET ${Math.trunc(filter.offset ?? 0)}`
        : filter.offset
          ? ` LIMIT -1 OFFSET ${Math.trunc(filter.offset)}`
          : ''
    const rows = this.db.prepare(`SELECT * FROM end_user${clause} ORDER BY seq${page}`).all(...params) as UserRow[]
    return {total, users: rows.map(toUser)}
  }

  user(id: string): EndUser | undefined {
    const r = this.db.prepare('SELECT * FROM end_user WHERE id = ?').get(id) as UserRow | undefined
    return r && toUser(r)
  }

  insertUser(u: EndUser): void {
    this.insertUsers([u])
  }

  /** Many users with one prepared statement (inside the caller's transaction). */
  insertUsers(users: readonly EndUser[]): void {
    const st = this.db.prepare(
      'INSERT INTO end_user (id, first_name, last_name, mail_id, home_cluster, im_and_presence, service_profile, presence_node, device, extension) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    for (const u of users)
      st.run(
        u.id,
        u.firstName,
        u.lastName,
        u.mailId,
        u.homeCluster ? 1 : 0,
        u.imAndPresence ? 1 : 0,
        u.serviceProfile,
        u.presenceNode,
        u.device,
        u.extension,
      )
  }

  updateUser(id: string, changes: Partial<Omit<EndUser, 'id'>>): number {
    const keys = Object.keys(changes) as Array<keyof typeof USER_COLUMNS>
    if (keys.length === 0) return 0
    const set = keys.map((k) => `${USER_COLUMNS[k]} = ?`).join(', ')
    return this.db.prepare(`UPDATE end_user SET ${set} WHERE id = ?`).run(...keys.map((k) => sqlValue(changes[k])), id).changes
  }

  existingIds(ids: readonly string[]): Set<string> {
    const rows = this.db.prepare('SELECT id FROM end_user WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Array<{
      id: string
    }>
    return new Set(rows.map((r) => r.id.toLowerCase()))
  }

  /** Users assigned to each IM and Presence node (PRG-10). */
  usersPerNode(): Map<string, number> {
    const rows = this.db
      .prepare('SELECT presence_node AS node, COUNT(*) AS n FROM end_user WHERE presence_node IS NOT NULL GROUP BY presence_node')
      .all() as Array<{node: string; n: number}>
    return new Map(rows.map((r) => [r.node, r.n]))
  }

  /** What an IM and Presence Sync Agent takes: enabled users of these nodes, in directory order. */
  presenceUsers(nodes: readonly string[]): Array<{id: string; node: string}> {
    return this.db
      .prepare(
        'SELECT id, presence_node AS node FROM end_user WHERE im_and_presence = 1 AND home_cluster = 1 AND presence_node IN (SELECT value FROM json_each(?)) ORDER BY seq',
      )
      .all(JSON.stringify(nodes)) as Array<{id: string; node: string}>
  }

  // --- presence redundancy groups (ADM-8, ADM-10)

  presenceGroups(): PresenceGroupRow[] {
    const groups = this.db.prepare('SELECT * FROM presence_group ORDER BY name').all() as Array<{
      name: string
      automatic_fallback: number
      srm_parameters: string
    }>
    const nodes = this.db.prepare('SELECT node, group_name FROM presence_group_node ORDER BY node').all() as Array<{
      node: string
      group_name: string
    }>
    return groups.map((g) => ({
      name: g.name,
      nodes: nodes.filter((n) => n.group_name.toLowerCase() === g.name.toLowerCase()).map((n) => n.node),
      automaticFallback: g.automatic_fallback === 1,
      srmParameters: JSON.parse(g.srm_parameters) as SrmParameters,
    }))
  }

  putPresenceGroup(g: PresenceGroupRow): void {
    this.db
      .prepare(
        'INSERT INTO presence_group (name, automatic_fallback, srm_parameters) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET automatic_fallback = excluded.automatic_fallback, srm_parameters = excluded.srm_parameters',
      )
      .run(g.name, g.automaticFallback ? 1 : 0, JSON.stringify(g.srmParameters))
    this.db.prepare('DELETE FROM presence_group_node WHERE group_name = ?').run(g.name)
    const add = this.db.prepare('INSERT INTO presence_group_node (node, group_name) VALUES (?, ?)')
    for (const n of g.nodes) add.run(n, g.name)
  }

  removePresenceGroup(name: string): number {
    return this.db.prepare('DELETE FROM presence_group WHERE name = ?').run(name).changes
  }
}
