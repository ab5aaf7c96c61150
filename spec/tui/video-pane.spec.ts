// The video pane in a real terminal (tmux): the real `tui-chat connect` drawing frames from a real
// `tui-chat serve` with the real ffmpeg.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServeProcess } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { openTuiInTmux as openTui } from '../helpers/tmux.js';

describe('the video pane in a real terminal', () => {
  it(':play shows truecolor half-block video above the log while chat goes on', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTui(t, dir, port, 'alice', 0, 130, 36, { COLORTERM: 'truecolor' });
    const bob = await openTui(t, dir, port, 'bob', 1);
    await alice.waitForScreen(/bob joined/, 'alice to see bob');
    alice.type(':videos');
    alice.keys('Enter');
    await alice.waitForScreen(/testsrc2-320x240-30fps\.mp4 +5\.0s +320x240 +30 fps/, 'the video list');
    // Each video's poster, drawn by terminal-image under its caption.
    await alice.waitForScreen(/-!- testsrc2-320x240-30fps\.mp4 *│\n│[^\n]*│ +▄{8,}/, 'the testsrc2 poster');
    alice.type(':play testsrc2-320x240-30fps.mp4');
    alice.keys('Enter');
    await alice.waitForScreen(/─ ▶ testsrc2-320x240-30fps\.mp4 ─/, 'the video pane');
    await alice.waitForScreen(/▶ testsrc2-320x240-30fps\.mp4 [1-4]\.\ds\/5\.0s/, 'playback to advance in the status bar');
    // capture-pane -e: half blocks drawn in 24-bit colors.
    const colored = alice.capture(true);
    assert.match(colored, /\u001b\[38;2;\d+;\d+;\d+m[^\n]*[▀▄]/);
    assert.ok((colored.match(/[▀▄]/g) ?? []).length > 200, 'the pane is full of half blocks');
    // Chat during playback, both ways.
    bob.type('can you see it?');
    bob.keys('Enter');
    await alice.waitForScreen(/<bob> can you see it\?/, "bob's message during playback");
    alice.type('yes, playing');
    alice.keys('Enter');
    await bob.waitForScreen(/<alice> yes, playing/, "alice's reply during playback");
    await alice.waitForScreen(/finished testsrc2-320x240-30fps\.mp4: 150 frames sent/, 'the end of the video', 20_000);
    const after = await alice.waitForScreen(/^(?![\s\S]*─ ▶ )/, 'the pane to close');
    // The posters in the log are lower half blocks (terminal-image); our frames are mostly upper ones.
    assert.doesNotMatch(after, /▀/, 'no video pixels are left behind on the log');
  });

  it('closes the pane when the server refuses a :play (no such video), with nothing left in the status bar', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTui(t, dir, port, 'alice', 0, 100, 30, { COLORTERM: 'truecolor' });
    alice.type(':play no-such-video.mp4');
    alice.keys('Enter');
    // The refusal is the marker: the pane (and its status) came before it, and go with it.
    await alice.waitForScreen(/no video called "no-such-video\.mp4"/, 'the refusal');
    const after = await alice.waitForScreen(/^(?![\s\S]*▶ no-such-video)/, 'no pane and no "▶ NAME 0.0s/…" left');
    assert.doesNotMatch(after, /0\.0s\/…/);
  });

  it(':play --ffplay without ffplay says how to get it', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTui(t, dir, port, 'alice', 0, 100, 30, { PATH: '/nonexistent' });
    alice.type(':play testsrc2-320x240-30fps.mp4 --ffplay');
    alice.keys('Enter');
    await alice.waitForScreen(/ffplay is not installed: it comes with Debian's ffmpeg/, 'the missing-ffplay message');
  });

  it('re-scales the stream when the terminal is resized during playback', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTui(t, dir, port, 'alice', 0, 130, 30, { COLORTERM: 'truecolor' });
    const widestRun = (screen: string) => Math.max(0, ...screen.split('\n').map((line) => Math.max(0, ...(line.match(/▀+/g) ?? []).map((run) => run.length))));
    alice.type(':play mandelbrot-480x270-24fps.mp4');
    alice.keys('Enter');
    await alice.waitForScreen(/▀{20,}/, 'frames');
    // Paused, so the short clip cannot end while the terminal changes size.
    alice.type(':pause');
    alice.keys('Enter');
    await alice.waitForScreen(/\d\.\ds\/4\.0s paused/, 'the pause in the status bar');
    const before = widestRun(alice.capture());
    alice.resize(200, 60);
    await alice.waitForScreen(/^┌─ rooms[^\n]{192}\n/, 'the larger layout');
    alice.type(':pause');
    alice.keys('Enter');
    // The server re-scaled the stream to the larger pane: the frames are wider now.
    await alice.waitForScreen(new RegExp(`▀{${before + 10},}`), 'wider frames after the resize', 15_000);
  });
});
