import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QUALITY_LADDER, QualityGovernor } from '../../../src/client/video/quality-governor.js';

describe('QualityGovernor', () => {
  it('keeps full quality while frames cost well under their interval', () => {
    const governor = new QualityGovernor();
    for (let i = 0; i < 500; i++) assert.equal(governor.record(2, 33), false);
    assert.deepEqual(governor.current, QUALITY_LADDER[0]);
  });

  it('steps down one rung at a time while frames cost more than their interval, to the last rung', () => {
    const governor = new QualityGovernor();
    const seen = new Set<number>([governor.levelIndex]);
    for (let i = 0; i < 200; i++) {
      governor.record(50, 33);
      seen.add(governor.levelIndex);
    }
    assert.deepEqual(
      [...seen].sort(),
      QUALITY_LADDER.map((_, i) => i),
    );
    assert.equal(governor.current.frameStep, 3);
  });

  it('climbs back only after a long calm spell', () => {
    const governor = new QualityGovernor();
    governor.record(50, 33);
    assert.equal(governor.levelIndex, 1);
    for (let i = 0; i < 89; i++) governor.record(1, 33);
    assert.equal(governor.levelIndex, 1, 'not yet');
    governor.record(1, 33);
    assert.equal(governor.levelIndex, 0);
  });

  it("never climbs above the terminal's best (256-color terminals start lower)", () => {
    const governor = new QualityGovernor(3);
    for (let i = 0; i < 500; i++) governor.record(1, 33);
    assert.equal(governor.current.colorMode, '256');
  });
});
