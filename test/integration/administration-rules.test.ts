// `user check` by rule id and the presence viewer (ADM-7), against real agents (./administration-lab.ts).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type CliResult, schemaProblems} from '../helpers/cli.js'
import {type AdminLab, adminLabFor, ok, SEEDED} from './administration-lab.js'

const findings = (r: CliResult) => r.json.findings.map((f: {rule: string; severity: string}) => `${f.rule} ${f.severity}`)

/** User nol from template staff with a line appearance (where the ADM-6 test ends), through the database API. */
async function withLine(lab: AdminLab): Promise<void> {
  await lab.config.call('POST /v1/config/users', {body: {id: 'nol', template: 'staff', device: 'CSFNOL', extension: '3998'}})
}

describe('administration: user check and the presence viewer (seed 003)', {concurrency: 2}, () => {
  it('user check: every user passes (exit 0); ADM-6: an enabled user without a line appearance, exit 3 until fixed', async (t) => {
    const {cli} = await adminLabFor(t)
    const all = await cli('user', 'check', '--json')
    assert.deepEqual(schemaProblems(all.json), [])
    assert.equal(all.code, 0, JSON.stringify(all.json.findings))
    assert.equal(all.json.users, SEEDED + 1)

    ok(await cli('user', 'add', 'nol', '--template', 'staff'))
    const noLine = await cli('user', 'check', 'nol', '--json')
    assert.equal(noLine.code, 3)
    assert.deepEqual(findings(noLine), ['ADM-6 error'])
    assert.equal((await cli('user', 'update', 'nol', '--extension', '3998')).code, 2)
    ok(await cli('user', 'update', 'nol', '--device', 'CSFNOL', '--extension', '3998'))
    assert.equal((await cli('user', 'check', 'nol')).code, 0)
    assert.equal((await cli('user', 'check', 'nobody')).code, 2)
  })

  it('user check: ADM-1 and ADM-5: a profile without an IM and Presence service and with one directory kind, exit 3; exit 0 once fixed', async (t) => {
    const lab = await adminLabFor(t)
    const {cli} = lab
    await withLine(lab)
    ok(await cli('service-profile', 'add', 'bare', '--service', 'dir-uds'))
    ok(await cli('service-profile', 'assign', 'bare', 'nol'))
    const bare = await cli('user', 'check', 'nol', '--json')
    assert.equal(bare.code, 3)
    assert.deepEqual(findings(bare), ['ADM-1 error', 'ADM-5 warning'])
    assert.match(bare.json.findings[1].message, /lacks enhanced directory, basic directory/)
    ok(await cli('service-profile', 'assign', 'standard', 'nol'))
    assert.equal((await cli('user', 'check', 'nol')).code, 0)
  })

  it("user check: ADM-7: AXL not running on the user's node, exit 3; exit 0 once it runs again", async (t) => {
    const lab = await adminLabFor(t)
    const {cli} = lab
    await withLine(lab)
    const node = ok(await cli('user', 'show', 'nol', '--json')).user.presenceNode
    ok(await cli('service', 'stop', 'Cisco AXL Web Service', '--node', node, '--yes'))
    const axl = await cli('user', 'check', 'nol', '--json')
    assert.equal(axl.code, 3)
    assert.deepEqual(findings(axl), ['ADM-7 error'])
    assert.match(axl.json.findings[0].message, new RegExp(`Cisco AXL Web Service not running on ${node}`))
    ok(await cli('service', 'start', 'Cisco AXL Web Service', '--node', node, '--yes'))
    assert.equal((await cli('user', 'check', 'nol')).code, 0)
  })

  it('ADM-7: the presence viewer only for Home Cluster and IM and Presence on; contacts and watchers per group with statuses, ungrouped last; prerequisites; accessible icons', async (t) => {
    const lab = await adminLabFor(t)
    const {cli} = lab
    const refused = await cli('pcluster', 'user', 'nohome', '--json')
    assert.equal(refused.code, 5)
    assert.equal(refused.json.error.rule, 'ADM-7')
    assert.equal((await cli('pcluster', 'user', 'nobody-at-all', '--json')).code, 2)
    const v = ok(await cli('pcluster', 'user', 'user00001@example.com', '--json'), 'PresenceView')
    const contacts = [...v.contacts.groups.flatMap((g: {contacts: string[]}) => g.contacts), ...v.contacts.ungrouped]
    assert.deepEqual(Object.keys(v.contacts.statuses).sort(), [...new Set(contacts)].sort())
    assert.deepEqual(Object.keys(v.watchers.statuses).length, v.watchers.count)
    assert.equal(v.watchers.groups.at(-1).name, '(no group)', 'watchers in no group come after the groups')
    assert.deepEqual(v.watchers.groups.at(-1).watchers, v.watchers.ungrouped)
    assert.deepEqual(
      v.prerequisites.map((p: {ok: boolean}) => p.ok),
      [true, true, true, true],
    )
    const plain = await cli('pcluster', 'user', 'user00001@example.com', '--accessible-icons')
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, /^contact\tTeam\tuser00002@example\.com\t(✔ Available|◷ Away|⊘ Do Not Disturb|○ Unavailable|✎ Custom)$/m)
  })
})
