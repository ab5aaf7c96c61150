import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnkeyedPeers } from '../../src/client/unkeyed-peers.js';

describe('UnkeyedPeers', () => {
  it('lists a user from presence alone: no fingerprint shown, nothing pinned, away text made safe', () => {
    const peers = new UnkeyedPeers();
    assert.equal(peers.set({ name: 'bob', fingerprint: 'ab'.repeat(32), joinedAt: 5, keyId: 'k1' }), true);
    assert.equal(peers.set({ name: '../evil', fingerprint: '', joinedAt: 0 }), false, 'a malformed name is not listed');
    assert.equal(peers.setAway('BOB', 'at lunch\u001b[2J\u0007'), true);
    const [view] = peers.views(() => undefined);
    assert.equal(view?.fingerprint, '', "the server's word on a fingerprint is not shown as a key");
    assert.equal(view?.trust, 'new');
    assert.equal(view?.awayMessage, 'at lunch');
    assert.equal(view?.online, true);
    assert.equal(peers.remove('Bob'), true);
    assert.equal(peers.size, 0);
  });
});
