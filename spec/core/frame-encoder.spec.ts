import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, encodeJsonFrame, encodeTextFrame } from '../../src/core/frame-encoder.js';
import { FrameType } from '../../src/core/frame-types.js';

describe('frame encoder', () => {
  it('writes the 4-byte length and the type before the body', () => {
    assert.deepEqual([...encodeFrame(FrameType.MEDIA, Buffer.from([9, 8]))], [0, 0, 0, 2, FrameType.MEDIA, 9, 8]);
  });

  it('encodes text by its UTF-8 length, and JSON as text', () => {
    const frame = encodeTextFrame(FrameType.CONTROL, 'é');
    assert.equal(frame.readUInt32BE(0), 2);
    assert.deepEqual(encodeJsonFrame(FrameType.CONTROL, { a: 1 }), encodeTextFrame(FrameType.CONTROL, '{"a":1}'));
  });
});
