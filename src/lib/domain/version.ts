// Version forms of the product documents (SPEC 3 and 5; seeds 000, 003) and the
// IM and Presence compatibility rules UPG-1 and UPG-2. Pure: no I/O.

import {UsageError} from '../errors.js'

/**
 * Which way a version was written:
 * - `five-field`    `9.0.2.10000-4`  major.minor.maintenance.build-n (seed 003)
 * - `parenthesized` `9.0(1)`, `8.6(4)`, `8.0(1)`  major.minor(maintenance): a release name
 * - `dotted`        `7.0`, `4.6.2`, `5.0`, `4.6.1.3`  two to four numeric fields (ICM style)
 * - `wildcard`      `4.6.1.x`, `8.6.x`  the fields before `x`, any value after
 */
export type VersionForm = 'five-field' | 'parenthesized' | 'dotted' | 'wildcard'

export interface Version {
  /** The text as given (trimmed). */
  readonly text: string
  readonly form: VersionForm
  readonly major: number
  readonly minor: number
  readonly maintenance?: number
  readonly build?: number
  /** The `n` of `build-n`. */
  readonly n?: number
}

export const VERSION_FIELDS = ['major', 'minor', 'maintenance', 'build', 'n'] as const
export type VersionField = (typeof VERSION_FIELDS)[number]

export type VersionLike = string | Version

const FIVE_FIELD = /^(\d+)\.(\d+)\.(\d+)\.(\d+)-(\d+)$/
const PARENTHESIZED = /^(\d+)\.(\d+)\((\d+)\)$/
const DOTTED = /^(\d+)\.(\d+)(?:\.(\d+)(?:\.(\d+))?)?$/
const WILDCARD = /^(\d+)\.(\d+)(?:\.(\d+))?\.x$/i

/** Parses any of the documents' version forms; anything else is a UsageError naming the text. */
export function parseVersion(text: string): Version {
  const t = text.trim()
  let m = FIVE_FIELD.exec(t)
  if (m) {
    return {text: t, form: 'five-field', major: +m[1], minor: +m[2], maintenance: +m[3], build: +m[4], n: +m[5]}
  }
  m = PARENTHESIZED.exec(t)
  if (m) return {text: t, form: 'parenthesized', major: +m[1], minor: +m[2], maintenance: +m[3]}
  m = DOTTED.exec(t)
  if (m) {
    const v = withMaintenance({text: t, form: 'dotted', major: +m[1], minor: +m[2]}, m[3])
    return m[4] === undefined ? v : {...v, build: +m[4]}
  }
  m = WILDCARD.exec(t)
  if (m) return withMaintenance({text: t, form: 'wildcard', major: +m[1], minor: +m[2]}, m[3])
  throw new UsageError(
    `"${text}" is not a version: expected major.minor.maintenance.build-n (9.0.2.10000-4), ` +
      'major.minor(maintenance) (9.0(1)), major.minor[.maintenance[.build]] (7.0, 4.6.2) or a wildcard (4.6.1.x)',
  )
}

function withMaintenance(v: Version, maintenance: string | undefined): Version {
  return maintenance === undefined ? v : {...v, maintenance: +maintenance}
}

export function toVersion(v: VersionLike): Version {
  return typeof v === 'string' ? parseVersion(v) : v
}

/** The numeric fields a version states, in order (2 to 5 of them). */
export function versionFields(v: Version): number[] {
  const out: number[] = []
  for (const f of VERSION_FIELDS) {
    const value = v[f]
    if (value === undefined) break
    out.push(value)
  }
  return out
}

/**
 * Compares on the fields both versions state, left to right: -1, 0 or 1.
 * A shorter form names a release that contains every longer version sharing its fields,
 * so `9.0(1)` compares equal to `9.0.1.10000-9` and `compareVersions(v, '8.5') <= 0`
 * reads "8.5 and earlier" the way the documents mean it (8.5 builds included).
 * Between two five-field versions this is a total order.
 */
export function compareVersions(a: VersionLike, b: VersionLike): -1 | 0 | 1 {
  const fa = versionFields(toVersion(a))
  const fb = versionFields(toVersion(b))
  const len = Math.min(fa.length, fb.length)
  for (let i = 0; i < len; i++) {
    if (fa[i] < fb[i]) return -1
    if (fa[i] > fb[i]) return 1
  }
  return 0
}

/**
 * True when `v` belongs to `release`: every field the release states is equal in `v`.
 * Decision (short form vs five fields): "target release 9.0(1)" is matched by an installed
 * 9.0.1.10000-9 because seed 003 defines the numbers as "9.x.y: 9 = major, x = minor,
 * y = maintenance" and names releases by those three ("Release 9.0(1)", "8.6(4)") while
 * installed software carries build-n as well. The reverse does not hold: a release name
 * cannot prove a build, so UPG-2 (all five fields) needs five-field versions on both sides.
 */
export function isReleaseOf(v: VersionLike, release: VersionLike): boolean {
  const fv = versionFields(toVersion(v))
  const fr = versionFields(toVersion(release))
  if (fv.length < fr.length) return false
  return fr.every((x, i) => fv[i] === x)
}

/** "`release` and earlier" of the documents (e.g. "8.5 and earlier", "4.6.1.x and earlier"). */
export function isAtOrBefore(v: VersionLike, release: VersionLike): boolean {
  return compareVersions(v, release) <= 0
}

/** UPG-1: Unified CM and IM and Presence work together only with the same major and minor. */
export function areCompatible(cucm: VersionLike, imp: VersionLike): boolean {
  const a = toVersion(cucm)
  const b = toVersion(imp)
  return a.major === b.major && a.minor === b.minor
}

/**
 * UPG-2: a later IM&P node must match the first upgraded IM&P node in all five fields.
 * Both must be five-field versions: a release name cannot show a build (see isReleaseOf).
 */
export function matchesFirstUpgraded(first: VersionLike, candidate: VersionLike): boolean {
  const a = toVersion(first)
  const b = toVersion(candidate)
  if (a.form !== 'five-field' || b.form !== 'five-field') return false
  return VERSION_FIELDS.every((f) => a[f] === b[f])
}

/** The canonical text of a version: `9.0.1.10000-9`, `9.0(1)`, `4.6.1.x`, `7.0`. */
export function formatVersion(v: Version): string {
  switch (v.form) {
    case 'five-field':
      return `${v.major}.${v.minor}.${v.maintenance}.${v.build}-${v.n}`
    case 'parenthesized':
      return `${v.major}.${v.minor}(${v.maintenance})`
    case 'wildcard':
      return `${versionFields(v).join('.')}.x`
    default:
      return versionFields(v).join('.')
  }
}

/** An installable version: all five fields (a release name such as 9.0(1) names no build). */
export function installableVersion(text: string): string {
  const v = parseVersion(text)
  if (v.form !== 'five-field') {
    throw new UsageError(`"${text}" is a release, not an installable version: give all five fields (e.g. 9.0.1.10000-9)`)
  }
  return v.text
}
