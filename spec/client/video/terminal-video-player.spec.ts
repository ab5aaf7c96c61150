import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MediaEncoding, type VideoFrame } from '../../../src/core/media-frame.js';
import { TerminalVideoPlayer, detectColorMode } from '../../../src/client/video/terminal-video-player.js';
import { waitUntil } from '../../helpers/events.js';

let jpeg: Buffer;
before(async () => {
  jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .jpeg()
    .toBuffer();
});

const frame = (seq: number): VideoFrame => ({ stream: 1, seq, ptsMs: seq * 33, width: 8, height: 8, encoding: MediaEncoding.JPEG, payload: jpeg });

describe('TerminalVideoPlayer', () => {
  it('draws nothing until it knows where, then draws into that area', async () => {
    const writes: string[] = [];
    const player = new TerminalVideoPlayer({ colorMode: 'truecolor', fps: 30, write: (bytes) => writes.push(bytes.toString('utf8')) });
    player.onFrame(frame(0));
    player.setArea({ top: 5, left: 7, cols: 8, rows: 4 });
    player.onFrame(frame(1));
    // Frame 1 is the marker: frame 0, had it been drawn at no place (the top-left corner), came first.
    await waitUntil(() => player.stats.drawn === 1, 'the frame to be drawn');
    assert.equal(writes.length, 1, 'no area yet for frame 0: nothing written for it');
    assert.match(writes[0]!, /\u001b\[5;7H/, "drawn from the area's top-left cell");
    assert.deepEqual({ ...player.stats, bytesWritten: 0 }, { received: 2, drawn: 1, skipped: 1, bytesWritten: 0, qualityLevel: 0 });
  });

  it('keeps only the newest frame while one is being drawn', async () => {
    let drawn = 0;
    const player = new TerminalVideoPlayer({ area: { top: 1, left: 1, cols: 8, rows: 4 }, colorMode: 'truecolor', fps: 30, write: () => drawn++ });
    for (let seq = 0; seq < 5; seq++) player.onFrame(frame(seq));
    await waitUntil(() => player.stats.drawn === 2, 'the first and the newest frame');
    // The marker: one more frame, drawn third. Any of frames 1-3 drawn late would come before it.
    player.onFrame(frame(5));
    await waitUntil(() => player.stats.drawn === 3, 'the marker frame');
    assert.equal(player.stats.received, 6);
    assert.equal(player.stats.skipped, 3);
    assert.ok(drawn >= 1);
  });

  it('picks truecolor only when the terminal announces it', () => {
    assert.equal(detectColorMode({ COLORTERM: 'truecolor' }), 'truecolor');
    assert.equal(detectColorMode({ COLORTERM: '24bit' }), 'truecolor');
    assert.equal(detectColorMode({}), '256');
  });
});
