import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {tokensCrossNetworkInClear} from '../../src/lib/domain/transport.js'

describe('the plain-HTTP warning is for tokens crossing a network (issue 18)', () => {
  const CASES: Array<[url: string, inClear: boolean]> = [
    ['http://10.0.0.11:8443', true],
    ['http://cucm-pub.example.net:8443', true],
    ['http://[2001:db8::1]:8443', true],
    ['http://127.0.0.2.example.net', true],
    ['http://127.0.0.1:45853', false],
    ['http://127.1.2.3:80', false],
    ['http://localhost:8443', false],
    ['http://LOCALHOST:8443', false],
    ['http://[::1]:8443', false],
    ['http://[::ffff:127.0.0.1]:8443', false],
    ['https://10.0.0.11:8443', false],
    ['https://cucm-pub.example.net', false],
  ]
  for (const [url, inClear] of CASES) {
    it(`${url}: ${inClear ? 'warns' : 'no warning'}`, () => assert.equal(tokensCrossNetworkInClear(url), inClear))
  }
})
