import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Identity } from '../../src/core/identity.js';
import { signJoinChallenge, verifyJoinProof } from '../../src/core/join-proof.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
let bob: Identity;
before(async () => {
  [alice, bob] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

describe('join proof', () => {
  it('verifies for the same nonce, name and key, and for nothing else', () => {
    const nonce = randomBytes(32);
    const signature = signJoinChallenge(alice.privateKey, nonce, 'alice', alice.publicKeyDer);
    assert.equal(verifyJoinProof(alice.publicKey, nonce, 'alice', alice.publicKeyDer, signature), true);
    assert.equal(verifyJoinProof(alice.publicKey, randomBytes(32), 'alice', alice.publicKeyDer, signature), false, 'another nonce');
    assert.equal(verifyJoinProof(alice.publicKey, nonce, 'mallory', alice.publicKeyDer, signature), false, 'another name');
    assert.equal(verifyJoinProof(bob.publicKey, nonce, 'alice', bob.publicKeyDer, signature), false, 'another key');
    assert.equal(verifyJoinProof(alice.publicKey, nonce, 'alice', alice.publicKeyDer, Buffer.from('junk')), false, 'junk');
  });
});
