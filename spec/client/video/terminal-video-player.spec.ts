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
  it('keeps the newest frame from before it knows where, and draws it there once it does', async () => {
    const writes: string[] = [];
    const player = new TerminalVideoPlayer({ colorMode: 'truecolor', fps: 30, write: (bytes) => writes.push(bytes.toString('utf8')) });
    player.onFrame(frame(0));
    player.onFrame(frame(1));
    assert.equal(writes.length, 0, 'no area yet: nothing drawn anywhere');
    player.setArea({ top: 5, left: 7, cols: 8, rows: 4 });
    await waitUntil(() => player.stats.drawn === 1, 'the newest early frame to be drawn');
    assert.equal(writes.length, 1);
    assert.match(writes[0]!, /\u001b\[5;7H/, "drawn from the area's top-left cell");
    assert.deepEqual({ ...player.stats, bytesWritten: 0 }, { received: 2, drawn: 1, skipped: 1, bytesWritten: 0, qualityLevel: 0 });
  });

  it('repaints everything only when it comes back into view, not each time it is told it is shown', async () => {
    const writes: number[] = [];
    const player = new TerminalVideoPlayer({
      area: { top: 1, left: 1, cols: 8, rows: 4 },
      colorMode: 'truecolor',
      fps: 30,
      write: (bytes) => writes.push(bytes.length),
    });
    player.onFrame(frame(0));
    await waitUntil(() => player.stats.drawn === 1, 'the first frame');
    // What every render of the TUI does: "not hidden". The same picture then costs nothing.
    player.setHidden(false);
    player.onFrame(frame(1));
    await waitUntil(() => player.stats.drawn === 2, 'the same picture again');
    assert.equal(writes.length, 1, 'no cell changed: nothing written');
    player.setHidden(true);
    player.setHidden(false);
    player.onFrame(frame(2));
    await waitUntil(() => player.stats.drawn === 3, 'the frame after an overlay closed');
    assert.equal(writes.length, 2);
    assert.equal(writes[1], writes[0], 'a whole repaint after being covered');
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
