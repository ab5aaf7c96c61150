import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BYTE_BUDGET_SHARE, type DrawnFrame, FIRST_256_COLOR_LEVEL, QUALITY_LADDER, QualityGovernor } from '../../../src/client/video/quality-governor.js';

const CELLS = 1000;
/** A frame that cost `costMs` of a 33 ms interval and wrote `share` of what a plain writer would. */
function frame(costMs: number, share = 0.3, plainBytes = 40 * CELLS): DrawnFrame {
  return { costMs, frameIntervalMs: 33, bytes: share * plainBytes, plainBytes, cells: CELLS };
}

describe('QualityGovernor', () => {
  it('draws exactly while frames are cheap in time and bytes', () => {
    const governor = new QualityGovernor();
    for (let i = 0; i < 500; i++) assert.equal(governor.record(frame(2)), false);
    assert.deepEqual(governor.current, QUALITY_LADDER[0]);
    assert.equal(governor.current.tolerance, 0);
  });

  it('steps down one rung at a time while frames cost more than their interval, to the last rung', () => {
    const governor = new QualityGovernor();
    const seen = new Set<number>([governor.levelIndex]);
    for (let i = 0; i < 200; i++) {
      governor.record(frame(50));
      seen.add(governor.levelIndex);
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      QUALITY_LADDER.map((_, i) => i),
    );
    assert.equal(governor.current.frameStep, 3);
  });

  it('climbs back only after a long calm spell', () => {
    const governor = new QualityGovernor();
    governor.record(frame(50));
    assert.equal(governor.levelIndex, 1);
    for (let i = 0; i < 89; i++) governor.record(frame(1));
    assert.equal(governor.levelIndex, 1, 'not yet');
    governor.record(frame(1));
    assert.equal(governor.levelIndex, 0);
  });

  it("never climbs above the terminal's best (256-color terminals start lower)", () => {
    const governor = new QualityGovernor(FIRST_256_COLOR_LEVEL);
    for (let i = 0; i < 500; i++) governor.record(frame(1));
    assert.equal(governor.current.colorMode, '256');
  });

  it('spends a tolerance only when exact drawing would write more than the budget, and stays in truecolor', () => {
    const governor = new QualityGovernor();
    // Exact drawing at 95% of a plain writer's bytes: over the budget (80%), time to spare.
    for (let i = 0; i < 3; i++) governor.record(frame(1, BYTE_BUDGET_SHARE + 0.15));
    assert.ok(governor.current.tolerance > 0, 'stepped to a tolerance');
    for (let i = 0; i < 500; i++) governor.record(frame(1, BYTE_BUDGET_SHARE + 0.15));
    assert.equal(governor.current.colorMode, 'truecolor', 'bytes alone never cost the colors');
    assert.equal(governor.current.frameStep, 1);
  });

  it('holds a rung that meets the budget and returns to exact when the picture gets cheap again', () => {
    const governor = new QualityGovernor();
    governor.record(frame(1, 1));
    const level = governor.levelIndex;
    assert.ok(level > 0);
    // Under the budget but not cheap: this rung is right, no change either way.
    for (let i = 0; i < 300; i++) assert.equal(governor.record(frame(1, 0.7)), false);
    assert.equal(governor.levelIndex, level);
    // Cheap for long enough: one rung at a time back to exact.
    for (let i = 0; i < 1000 && governor.levelIndex > 0; i++) governor.record(frame(1, 0.2));
    assert.equal(governor.levelIndex, 0);
  });

  it('does not call a still picture over budget (a plain writer writes nothing; repainting a few stale cells is fine)', () => {
    const governor = new QualityGovernor();
    for (let i = 0; i < 100; i++) assert.equal(governor.record({ costMs: 1, frameIntervalMs: 33, bytes: 0.5 * CELLS, plainBytes: 0, cells: CELLS }), false);
    assert.equal(governor.levelIndex, 0);
  });
});
