import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { MediaEncoding, type VideoFrame } from '../../../src/core/media-frame.js';
import type { StreamEndReason } from '../../../src/core/messages.js';
import { resolveFfmpeg } from '../../../src/server/video/ffmpeg-path.js';
import { probeVideo } from '../../../src/server/video/video-probe.js';
import { type StreamSink, VideoStream, fitInside } from '../../../src/server/video/video-stream.js';
import { waitUntil } from '../../helpers/events.js';
import { isRunning } from '../../helpers/processes.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

interface Recorded {
  starts: Array<{ width: number; height: number; fps: number }>;
  frames: VideoFrame[];
  statuses: Array<{ positionMs: number; paused: boolean; sent: number }>;
  /** Frames and statuses in the order the sink got them ('frame', 'paused', 'playing'). */
  log: string[];
  end: { reason: StreamEndReason; message: string; sent: number; dropped: number } | undefined;
}

async function startStream(t: TestContext, file: string, box: { width: number; height: number }, ffmpegPath = resolveFfmpeg().path, encoding?: 'png') {
  const probe = await probeVideo(resolveFfmpeg().path, file);
  const recorded: Recorded = { starts: [], frames: [], statuses: [], log: [], end: undefined };
  const sink: StreamSink = {
    start: (info) => recorded.starts.push(info),
    frame: ([frame]) => {
      recorded.frames.push(frame!);
      recorded.log.push('frame');
      return 0;
    },
    status: (status) => {
      recorded.statuses.push(status);
      recorded.log.push(status.paused ? 'paused' : 'playing');
    },
    end: (reason, message, counts) => (recorded.end = { reason, message, ...counts }),
  };
  const stream = new VideoStream({
    id: 1,
    ffmpegPath,
    path: resolve(file),
    info: { name: 'x', bytes: 0, ...probe },
    boxes: [box],
    sink,
    maxFrameBytes: 1 << 20,
    ...(encoding === undefined ? {} : { encoding }),
  });
  stream.start();
  t.after(() => stream.stop());
  return { stream, recorded };
}

describe('VideoStream with the real ffmpeg', () => {
  it('sends every frame of the source, in order, at the requested size, timed by the source rate', async (t) => {
    const { recorded } = await startStream(t, 'videos/testsrc2-320x240-30fps.mp4', { width: 160, height: 96 });
    await waitUntil(() => recorded.end !== undefined, 'the stream to finish', 20_000);
    assert.equal(recorded.end!.reason, 'finished');
    assert.equal(recorded.frames.length, 150, '5 s at 30 fps');
    assert.deepEqual(
      recorded.frames.map((f) => f.seq),
      Array.from({ length: 150 }, (_, i) => i),
    );
    assert.deepEqual(recorded.starts, [{ width: 128, height: 96, fps: 30, durationMs: 5000, sizes: [{ width: 128, height: 96 }] }]);
    for (const frame of recorded.frames) {
      assert.equal(frame.width, 128);
      assert.equal(frame.height, 96);
      assert.equal(frame.payload[0], 0xff);
      assert.equal(frame.payload[1], 0xd8);
    }
    assert.ok(Math.abs(recorded.frames[90]!.ptsMs - 3000) < 1, 'frame 90 is presented at 3.0 s');
    assert.equal(recorded.end!.dropped, 0);
  });

  it('sends lossless PNG frames on request: exactly the area-scaled source', async (t) => {
    const { recorded } = await startStream(t, 'videos/testsrc2-320x240-30fps.mp4', { width: 64, height: 48 }, resolveFfmpeg().path, 'png');
    await waitUntil(() => recorded.end !== undefined, 'the stream to finish', 20_000);
    assert.equal(recorded.frames.length, 150);
    assert.equal(recorded.frames[0]!.encoding, MediaEncoding.PNG);
    // The reference: the same frames scaled by area averaging, straight from ffmpeg as raw RGB.
    const reference = execFileSync(
      resolveFfmpeg().path,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        'videos/testsrc2-320x240-30fps.mp4',
        '-vf',
        'scale=64:48:flags=area',
        '-pix_fmt',
        'rgb24',
        '-f',
        'rawvideo',
        'pipe:1',
      ],
      { maxBuffer: 1 << 26 },
    );
    for (const index of [0, 75, 149]) {
      const { data } = await sharp(recorded.frames[index]!.payload).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const frameBytes = 64 * 48 * 3;
      assert.ok(data.equals(reference.subarray(index * frameBytes, (index + 1) * frameBytes)), `frame ${index} is the reference, bit for bit`);
    }
  });

  it('fits the video inside the box keeping its aspect ratio, with even sides', () => {
    assert.deepEqual(fitInside(480, 270, 160, 96), { width: 160, height: 90 });
    assert.deepEqual(fitInside(320, 240, 200, 60), { width: 80, height: 60 });
    assert.deepEqual(fitInside(640, 360, 81, 1000), { width: 80, height: 44 });
  });

  it('kills its ffmpeg when stopped', async (t) => {
    const { stream, recorded } = await startStream(t, 'videos/mandelbrot-480x270-24fps.mp4', { width: 160, height: 96 });
    await waitUntil(() => recorded.frames.length >= 3, 'a few frames');
    const pid = stream.decoderPid!;
    assert.ok(isRunning(pid));
    stream.stop();
    assert.equal(recorded.end!.reason, 'stopped');
    await waitUntil(() => !isRunning(pid), 'ffmpeg to exit');
  });

  it('stops its clock while paused and carries on from the same frame', async (t) => {
    const { stream, recorded } = await startStream(t, 'videos/mandelbrot-480x270-24fps.mp4', { width: 80, height: 48 });
    await waitUntil(() => recorded.frames.length >= 5, 'a few frames');
    stream.pause(true);
    // Paused for ten frame intervals (the decoder has frames ready all along), then resumed: the
    // statuses the stream reports on pause and resume bracket the pause in the sink's log.
    await new Promise((r) => setTimeout(r, 400));
    stream.pause(false);
    const paused = recorded.log.lastIndexOf('paused');
    const resumed = recorded.log.indexOf('playing', paused);
    assert.ok(paused !== -1 && resumed > paused, 'both statuses were reported');
    assert.deepEqual(
      recorded.log.slice(paused + 1, resumed).filter((entry) => entry === 'frame'),
      [],
      'no frame while paused',
    );
    await waitUntil(() => recorded.end !== undefined, 'the end', 20_000);
    assert.equal(recorded.frames.length, 96, 'every frame, none lost to the pause');
  });

  it('re-scales on resize and seeks by seconds, restarting the decoder', async (t) => {
    const { stream, recorded } = await startStream(t, 'videos/testsrc2-320x240-30fps.mp4', { width: 80, height: 60 });
    await waitUntil(() => recorded.frames.length >= 3, 'a few frames');
    stream.resize([{ width: 160, height: 120 }]);
    await waitUntil(() => recorded.frames.some((f) => f.width === 160), 'a frame at the new size');
    assert.deepEqual(recorded.starts.at(-1), { width: 160, height: 120, fps: 30, durationMs: 5000, sizes: [{ width: 160, height: 120 }] });
    stream.seek(3000);
    await waitUntil(() => recorded.frames.some((f) => f.ptsMs >= 3000), 'a frame after the seek', 10_000);
    await waitUntil(() => recorded.end !== undefined, 'the end', 20_000);
    assert.ok(recorded.frames.length < 150, 'the seek skipped part of the video');
    const seqs = recorded.frames.map((f) => f.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'sequence numbers keep increasing',
    );
  });

  it('ends with an error, and no process left, when decoding fails midway', async (t) => {
    const dir = makeTempDir(t);
    // A stand-in for a decoder that fails after two frames: real JPEG bytes, then an error exit.
    const jpeg = join(dir, 'frame.jpg');
    const { default: sharp } = await import('sharp');
    writeFileSync(
      jpeg,
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 9, b: 9 } } })
        .jpeg()
        .toBuffer(),
    );
    const fake = join(dir, 'ffmpeg');
    writeFileSync(fake, `#!/bin/sh\ncat '${jpeg}' '${jpeg}'\necho "Invalid data found when processing input" >&2\nexit 1\n`);
    chmodSync(fake, 0o755);
    const { recorded } = await startStream(t, 'videos/testsrc2-320x240-30fps.mp4', { width: 80, height: 60 }, fake);
    await waitUntil(() => recorded.end !== undefined, 'the stream to end');
    assert.equal(recorded.end!.reason, 'error');
    assert.match(recorded.end!.message, /Invalid data found/);
  });
});
