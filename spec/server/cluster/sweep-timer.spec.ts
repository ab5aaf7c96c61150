import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { SweepTimer } from '../../../src/server/cluster/sweep-timer.js';

describe('SweepTimer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('sweeps a few times per timeout while started, and not after stop', () => {
    let sweeps = 0;
    const timer = new SweepTimer(1000, () => sweeps++);
    timer.start();
    timer.start(); // a second start does not add a second interval
    mock.timers.tick(1000);
    assert.equal(sweeps, 4, 'every 250 ms');
    timer.stop();
    mock.timers.tick(1000);
    assert.equal(sweeps, 4);
  });
});
