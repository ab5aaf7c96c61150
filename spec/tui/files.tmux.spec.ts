// Files in the real TUI in a real terminal (tmux): a picture received is drawn in its
// conversation's log as half blocks under its line (in blessed's 256 colors), :open shows it in
// the video pane (in 24-bit color, as video is drawn),
// and a picture that claims 50,000 x 50,000 pixels (a decompression bomb) is not decoded at all.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { startServeProcess } from '../helpers/cli-process.js';
import { waitUntil } from '../helpers/events.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { joinJsonPeer, openTuiInTmux } from '../helpers/tmux.js';

/** A PNG whose header says width x height; its one row of data is all there is (enough for a header read). */
function claimedPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * 16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return crc ^ 0xffffffff;
}

describe('files in the TUI in a real terminal', () => {
  it('draws a picture received under its line, shows it large with :open, and refuses to decode a bomb', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTuiInTmux(t, dir, port, 'alice', 0, 120, 40, { COLORTERM: 'truecolor' });
    const bob = await joinJsonPeer(t, dir, port, 'bob', 1);
    await alice.waitForScreen(/bob joined/, 'alice to see bob join');
    // Left half pure red, right half pure blue.
    const pixels = Buffer.alloc(64 * 32 * 3);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) pixels.set(x < 32 ? [255, 0, 0] : [0, 0, 255], (y * 64 + x) * 3);
    writeFileSync(
      join(dir, 'flag.png'),
      await sharp(pixels, { raw: { width: 64, height: 32, channels: 3 } })
        .png()
        .toBuffer(),
    );
    bob.writeLine(`:send alice ${join(dir, 'flag.png')}`);
    await bob.waitForEvent((e) => e['type'] === 'file-sent', 'the picture sent');
    alice.type(':dm bob');
    alice.keys('Enter');
    const screen = await alice.waitForScreen(/bob sent flag\.png \(.*\): :open (\S+) shows it large/, 'the picture line');
    const short = /:open (\S+) shows it large/.exec(screen)![1]!;
    const drawn = await alice.waitForScreen(/▀{10,}/, 'the picture drawn under its line');
    // blessed paints the log in 256 colors; on this truecolor terminal the picture's rows are then
    // written over it as the picture made them: pure red and pure blue, in 24-bit.
    const pictureRow = () =>
      alice
        .capture(true)
        .split('\n')
        .find((line) => line.includes('▀▀▀▀▀▀▀▀▀▀')) ?? '';
    await waitUntil(
      () => /38;2;255;0;0(;|m)/.test(pictureRow()) && /38;2;0;0;255(;|m)/.test(pictureRow()),
      () => `the picture in the log in 24-bit color (${JSON.stringify(pictureRow().slice(0, 200))})`,
    );
    assert.match(drawn, /flag\.png from bob/, 'under a caption');
    // Typing draws the screen again: the picture keeps its colors (blessed has nothing new to draw there).
    alice.type('typing');
    await alice.waitForScreen(/typing/, 'the input drawn');
    assert.match(pictureRow(), /38;2;255;0;0(;|m)/, 'still 24-bit after a render');
    alice.keys('C-u');

    alice.type(`:open ${short}`);
    alice.keys('Enter');
    await alice.waitForScreen(/flag\.png \(:stop closes it\)/, 'the picture in the video pane');
    await waitUntil(
      () => /[34]8;2;255;0;0m/.test(alice.capture(true)) && /[34]8;2;0;0;255m/.test(alice.capture(true)),
      'the picture drawn in the pane in 24-bit color',
    );
    alice.type(':stop');
    alice.keys('Enter');

    writeFileSync(join(dir, 'bomb.png'), claimedPng(50_000, 50_000));
    bob.writeLine(`:send alice ${join(dir, 'bomb.png')}`);
    await alice.waitForScreen(/bomb\.png from bob: a picture of 50000x50000 pixels is too large to draw/, 'the bomb defused');
    // Alice's client is alive and well: a line still goes through.
    alice.type('still here');
    alice.keys('Enter');
    await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'still here', 'the line after the bomb');
  });
});
