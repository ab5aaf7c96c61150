// OneTimePrekeyRation: a few of one user's one-time prekeys per requester and per address a day.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OneTimePrekeyRation, PREKEY_RATION_WINDOW_MS } from '../../src/server/one-time-prekey-ration.js';

describe('OneTimePrekeyRation', () => {
  const limits = () => ({ oneTimePrekeysPerRequester: 3, oneTimePrekeysPerAddress: 5 });

  it('hands one requester three a day, and one address five whatever names it uses', () => {
    const ration = new OneTimePrekeyRation(limits);
    const now = Date.now();
    const byAlice = Array.from({ length: 5 }, () => ration.take('alice', '192.0.2.1', 'bob', now));
    assert.deepEqual(byAlice, [true, true, true, false, false]);
    assert.equal(ration.take('ALICE', '192.0.2.9', 'bob', now), false, 'the same requester from elsewhere');
    assert.equal(ration.take('alice', '192.0.2.1', 'carol', now), true, "another user's pool is another ration");
    const fresh = Array.from({ length: 3 }, (_, i) => ration.take(`fresh${i}`, '192.0.2.1', 'bob', now));
    assert.deepEqual(fresh, [true, true, false], "the address's five are used up");
    assert.equal(ration.take('alice', '192.0.2.1', 'bob', now + PREKEY_RATION_WINDOW_MS), true, 'a day later');
  });
});
