import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyIdOf, presenceOf } from '../../src/server/peer-summaries.js';

describe('peer summaries', () => {
  it('tell presence no keys, only the id of the bundle, and an away user as offline without an away message', () => {
    const summary = { name: 'bob', publicKey: 'UEs=', prekey: 'UFI=', prekeySig: 'U0c=', fingerprint: 'ab', joinedAt: 5, away: 'lunch' };
    const told = presenceOf(summary);
    assert.deepEqual(told, { name: 'bob', fingerprint: 'ab', joinedAt: 5, keyId: keyIdOf('UEs=', 'UFI='), away: 'lunch' });
    assert.notEqual(keyIdOf('UEs=', 'UFI='), keyIdOf('UEs=', 'other'), 'a new prekey is a new bundle');
    assert.deepEqual(presenceOf({ ...summary, online: false }), { name: 'bob', fingerprint: 'ab', joinedAt: 5, keyId: keyIdOf('UEs=', 'UFI='), online: false });
  });
});
