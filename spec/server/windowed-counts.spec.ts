// WindowedCounts: per-key counts over a window, forgetting the oldest keys past a bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowedCounts } from '../../src/server/windowed-counts.js';

describe('WindowedCounts', () => {
  it('counts per key within the window, starts again after it, and forgets the oldest keys past its bound', () => {
    const counts = new WindowedCounts(1000, 2);
    counts.add('a', 0);
    counts.add('a', 10);
    assert.equal(counts.count('a', 20), 2);
    assert.equal(counts.count('a', 1000), 0, 'a new window');
    counts.add('b', 1000);
    counts.add('c', 1000);
    assert.equal(counts.count('b', 1001), 1);
    // Room for two keys: adding 'a' again forgets 'b', now the oldest.
    counts.add('a', 1001);
    assert.equal(counts.count('b', 1002), 0, 'forgotten: a share given back, never taken');
  });
});
