// Issue 13: the words of outputs, as a careful reader would have them.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {auditRequest} from '../../src/commands/events.js'
import {PRODUCT_NAMES, withArticle} from '../../src/lib/domain/services.js'

describe('wording (issue 13)', () => {
  it('"an IM and Presence node", "a Unified CM node": the article follows the sound', () => {
    assert.deepEqual(
      Object.values(PRODUCT_NAMES).map(withArticle).sort(),
      ['a CTI OS', 'a Unified CM', 'a Unity Connection', 'an IM and Presence'].sort(),
    )
  })

  it('the audit table shows the request made (service and action), not the route template', () => {
    assert.equal(
      auditRequest({method: 'POST', route: '/v1/services/:name/:action', params: {name: 'Cisco Presence Engine', action: 'stop'}}),
      'POST /v1/services/Cisco Presence Engine/stop',
    )
    assert.equal(auditRequest({method: 'POST', route: '/v1/node/restart'}), 'POST /v1/node/restart')
  })
})
