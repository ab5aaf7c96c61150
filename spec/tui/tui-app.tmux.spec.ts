// The real `tui-chat connect` in a real terminal (tmux) against a real `tui-chat serve`: what only a
// real terminal shows (colors on screen, the terminal restored on exit, video bytes, the binary
// surviving a server restart). The app's keys and commands are specced in-process in tui-app.spec.ts.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BIN, startServeProcess } from '../helpers/cli-process.js';
import { writeTestIdentity } from '../helpers/identities.js';
import { NatsBroker } from '../helpers/nats-broker.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TmuxSession } from '../helpers/tmux.js';

async function openTui(
  t: TestContext,
  dir: string,
  port: number,
  name: string,
  index: number,
  width = 100,
  height = 30,
  env: Record<string, string> = {},
): Promise<TmuxSession> {
  const identity = await writeTestIdentity(dir, index);
  const command = `exec '${process.execPath}' '${BIN}' connect 127.0.0.1:${port} --name ${name} --identity '${identity}' --known-peers '${dir}/${name}-known.json' 2>'${dir}/${name}.err'`;
  const tui = TmuxSession.start(t, dir, command, width, height, { XDG_CONFIG_HOME: dir, ...env });
  await tui.waitForScreen(new RegExp(`joined as ${name}`), `${name} to join`);
  return tui;
}

describe('the TUI in a real terminal', () => {
  it('lets two users exchange room messages, with names in color', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTui(t, dir, port, 'alice', 0);
    const bob = await openTui(t, dir, port, 'bob', 1);
    await alice.waitForScreen(/bob joined/, 'alice to see bob join');

    alice.type('hello bob, this is the room');
    alice.keys('Enter');
    await bob.waitForScreen(/<alice> hello bob, this is the room/, 'bob to see the room message');
    alice.type('half a thou');
    await alice.waitForScreen(/\[#room\] half a thou/, "alice's half-typed line");
    bob.type('hi alice');
    bob.keys('Enter');
    const screen = await alice.waitForScreen(/<bob> hi alice/, 'alice to see the reply');
    assert.match(screen, /\[#room\] half a thou/, 'an incoming message leaves what alice is typing alone');
    alice.type('ght');
    alice.keys('Enter');
    await bob.waitForScreen(/<alice> half a thought/, 'the finished line to arrive whole');
    assert.match(screen, /<alice> hello bob, this is the room/, 'her own line is in her log too');
    assert.match(screen, /┌─ peers/);
    assert.match(screen.trimEnd().split('\n').at(-1)!, /127\.0\.0\.1:\d+ │ alice [0-9a-f ]{19} │ online │ #room/);
    // capture-pane -e: the sender's name is drawn in a color (an SGR sequence right before it).
    assert.match(alice.capture(true), /\u001b\[[0-9;]*m<?\u001b?\[?[0-9;]*m?bob/);
  });

  it('chats across two clustered servers and shows the cluster degrade and recover', async (t) => {
    const dir = makeTempDir(t);
    const broker = await NatsBroker.start();
    t.after(() => broker.destroy());
    const cluster = ['--cluster', broker.url, '--cluster-name', 'tui-spec'];
    const [one, two] = await Promise.all([startServeProcess(t, cluster), startServeProcess(t, cluster)]);
    const alice = await openTui(t, dir, one.port, 'alice', 0);
    const bob = await openTui(t, dir, two.port, 'bob', 1);
    await alice.waitForScreen(/bob joined/, 'alice (on server one) to see bob (on server two) join');
    alice.type('hello across servers');
    alice.keys('Enter');
    await bob.waitForScreen(/<alice> hello across servers/, "bob to read alice's room message");

    await broker.stop();
    const degraded = await alice.waitForScreen(/online, cluster degraded/, 'the status bar to say the cluster is degraded');
    assert.match(degraded, /lost its link to the rest of the cluster/);
    await broker.start();
    const back = await alice.waitForScreen(/linked to the rest of the cluster again/, 'the all-clear', 20_000);
    assert.match(back.trimEnd().split('\n').at(-1)!, /│ online │/);
    // Each server reconnects on its own: until bob's has too, a room line to him is reported to
    // alice as unconfirmed (it was, in 2 of 3 runs under load, before this wait).
    await bob.waitForScreen(/linked to the rest of the cluster again/, "bob's server's all-clear", 20_000);
    alice.type('and again');
    alice.keys('Enter');
    await bob.waitForScreen(/<alice> and again/, 'room messages to cross again');
  });

  it(':quit restores the terminal and leaves a clean shell prompt', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const identity = await writeTestIdentity(dir, 0);
    const shell = TmuxSession.start(t, dir, 'exec bash --norc --noprofile -i', 100, 30, { PS1: 'READY$ ', XDG_CONFIG_HOME: dir });
    await shell.waitForScreen(/READY\$\s*$/m, 'the shell prompt');
    shell.type(`'${process.execPath}' '${BIN}' connect 127.0.0.1:${port} --name alice --identity '${identity}' 2>/dev/null; echo "exit=$?"`);
    shell.keys('Enter');
    await shell.waitForScreen(/joined as alice/, 'the TUI');
    shell.type(':quit');
    shell.keys('Enter');
    const screen = await shell.waitForScreen(/exit=0\nREADY\$\s*$/m, 'the shell prompt after quitting');
    assert.doesNotMatch(screen, /peers|#room|┌|└/, 'nothing of the TUI is left on the screen');
    const raw = shell.capture(true);
    // The prompt line carries no leftover attributes or colors.
    const promptLine = raw.split('\n').find((line) => line.includes('READY$') && !line.includes('connect'))!;
    assert.equal(promptLine.replace(/\u001b\[0?m/g, '').trimEnd(), 'READY$');
  });

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

  it(':play --ffplay without ffplay says how to get it', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t);
    const alice = await openTui(t, dir, port, 'alice', 0, 100, 30, { PATH: '/nonexistent' });
    alice.type(':play testsrc2-320x240-30fps.mp4 --ffplay');
    alice.keys('Enter');
    await alice.waitForScreen(/ffplay is not installed: it comes with Debian's ffmpeg/, 'the missing-ffplay message');
  });

  it('survives the server restarting: shows offline, keeps the log, queues what is typed, re-joins', async (t) => {
    const dir = makeTempDir(t);
    // The restarted server must keep its certificate (its own config), as a real one does.
    const tlsArgs = ['--tls-dir', `${dir}/server-tls`];
    const first = await startServeProcess(t, tlsArgs);
    const alice = await openTui(t, dir, first.port, 'alice', 0);
    alice.type('before the restart');
    alice.keys('Enter');
    await alice.waitForScreen(/<alice> before the restart/, 'the first line');
    first.server.child.kill('SIGTERM');
    await alice.waitForScreen(/│ offline/, 'the status bar to say offline');
    await alice.waitForScreen(/connection lost/, 'the log to say so');
    alice.type('typed while offline');
    alice.keys('Enter');
    await alice.waitForScreen(/<alice> typed while offline \(queued: offline\)/, 'the queued line');
    await startServeProcess(t, [...tlsArgs, '--port', String(first.port)]);
    const screen = await alice.waitForScreen(/reconnected as alice/, 'the re-join', 30_000);
    assert.match(screen, /<alice> before the restart/, 'the log was kept');
    await alice.waitForScreen(/sent 1 message queued while offline/, 'the queue to be sent');
    await alice.waitForScreen(/│ online/, 'the status bar to say online');
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
    await alice.waitForScreen(/^┌─ peers[^\n]{192}\n/, 'the larger layout');
    alice.type(':pause');
    alice.keys('Enter');
    // The server re-scaled the stream to the larger pane: the frames are wider now.
    await alice.waitForScreen(new RegExp(`▀{${before + 10},}`), 'wider frames after the resize', 15_000);
  });
});
