import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { MEDIA_HEADER_BYTES, MediaEncoding, decodeVideoFrame, encodeVideoFrame } from '../../src/core/media-frame.js';

describe('media frames', () => {
  it('round-trips the header fields and payload', () => {
    const frame = {
      stream: 7,
      seq: 123456,
      ptsMs: 4100,
      width: 160,
      height: 96,
      encoding: MediaEncoding.JPEG,
      payload: Buffer.from([0xff, 0xd8, 1, 2, 0xff, 0xd9]),
    };
    const decoded = decodeVideoFrame(encodeVideoFrame(frame));
    assert.deepEqual({ ...decoded, payload: decoded.payload.toString('hex') }, { ...frame, payload: frame.payload.toString('hex') });
  });

  it('refuses a body shorter than the header, or of unknown kind or encoding', () => {
    const good = encodeVideoFrame({ stream: 1, seq: 0, ptsMs: 0, width: 2, height: 2, encoding: MediaEncoding.JPEG, payload: Buffer.alloc(1) });
    assert.throws(() => decodeVideoFrame(good.subarray(0, MEDIA_HEADER_BYTES - 1)), { code: ErrorCode.INVALID_MESSAGE });
    const badKind = Buffer.from(good);
    badKind[0] = 9;
    assert.throws(() => decodeVideoFrame(badKind), { code: ErrorCode.INVALID_MESSAGE });
    const badEncoding = Buffer.from(good);
    badEncoding[17] = 9;
    assert.throws(() => decodeVideoFrame(badEncoding), /encoding/);
  });
});
