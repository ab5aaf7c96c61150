import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Identity } from '../../src/core/identity.js';
import { safetyNumber } from '../../src/core/safety-number.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
let bob: Identity;
let mallory: Identity;
before(async () => {
  [alice, bob, mallory] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

describe('safety numbers', () => {
  it('are 60 digits in groups of five, the same from either side', () => {
    const fromAlice = safetyNumber({ name: 'alice', publicKeyDer: alice.publicKeyDer }, { name: 'bob', publicKeyDer: bob.publicKeyDer });
    const fromBob = safetyNumber({ name: 'bob', publicKeyDer: bob.publicKeyDer }, { name: 'alice', publicKeyDer: alice.publicKeyDer });
    assert.match(fromAlice, /^(\d{5} ){11}\d{5}$/);
    assert.equal(fromAlice, fromBob);
  });

  it('change when either key changes, or when a key is claimed under another name', () => {
    const real = safetyNumber({ name: 'alice', publicKeyDer: alice.publicKeyDer }, { name: 'bob', publicKeyDer: bob.publicKeyDer });
    const swapped = safetyNumber({ name: 'alice', publicKeyDer: alice.publicKeyDer }, { name: 'bob', publicKeyDer: mallory.publicKeyDer });
    const renamed = safetyNumber({ name: 'alice', publicKeyDer: alice.publicKeyDer }, { name: 'bobby', publicKeyDer: bob.publicKeyDer });
    assert.notEqual(real, swapped);
    assert.notEqual(real, renamed);
  });
});
