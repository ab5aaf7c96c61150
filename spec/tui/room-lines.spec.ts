// What a room's window says of its events and its shared video.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clock, describeWatch } from '../../src/tui/room-lines.js';

describe('room lines', () => {
  it('says where a shared video was paused to the tenth of a second, as the status bar does', () => {
    const watch = { type: 'watch', room: '#dev', stream: 1, video: 'bars.mp4', by: 'bob' } as const;
    assert.equal(describeWatch({ ...watch, kind: 'paused', positionMs: 800 }, 'alice'), 'bob paused bars.mp4 at 0:00.8');
    assert.equal(describeWatch({ ...watch, kind: 'resumed', positionMs: 62_340 }, 'bob'), 'you resumed bars.mp4 at 1:02.3');
    assert.equal(clock(3_723_450), '1:02:03.4');
  });
});
