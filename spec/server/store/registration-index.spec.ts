// RegistrationIndex: names per key, per address and day, and look-alikes among registered names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NAMES_PER_ADDRESS_WINDOW_MS, RegistrationIndex } from '../../../src/server/store/registration-index.js';

describe('RegistrationIndex', () => {
  it("counts a key's names, an address's recent ones, and forgets a name that is removed or re-keyed", () => {
    const index = new RegistrationIndex();
    const now = Date.now();
    index.add({ name: 'alice', fingerprint: 'k1', registeredAt: now, origin: 'o1' });
    index.add({ name: 'alice2', fingerprint: 'k1', registeredAt: now - NAMES_PER_ADDRESS_WINDOW_MS - 1, origin: 'o1' });
    assert.equal(index.namesOfKey('k1'), 2);
    assert.equal(index.recentFromOrigin('o1', now), 1, 'only the last day counts');
    index.add({ name: 'Alice', fingerprint: 'k2', registeredAt: now, origin: 'o1' });
    assert.equal(index.namesOfKey('k1'), 1, 'moved to a new key');
    assert.equal(index.namesOfKey('k2'), 1);
    index.remove('alice2');
    assert.equal(index.namesOfKey('k1'), 0);
    assert.equal(index.size, 1);
  });

  it('finds a registered name that reads like another, never a name itself', () => {
    const index = new RegistrationIndex();
    index.add({ name: 'alice', fingerprint: 'k1', registeredAt: Date.now() });
    assert.equal(index.lookalikeOf('a1ice'), 'alice');
    assert.equal(index.lookalikeOf('ALICE'), undefined);
    assert.equal(index.lookalikeOf('bob'), undefined);
  });
});
