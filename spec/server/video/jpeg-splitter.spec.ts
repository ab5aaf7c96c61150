import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ErrorCode } from '../../../src/core/errors.js';
import { JpegSplitter } from '../../../src/server/video/jpeg-splitter.js';

let jpegs: Buffer[];

before(async () => {
  jpegs = await Promise.all(
    [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ].map(([r, g, b]) =>
      sharp({ create: { width: 16, height: 8, channels: 3, background: { r: r!, g: g!, b: b! } } })
        .jpeg({ quality: 80 })
        .toBuffer(),
    ),
  );
});

function split(chunks: Buffer[]): string[] {
  const splitter = new JpegSplitter(1 << 20);
  return chunks.flatMap((chunk) => splitter.push(chunk)).map((frame) => frame.toString('hex'));
}

describe('JpegSplitter', () => {
  it('splits a stream of JPEGs fed as one chunk, byte by byte, and at every boundary', () => {
    const stream = Buffer.concat(jpegs);
    const expected = jpegs.map((j) => j.toString('hex'));
    assert.deepEqual(split([stream]), expected);
    assert.deepEqual(split([...stream].map((b) => Buffer.from([b]))), expected);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      assert.deepEqual(split([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
    }
  });

  it('refuses output that is not JPEG', () => {
    assert.throws(() => new JpegSplitter(1024).push(Buffer.from('not a jpeg')), { code: ErrorCode.VIDEO_DECODE });
  });

  it('refuses a frame larger than the limit instead of buffering without end', () => {
    const splitter = new JpegSplitter(100);
    assert.throws(() => splitter.push(Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(200)])), /larger than 100/);
  });
});
