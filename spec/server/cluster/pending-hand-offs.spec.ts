import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingHandOffs } from '../../../src/server/cluster/pending-hand-offs.js';

describe('PendingHandOffs', () => {
  it('settles each hand-off once, with the first answer', async () => {
    const pending = new PendingHandOffs(1000);
    const { id, outcome } = pending.open();
    pending.settle(id, 'delivered');
    pending.settle(id, 'absent');
    assert.equal(await outcome, 'delivered');
    assert.equal(pending.size, 0);
  });

  it('reports a hand-off nobody answers as unreachable once its time is up', async () => {
    const pending = new PendingHandOffs(40);
    const started = performance.now();
    const { outcome } = pending.open();
    // The sweeper does not hold a daemon open by itself (unref); this test must stay up for it.
    const keepAlive = setTimeout(() => {}, 5000);
    assert.equal(await outcome, 'unreachable');
    clearTimeout(keepAlive);
    assert.ok(performance.now() - started >= 40);
  });

  it('settles everything still open at once when the link goes', async () => {
    const pending = new PendingHandOffs(60_000);
    const outcomes = [pending.open().outcome, pending.open().outcome];
    pending.settleAll('unreachable');
    assert.deepEqual(await Promise.all(outcomes), ['unreachable', 'unreachable']);
  });
});
