import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  type Directory,
  type DirectoryEntry,
  labDirectory,
  PRESENCE_STATUSES,
  PRESENCE_VIEWER_SERVICES,
  viewPresence,
} from '../../src/lib/domain/presence-viewer.js'

const allRunning = Object.fromEntries(PRESENCE_VIEWER_SERVICES.map((s) => [s, 'Running']))
const here = {assigned: 'imp-pub', signedInTo: 'imp-pub'}

function directoryOf(entries: DirectoryEntry[]): Directory {
  const byId = new Map(entries.map((e) => [e.id, e]))
  return {
    size: entries.length,
    entry: (id) => byId.get(id),
    watchersOf: (id) =>
      entries.flatMap((e) => [
        ...e.contactGroups.flatMap((g) => (g.contacts.includes(id) ? [{watcher: e.id, group: g.name}] : [])),
        ...(e.ungrouped.includes(id) ? [{watcher: e.id, group: ''}] : []),
      ]),
  }
}

const user = (id: string, over: Partial<DirectoryEntry> = {}): DirectoryEntry => ({
  id,
  status: 'Available',
  contactGroups: [],
  ungrouped: [],
  blocked: [],
  ...over,
})

describe('end user presence viewer (seed 003, PRG presence)', () => {
  it("presence viewer: the User Status values are the document's five", () => {
    assert.deepEqual([...PRESENCE_STATUSES], ['Available', 'Away', 'Do Not Disturb', 'Unavailable', 'Custom'])
  })

  it('presence viewer: a contact in several groups counts once in the contact list size', () => {
    const d = directoryOf([
      user('a', {
        contactGroups: [
          {name: 'Team', contacts: ['b', 'c']},
          {name: 'Project', contacts: ['c']},
        ],
        ungrouped: ['d'],
      }),
      user('b'),
      user('c'),
      user('d'),
    ])
    const v = viewPresence({directory: d, user: 'a', assignment: here, services: allRunning})
    assert.equal(v.contacts.count, 3)
    assert.deepEqual(v.contacts.ungrouped, ['d'], 'contacts in no group are listed under the groups')
  })

  it('presence viewer: a watcher in several groups counts once; watchers are listed by group', () => {
    const d = directoryOf([
      user('a'),
      user('w', {
        contactGroups: [
          {name: 'Team', contacts: ['a']},
          {name: 'Friends', contacts: ['a']},
        ],
      }),
      user('x', {ungrouped: ['a']}),
    ])
    const v = viewPresence({directory: d, user: 'a', assignment: here, services: allRunning})
    assert.equal(v.watchers.count, 2)
    assert.deepEqual(v.watchers.groups.map((g) => g.name).sort(), ['(no group)', 'Friends', 'Team'])
  })

  it('presence viewer: more contacts or watchers than the configured maximum is a warning', () => {
    const d = directoryOf([user('a', {ungrouped: ['b', 'c']}), user('b', {ungrouped: ['a']}), user('c', {ungrouped: ['a']})])
    const v = viewPresence({directory: d, user: 'a', assignment: here, services: allRunning, limits: {maxContacts: 1, maxWatchers: 1}})
    assert.equal(v.warnings.length, 2)
    assert.match(v.warnings[0], /2 contacts, more than the configured maximum of 1/)
    assert.match(v.warnings[1], /2 watchers, more than the configured maximum of 1/)
    const ok = viewPresence({directory: d, user: 'a', assignment: here, services: allRunning, limits: {maxContacts: 2, maxWatchers: 2}})
    assert.deepEqual(ok.warnings, [])
  })

  it('presence viewer: View From Perspective of a blocked watcher shows Unavailable; others see the status', () => {
    const d = directoryOf([user('a', {status: 'Custom', customText: 'In a meeting', blocked: ['b']}), user('b'), user('c')])
    assert.equal(viewPresence({directory: d, user: 'a', as: 'b', assignment: here, services: allRunning}).status, 'Unavailable')
    const seen = viewPresence({directory: d, user: 'a', as: 'c', assignment: here, services: allRunning})
    assert.equal(seen.status, 'Custom')
    assert.equal(seen.customText, 'In a meeting')
    assert.equal(seen.perspective, 'c')
  })

  it('presence viewer: the perspective takes at most 128 characters; unknown users are not found', () => {
    const d = directoryOf([user('a')])
    assert.throws(() => viewPresence({directory: d, user: 'a', as: 'x'.repeat(129), assignment: here, services: allRunning}), /at most 128/)
    assert.throws(
      () => viewPresence({directory: d, user: 'nobody', assignment: here, services: allRunning}),
      (e: Error) => e.name === 'NotFoundError',
    )
    assert.throws(
      () => viewPresence({directory: d, user: 'a', as: 'nobody', assignment: here, services: allRunning}),
      (e: Error) => e.name === 'NotFoundError',
    )
  })

  it('presence viewer: without AXL, Presence Engine and Proxy running on the node, presence is not valid (warning)', () => {
    const d = directoryOf([user('a')])
    const v = viewPresence({directory: d, user: 'a', assignment: here, services: {...allRunning, 'Cisco Presence Engine': 'Stopped'}})
    assert.equal(v.warnings.length, 1)
    assert.match(v.warnings[0], /Cisco Presence Engine is Stopped on imp-pub/)
  })

  it('presence viewer: the server assignment says where the user is assigned and where it is served (failed over)', () => {
    const d = directoryOf([user('a')])
    const v = viewPresence({directory: d, user: 'a', assignment: {assigned: 'imp-pub', signedInTo: 'imp-sub'}, services: allRunning})
    assert.deepEqual(v.server, {assigned: 'imp-pub', signedInTo: 'imp-sub'})
    assert.match(v.warnings[0], /assigned to imp-pub but served by imp-sub/)
  })

  it("the lab directory: every user's watchers are exactly the users that list it", () => {
    const id = (i: number) => `user${String(i + 1).padStart(5, '0')}@example.com`
    const lab = labDirectory(3000, id)
    const listing = new Map<string, Set<string>>()
    for (let i = 0; i < 3000; i++) {
      const e = lab.entry(id(i))!
      for (const c of [...e.contactGroups.flatMap((g) => g.contacts), ...e.ungrouped])
        listing.set(c, (listing.get(c) ?? new Set()).add(e.id))
    }
    for (const i of [0, 1, 7, 999, 1000, 1500, 2999]) {
      const watchers = new Set(lab.watchersOf(id(i)).map((w) => w.watcher))
      assert.deepEqual([...watchers].sort(), [...(listing.get(id(i)) ?? [])].sort(), id(i))
    }
  })
})
