import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressPacer } from '../../../src/client/files/file-transfer-parts.js';

const MIB = 1024 * 1024;

describe('ProgressPacer', () => {
  it('says progress every MiB at most ten times a second, and always at the end', () => {
    const pacer = new ProgressPacer();
    assert.equal(pacer.due(64 * 1024, false, 0), false, 'not before a MiB');
    assert.equal(pacer.due(MIB, false, 0), true);
    assert.equal(pacer.due(2 * MIB, false, 50), false, 'a MiB more, but within 100 ms');
    assert.equal(pacer.due(3 * MIB, false, 150), true);
    assert.equal(pacer.due(3 * MIB + 10, false, 400), false, 'long after, but not a MiB more');
    assert.equal(pacer.due(3 * MIB + 20, true, 401), true, 'the end');
  });
});
