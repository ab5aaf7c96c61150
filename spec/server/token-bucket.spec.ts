import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../src/server/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst at once, then asks to wait for the rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) bucket.take(1, 0);
    assert.equal(bucket.waitMs(0), 0, 'the burst is free');
    bucket.take(1, 0);
    assert.equal(bucket.waitMs(0), 100, 'one token over at 10/s: wait 100 ms');
    assert.equal(bucket.waitMs(100), 0);
  });

  it('refills up to the burst and no further', () => {
    const bucket = new TokenBucket(10, 5, 0);
    bucket.take(5, 0);
    assert.equal(bucket.take(0, 60_000), 5);
  });
});
