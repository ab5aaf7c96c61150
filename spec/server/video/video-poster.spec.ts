import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ErrorCode } from '../../../src/core/errors.js';
import { resolveFfmpeg } from '../../../src/server/video/ffmpeg-path.js';
import { grabPoster } from '../../../src/server/video/video-poster.js';

const info = { name: 'bars-640x360-25fps.mp4', durationMs: 5000, width: 640, height: 360, fps: 25, bytes: 0 };

describe('grabPoster', () => {
  it('takes one JPEG still, fitted inside the box', async () => {
    const jpeg = await grabPoster(resolveFfmpeg().path, 'videos/bars-640x360-25fps.mp4', info, { width: 64, height: 64 });
    const meta = await sharp(jpeg).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 64, 36]);
  });

  it('says so when no still can be taken', async () => {
    await assert.rejects(grabPoster(resolveFfmpeg().path, 'README.md', info, { width: 64, height: 64 }), { code: ErrorCode.VIDEO_DECODE });
  });
});
