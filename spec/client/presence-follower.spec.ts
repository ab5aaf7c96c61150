import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PresenceFollower } from '../../src/client/presence-follower.js';

function makeFollower(timeoutMs = 10_000, connected = true) {
  const sent: string[][] = [];
  const follower = new PresenceFollower((names) => {
    if (connected) sent.push(names);
    return connected;
  }, timeoutMs);
  return { follower, sent };
}

describe('PresenceFollower', () => {
  it('hands each answer to the request it answers, in order, and asks in batches of 1,000', async () => {
    const { follower, sent } = makeFollower();
    follower.reset('followed');
    assert.equal(follower.followsOnly, true);
    const first = follower.follow(['alice', 'nobody']);
    const many = follower.follow(Array.from({ length: 1500 }, (_, i) => `u${i}`));
    assert.deepEqual(
      sent.map((names) => names.length),
      [2, 1000, 500],
    );
    follower.answered()?.(['nobody']);
    follower.answered()?.(['u1']);
    follower.answered()?.(['u1499']);
    assert.deepEqual(await first, ['nobody']);
    assert.deepEqual(await many, ['u1', 'u1499']);
    assert.equal(follower.answered(), undefined, 'nothing more was asked');
  });

  it('goes on without an answer that never comes, and a late one is not taken for the next request', async () => {
    const { follower } = makeFollower(20);
    follower.reset('followed');
    // The follower's timer does not hold the process open (a client that is ending may end): this does.
    const alive = setTimeout(() => {}, 5000);
    assert.deepEqual(await follower.follow(['slow']), [], 'given up on after the timeout');
    clearTimeout(alive);
    const next = follower.follow(['next']);
    follower.answered()?.(['slow']); // the late answer to the first request
    follower.answered()?.(['next']);
    assert.deepEqual(await next, ['next']);
  });

  it('asks nothing without a connection, and lets every waiter go on a new welcome', async () => {
    const offline = makeFollower(10_000, false);
    assert.deepEqual(await offline.follower.follow(['alice']), []);
    const { follower: online } = makeFollower();
    const waiting = online.follow(['alice']);
    online.reset('everyone');
    assert.deepEqual(await waiting, []);
    assert.equal(online.followsOnly, false);
  });
});
