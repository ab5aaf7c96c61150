import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ErrorCode } from '../../src/core/errors.js';
import { MAX_PICTURE_PIXELS, pictureArt, pictureSize, pictureStill } from '../../src/tui/picture-art.js';

async function png(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

describe('picture-art', () => {
  it('draws a picture fitted inside a few rows of half blocks, in its colors', async () => {
    const art = await pictureArt(await png(200, 100, [255, 0, 0]), 20, 4);
    assert.equal(art.width, 16, 'fitted to the 8 pixel rows (4 cells), its aspect kept');
    assert.equal(art.ansi.split('\n').length, 4);
    assert.match(art.ansi, /\u001b\[38;2;255;0;0;48;2;255;0;0m▀/);
    const still = await pictureStill(await png(200, 100, [0, 0, 255]), { width: 40, height: 40 });
    assert.deepEqual([still.width, still.height], [40, 20]);
  });

  it('refuses, from its header alone, a picture of more than MAX_PICTURE_PIXELS, and bytes that are no picture', async () => {
    const side = Math.ceil(Math.sqrt(MAX_PICTURE_PIXELS)) + 1;
    // A real PNG whose header says side x side (its CRC made good): nothing past the header is decoded.
    const bomb = Buffer.from(await png(1, 1, [0, 0, 0]));
    bomb.writeUInt32BE(side, 16);
    bomb.writeUInt32BE(side, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    await assert.rejects(pictureSize(bomb), (e: { code: string; message: string }) => e.code === ErrorCode.FILE_INVALID && /too large to draw/.test(e.message));
    await assert.rejects(pictureArt(Buffer.from('not a picture'), 10, 2), (e: { code: string }) => e.code === ErrorCode.FILE_INVALID);
  });
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
