import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveFfmpeg } from '../../../src/server/video/ffmpeg-path.js';
import { parseProbeOutput, probeVideo } from '../../../src/server/video/video-probe.js';

describe('video probe', () => {
  it('reads duration, size and frame rate of the sample videos with the real ffmpeg', async () => {
    const ffmpeg = resolveFfmpeg().path;
    assert.deepEqual(await probeVideo(ffmpeg, 'videos/testsrc2-320x240-30fps.mp4'), { durationMs: 5000, width: 320, height: 240, fps: 30 });
    assert.deepEqual(await probeVideo(ffmpeg, 'videos/mandelbrot-480x270-24fps.mp4'), { durationMs: 4000, width: 480, height: 270, fps: 24 });
  });

  it('parses fractional rates and the tbr fallback', () => {
    const text = '  Duration: 00:01:02.50, start: 0\n    Stream #0:0(eng): Video: h264 (Main), yuv420p(tv), 1920x1080 [SAR 1:1 DAR 16:9], 29.97 tbr, 90k tbn\n';
    assert.deepEqual(parseProbeOutput(text), { durationMs: 62_500, width: 1920, height: 1080, fps: 29.97 });
  });

  it('says "not a video" for a file without a video stream', async () => {
    await assert.rejects(probeVideo(resolveFfmpeg().path, 'package.json'), { code: 'CHAT_ERR_NOT_A_VIDEO' });
    assert.equal(parseProbeOutput('Stream #0:0: Audio: aac, 44100 Hz'), undefined);
  });
});
