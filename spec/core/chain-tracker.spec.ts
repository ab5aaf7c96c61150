import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChainTracker, MAX_CHAINS } from '../../src/core/chain-tracker.js';

describe('ChainTracker', () => {
  it('accepts a chain in order from wherever it is first seen', () => {
    const tracker = new ChainTracker();
    assert.deepEqual(
      [5, 6, 7].map((seq) => tracker.observe('bob', 'c1', '#room', seq).kind),
      ['in-order', 'in-order', 'in-order'],
    );
  });

  it('reports a gap with how many are missing, and a late arrival', () => {
    const tracker = new ChainTracker();
    tracker.observe('bob', 'c1', '#room', 0);
    assert.deepEqual(tracker.observe('bob', 'c1', '#room', 3), { kind: 'gap', missing: 2 });
    assert.deepEqual(tracker.observe('bob', 'c1', '#room', 1), { kind: 'late', behindBy: 2 });
    assert.deepEqual(tracker.observe('bob', 'c1', '#room', 4), { kind: 'in-order' });
  });

  it('keeps chains apart by sender, chain and conversation', () => {
    const tracker = new ChainTracker();
    tracker.observe('bob', 'c1', '#room', 0);
    assert.equal(tracker.observe('bob', 'c1', 'dm', 0).kind, 'in-order');
    assert.equal(tracker.observe('bob', 'c2', '#room', 0).kind, 'in-order', 'a reconnect starts a new chain');
    assert.equal(tracker.observe('carol', 'c1', '#room', 0).kind, 'in-order');
  });

  it(`remembers at most ${MAX_CHAINS} chains: the longest silent is forgotten, one still talking is kept`, () => {
    const tracker = new ChainTracker();
    tracker.observe('alice', 'talking', '#room', 0);
    tracker.observe('bob', 'silent', '#room', 0);
    for (let i = 0; i < MAX_CHAINS - 2; i++) tracker.observe('carol', `c${i}`, '#room', 0);
    tracker.observe('alice', 'talking', '#room', 1);
    tracker.observe('dave', 'one-more', '#room', 0);
    assert.deepEqual(tracker.observe('alice', 'talking', '#room', 5), { kind: 'gap', missing: 3 }, 'still known');
    assert.deepEqual(tracker.observe('bob', 'silent', '#room', 5), { kind: 'in-order' }, 'forgotten: starts afresh');
  });
});
