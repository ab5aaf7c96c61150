// WindowedCounts: per-key counts over a window, forgetting the least recently used keys past a bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowedCounts } from '../../src/server/windowed-counts.js';

describe('WindowedCounts', () => {
  it('counts per key within the window, starts again after it, and forgets the least recently used keys past its bound', () => {
    const counts = new WindowedCounts(1000, 2);
    counts.add('a', 0);
    counts.add('a', 10);
    assert.equal(counts.count('a', 20), 2);
    assert.equal(counts.count('a', 1000), 0, 'a new window');
    counts.add('b', 1000);
    counts.add('c', 1000);
    assert.equal(counts.count('b', 1001), 1);
    // Room for two keys ('a' went when 'c' came): 'b' was just read, so a new 'a' forgets 'c'.
    counts.add('a', 1001);
    assert.equal(counts.count('b', 1002), 1, 'used lately: kept');
    assert.equal(counts.count('c', 1002), 0, 'forgotten: a share given back, never taken');
  });
});
