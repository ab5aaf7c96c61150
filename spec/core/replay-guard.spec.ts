import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { ReplayGuard } from '../../src/core/replay-guard.js';

const NOW = 1_800_000_000_000;

describe('ReplayGuard', () => {
  it('accepts a fresh id once and refuses it the second time', () => {
    const guard = new ReplayGuard();
    guard.check('a', NOW, NOW);
    assert.throws(() => guard.check('a', NOW, NOW + 1), { code: ErrorCode.REPLAY });
  });

  it('refuses messages older than the window and too far in the future', () => {
    const guard = new ReplayGuard({ maxAgeMs: 1000, maxSkewMs: 500 });
    assert.throws(() => guard.check('old', NOW - 1001, NOW), { code: ErrorCode.REPLAY });
    assert.throws(() => guard.check('future', NOW + 501, NOW), { code: ErrorCode.REPLAY });
    assert.doesNotThrow(() => guard.check('edge', NOW - 1000, NOW));
  });

  it('forgets ids once they age out of the window, keeping memory bounded', () => {
    const guard = new ReplayGuard({ maxAgeMs: 1000 });
    for (let i = 0; i < 100; i++) guard.check(`id${i}`, NOW, NOW);
    assert.equal(guard.size, 100);
    guard.check('later', NOW + 2000, NOW + 2000);
    assert.equal(guard.size, 1);
  });

  it('never re-opens a replay when a flood evicts ids: the floor rises instead', () => {
    const guard = new ReplayGuard({ maxIds: 3 });
    guard.check('a', NOW - 40, NOW);
    guard.check('b', NOW - 30, NOW);
    guard.check('c', NOW - 20, NOW);
    guard.check('d', NOW - 10, NOW); // evicts "a"
    assert.equal(guard.size, 3);
    assert.throws(() => guard.check('a', NOW - 40, NOW), { code: ErrorCode.REPLAY });
  });
});
