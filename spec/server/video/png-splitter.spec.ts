import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ErrorCode } from '../../../src/core/errors.js';
import { PngSplitter } from '../../../src/server/video/png-splitter.js';

let pngs: Buffer[];

before(async () => {
  pngs = await Promise.all(
    [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ].map(([r, g, b]) =>
      sharp({ create: { width: 16, height: 8, channels: 3, background: { r: r!, g: g!, b: b! } } })
        .png()
        .toBuffer(),
    ),
  );
});

function split(chunks: Buffer[], max = 1 << 20): string[] {
  const splitter = new PngSplitter(max);
  return chunks.flatMap((chunk) => splitter.push(chunk)).map((frame) => frame.toString('hex'));
}

describe('PngSplitter', () => {
  it('splits a stream of PNGs fed as one chunk, byte by byte, and at every boundary', () => {
    const stream = Buffer.concat(pngs);
    const expected = pngs.map((png) => png.toString('hex'));
    assert.deepEqual(split([stream]), expected);
    assert.deepEqual(split([...stream].map((byte) => Buffer.from([byte]))), expected);
    for (let cut = 1; cut < stream.length; cut += 7) assert.deepEqual(split([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
  });

  it('refuses what is not PNG, and a frame larger than the bound, without buffering it', () => {
    assert.throws(() => split([Buffer.from('not a png at all')]), { code: ErrorCode.VIDEO_DECODE });
    // A chunk announcing 100 MB: refused as soon as its length is read.
    const huge = Buffer.concat([pngs[0]!.subarray(0, 8), Buffer.from([0x05, 0xf5, 0xe1, 0x00]), Buffer.from('IDAT')]);
    assert.throws(() => split([huge], 1 << 16), { code: ErrorCode.VIDEO_DECODE });
    assert.throws(() => split([pngs[0]!], 40), { code: ErrorCode.VIDEO_DECODE });
  });
});
