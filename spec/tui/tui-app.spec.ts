// The TUI in-process: the real app, its key bindings and commands, on a fake terminal, with a real
// client and server on 127.0.0.1. What only a real terminal shows (colors on screen, restoring the
// terminal, video bytes, the real binary) is in tui-app.tmux.spec.ts.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { ChatSession } from '../../src/client/chat-session.js';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';
import { openInProcessTui } from '../helpers/in-process-tui.js';
import { displayWidth } from '../../src/tui/display-width.js';
import type { FakeTerminal } from '../helpers/fake-terminal.js';
import { keyTour } from '../helpers/key-tour.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

async function startServer(t: TestContext): Promise<number> {
  // Specs send hundreds of lines in a burst: flood control is not what they test.
  const server = new ChatServer({ port: 0, limits: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

/** A headless member, recording what reaches it. */
async function member(t: TestContext, port: number, name: string, identity: Identity) {
  const session = new ChatSession({ host: '127.0.0.1', port, name, identity });
  const texts: string[] = [];
  session.on('message', (m) => texts.push(`${m.to === null ? 'room' : m.to.startsWith('#') ? m.to : 'dm'} ${m.from}: ${m.text}`));
  await session.connect();
  t.after(() => session.close());
  return { session, texts };
}

describe('the TUI, in-process on a fake terminal', () => {
  it('sends what is typed to the room and shows what arrives, leaving a half-typed line alone', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    const bob = await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    alice.terminal.type('hello bob');
    alice.terminal.press('Enter');
    await waitUntil(() => bob.texts.includes('room alice: hello bob'), 'bob to get it');
    alice.terminal.type('half a thou');
    bob.session.sendRoom('hi alice');
    const screen = await alice.waitForScreen(/<bob> hi alice/, 'the reply');
    assert.match(screen, /\[#room\] half a thou/);
    assert.match(screen, /<alice> hello bob/);
    assert.match(screen.split('\n').at(-1)!, /127\.0\.0\.1:\d+ │ alice [0-9a-f ]{19} │ online │ #room/);
  });

  it('opens a DM from the peer list with Tab, j and Enter, and only the recipient gets it', async (t) => {
    const port = await startServer(t);
    const alice = await member(t, port, 'alice', ids[0]!);
    const bob = await openInProcessTui(t, port, 'bob', ids[1]!);
    const carol = await member(t, port, 'carol', ids[2]!);
    await bob.waitForScreen(/carol joined/, 'carol to join');
    // The peer list reads: bob (you), alice, carol.
    bob.terminal.press('Tab');
    bob.terminal.type('j');
    bob.terminal.press('Enter');
    await bob.waitForScreen(/─ DM alice ─/, 'the DM to open');
    bob.terminal.type('just between us');
    bob.terminal.press('Enter');
    await waitUntil(() => alice.texts.includes('dm bob: just between us'), 'alice to get the DM');
    // The marker: a room line after the DM. carol gets it, and nothing before it.
    bob.terminal.press('M-1');
    bob.terminal.type('marker');
    bob.terminal.press('Enter');
    await waitUntil(() => carol.texts.length > 0, 'carol to get the marker');
    assert.deepEqual(carol.texts, ['room bob: marker']);
  });

  it(':dm NAME TEXT sends without leaving the room, and :dm to nobody opens nothing', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    const bob = await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob');
    alice.terminal.type(':dm bob psst');
    alice.terminal.press('Enter');
    await waitUntil(() => bob.texts.includes('dm alice: psst'), 'the DM');
    alice.terminal.type('back in the room');
    alice.terminal.press('Enter');
    await waitUntil(() => bob.texts.includes('room alice: back in the room'), 'the next plain line in the room');
    alice.terminal.type(':dm nobody hello');
    alice.terminal.press('Enter');
    const screen = await alice.waitForScreen(/nobody called nobody is online or registered/, 'the refusal');
    assert.doesNotMatch(screen, /DM nobody/);
    assert.match(screen, /─ #room ─/);
  });

  it('on a big server, lists only whom it follows, counts the rest, and still reaches anyone by :dm', async (t) => {
    const server = new ChatServer({ port: 0, limits: { fullPresenceMaxUsers: 0 } });
    const { port } = await server.listen();
    t.after(() => server.close());
    const bob = await member(t, port, 'bob', ids[1]!);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    await alice.waitForScreen(/2 online of 2/, 'the census');
    alice.terminal.type(':dm bob hello unlisted');
    alice.terminal.press('Enter');
    await waitUntil(() => bob.texts.includes('dm alice: hello unlisted'), 'bob to get the DM');
    const screen = await alice.waitForScreen(/-> \*bob\* hello unlisted/, 'the line sent');
    assert.doesNotMatch(screen, /queued: offline/, 'it waited for a lookup, not for a connection');
    alice.terminal.type(':dm nobody hello');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/a queued message was not sent: nobody called nobody/, 'the refusal, after the lookup');
    alice.terminal.type(':whois bob');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/bob: not verified \(trusted on first use\)/, 'whois of bob, listed since the DM');
  });

  it('shows the help overlay on F1 and on ? and closes it with Esc', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    alice.terminal.press('F1');
    const help = await alice.waitForScreen(/help \(Esc closes\)/, 'the help overlay');
    assert.match(help, /Alt\+1\.\.9/);
    alice.terminal.press('Escape');
    await alice.waitForScreen(/^(?![\s\S]*Esc closes)/, 'the overlay to close');
    alice.terminal.type('?');
    await alice.waitForScreen(/help \(Esc closes\)/, '? on an empty line');
  });

  it('scrolls the help at 80x24 with PgDn/PgUp/Home/End, and says when more lies below', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    alice.terminal.press('F1');
    const first = await alice.waitForScreen(/more below/, 'the hint');
    assert.doesNotMatch(first, /:quit/, 'the commands are below the fold');
    alice.terminal.press('End');
    const end = await alice.waitForScreen(/:quit/, 'the end of the help');
    assert.doesNotMatch(end, /more below/);
    alice.terminal.press('Home');
    await alice.waitForScreen(/more below/, 'the top again');
    alice.terminal.press('PageDown');
    await alice.waitForScreen(/Commands/, 'a page down');
  });

  it('runs the shared commands: :whois, :verify and its confirm, :peers', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob');
    alice.terminal.type(':whois bob');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/bob: not verified \(trusted on first use\)/, 'the whois');
    alice.terminal.type(':verify bob confirm');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/no safety number with bob was shown yet/, 'a confirm before the number is refused');
    alice.terminal.type(':verify bob');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/safety number with bob:/, 'the number');
    alice.terminal.type(':verify bob confirm');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/bob is now verified/, 'the confirm');
    await alice.waitForScreen(/✓ bob/, 'the mark in the peer list');
    alice.terminal.type(':nonsense');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/unknown command/, 'the usage error');
  });

  it("shows a peer's escape sequences and blessed tags as text", async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    const mallory = await member(t, port, 'mallory', ids[1]!);
    await alice.waitForScreen(/mallory joined/, 'mallory');
    mallory.session.sendRoom('\u001b[2J\u001b]0;pwned\u0007{red-bg}{bold}SYSTEM{/bold} end');
    const screen = await alice.waitForScreen(/<mallory> \{red-bg\}\{bold\}SYSTEM\{\/bold\} end/, 'the literal text');
    assert.match(screen, /┌─ peers/);
  });

  it('lays out again when the terminal is resized, and asks for 80x24 below it', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 100, 30);
    for (const [width, height] of [
      [120, 40],
      [80, 24],
    ] as const) {
      alice.terminal.resize(width, height);
      await alice.waitForScreen(
        new RegExp(`^┌─ rooms[^\\n]{${width - 8}}\\n(?:[^\\n]*\\n){${height - 5}}└─+┘└─+┘\\n 1:#room\\n\\[#room\\]`),
        `the layout at ${width}x${height}`,
      );
    }
    alice.terminal.resize(60, 20);
    await alice.waitForScreen(/needs a terminal of at least 80x24/, 'the too-small notice');
  });

  it('joins a room with :join, lists it above the peers with its number and unread count, lists its members, kicks with a reason, and leaves it with :part', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 100, 30);
    const bob = await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    alice.terminal.type(':join #dev');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/you joined #dev; members: @alice[\s\S]*│2 #dev +│[\s\S]*\n\[#dev\]/, 'the room open, listed second');
    bob.session.joinRoom('#dev');
    await alice.waitForScreen(/bob joined #dev/, 'bob to join the room');
    alice.terminal.type('hello dev');
    alice.terminal.press('Enter');
    await waitUntil(() => bob.texts.includes('#dev alice: hello dev'), 'bob to read the #dev line');
    alice.terminal.press('M-1');
    await alice.waitForScreen(/\n\[#room\]/, 'the lobby again');
    bob.session.send('#dev', 'alice, look');
    await alice.waitForScreen(/│2 #dev 1!1/, 'one unread line in #dev, naming alice');
    alice.terminal.press('M-2');
    await alice.waitForScreen(/<bob> alice, look/, 'the line in #dev');
    const nicklist = await alice.waitForScreen(/#dev: 2 members/, "the peer list titled as the room's members");
    assert.match(nicklist, /@alice/, 'the operator marked @');
    alice.terminal.type(':kick bob too noisy');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/you removed bob from #dev \(too noisy\)/, 'the kick, with its reason, in the room');
    alice.terminal.type(':part');
    alice.terminal.press('Enter');
    const lobby = await alice.waitForScreen(/you left #dev[\s\S]*\n\[#room\]/, 'back in the lobby');
    assert.doesNotMatch(lobby, /│2 #dev/, 'the room left the list');
  });

  it('watches a video with a room: told when it starts, :watch joins it, and who paused it is said in the room', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 100, 30);
    const bob = await member(t, port, 'bob', ids[1]!);
    alice.terminal.type(':join #movie');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/you joined #movie/, 'alice in #movie');
    bob.session.joinRoom('#movie');
    await alice.waitForScreen(/bob joined #movie/, 'bob in #movie');
    bob.session.video.play('testsrc2-320x240-30fps.mp4', 80, 48, 'png', '#movie');
    await alice.waitForScreen(/bob started testsrc2-320x240-30fps\.mp4 for #movie/, 'the room told');
    // Paused at once, so the 5 s clip is still there when alice joins it.
    await waitUntil(() => bob.session.video.current?.start !== undefined, 'bob’s stream to start');
    bob.session.video.togglePause();
    await alice.waitForScreen(/bob paused testsrc2-320x240-30fps\.mp4 at 0:0\d/, 'the pause said in the room');
    alice.terminal.type(':watch');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/─ ▶ testsrc2-320x240-30fps\.mp4 ─/, 'the video pane, on the room’s stream');
    // The pane opens as :watch is asked; the stream is alice's once the server said it started
    // (its length is in the status bar): a :pause before that finds nothing playing.
    await alice.waitForScreen(/testsrc2-320x240-30fps\.mp4 \d+\.\ds\/\d+\.\ds/, 'the stream started for alice');
    alice.terminal.type(':pause');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/only bob, who started it, controls/, 'alice may not pause it for everyone');
  });

  it('ends with exit code 0 on :quit', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    alice.terminal.type(':quit');
    alice.terminal.press('Enter');
    assert.equal(await alice.tui.done, 0);
  });
});

/** Rows of the screen whose right border is not in the last column: text that ran past it. */
function misalignedRows(screen: string, columns: number): string[] {
  return screen.split('\n').filter((row) => /^[┌│└]/.test(row) && displayWidth(row) !== columns);
}

describe('the log pane, in-process on a fake terminal', () => {
  it('shows a DM when switched to after 200 room lines arrived (never a blank pane)', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const carol = await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    carol.session.sendDirect('alice', 'the one DM');
    await alice.waitForScreen(/\(1\)/, 'the DM to be counted');
    for (let i = 0; i < 200; i++) carol.session.sendRoom(`room line ${i}`);
    await alice.waitForScreen(/room line 199/, 'the last room line');
    alice.terminal.press('M-2');
    await alice.waitForScreen(/DM carol[^\n]*\n(?:[^\n]*\n)*[^\n]*\*carol\* the one DM/, 'the DM in its pane');
    alice.terminal.press('M-1');
    await alice.waitForScreen(/room line 199/, 'the room again, at its end');
  });

  it('shows the newest lines after the window grows (80x24 to 120x40 and 200x60)', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const carol = await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    for (let i = 0; i < 360; i++) carol.session.sendRoom(`line ${i}`);
    await alice.waitForScreen(/line 359/, 'the last line');
    for (const [width, height] of [
      [120, 40],
      [80, 24],
      [200, 60],
    ] as const) {
      alice.terminal.resize(width, height);
      const laidOut = new RegExp(`^┌─ rooms[^\\n]{${width - 8}}\\n[\\s\\S]*line 359 *│\\n└`);
      const screen = await alice.waitForScreen(laidOut, `the newest line at the bottom at ${width}x${height}`);
      const logRows = screen.split('\n').filter((row) => /<carol> line \d+/.test(row));
      assert.ok(logRows.length >= height - 6, `a full pane at ${width}x${height}, not ${logRows.length} rows`);
    }
    carol.session.sendRoom('after the resize');
    await alice.waitForScreen(/after the resize *│\n└/, 'a new line at the bottom');
  });

  it('keeps emoji, CJK, accents and ZWJ sequences inside the borders, wrapped by width', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const carol = await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    carol.session.sendRoom('😀'.repeat(50));
    carol.session.sendRoom('日本語のテキスト'.repeat(6));
    carol.session.sendRoom('cafe\u0301 👩‍👩‍👧 🇯🇵 done');
    const screen = await alice.waitForScreen(/done *│/, 'the last line');
    assert.deepEqual(misalignedRows(screen, 80), [], 'every row ends at the border');
    // The family is drawn as its first person: terminals disagree on a ZWJ sequence's width.
    assert.match(screen, /cafe\u0301 👩 🇯🇵 done/);
    const emojiRows = screen.split('\n').filter((row) => row.includes('😀'));
    assert.ok(emojiRows.length >= 2, 'fifty emoji wrap onto more than one row');
    // Wrapped rows start under the text, not at the border.
    const firstColumn = emojiRows[0]!.indexOf('😀');
    for (const row of emojiRows.slice(1)) assert.equal(row.indexOf('😀'), firstColumn);
    alice.terminal.type(':clear');
    alice.terminal.press('Enter');
    const cleared = await alice.waitForScreen(/^(?![\s\S]*😀)/, 'the emoji gone');
    assert.deepEqual(misalignedRows(cleared, 80), []);
  });

  it('shows typed emoji and CJK in the input line where they belong', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    alice.terminal.type('typing 😀 and 日本 Xhere');
    await alice.waitForScreen(/^\[#room\] typing 😀 and 日本 Xhere$/m, 'the input line as typed');
  });

  it('wraps long lines between words with a hanging indent, and marks when scrolled up', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const carol = await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    carol.session.sendRoom(words);
    const screen = await alice.waitForScreen(/word29/, 'the long line');
    const rows = screen.split('\n').filter((row) => /word\d/.test(row));
    assert.ok(rows.length >= 3);
    const textColumn = rows[0]!.indexOf('word0');
    for (const row of rows.slice(1)) {
      assert.match(row, /│ +word\d+ /, 'a wrapped row starts with a whole word');
      assert.equal(row.search(/word\d/), textColumn, 'under the first word');
    }
    for (let i = 0; i < 60; i++) carol.session.sendRoom(`filler ${i}`);
    await alice.waitForScreen(/filler 59/, 'the filler');
    alice.terminal.press('PageUp');
    await alice.waitForScreen(/scrolled up: more below/, 'the scrolled-up marker');
    carol.session.sendRoom('while away');
    await alice.waitForScreen(/scrolled up: 1 new below/, 'the count of new lines');
    assert.doesNotMatch(alice.tui.screenText(), /while away/);
    alice.terminal.press('End');
    await alice.waitForScreen(/while away *│\n└/, 'the bottom again');
  });
});

/** What the terminal was sent from now until `pattern` shows up in it. */
async function outputUntil(terminal: FakeTerminal, pattern: RegExp, what: string): Promise<string> {
  let output = '';
  await waitUntil(() => {
    output += terminal.takeOutput();
    return pattern.test(output);
  }, what);
  return output;
}

/** The bells in terminal output, not counting the BEL that ends a title (OSC) sequence. */
function bells(output: string): number {
  return output.replace(/\u001b\][^\u0007]*\u0007/g, '').split('\u0007').length - 1;
}

describe('notifications and IRC habits, in-process on a fake terminal', () => {
  it('rings the bell and counts in the title and the activity bar for a DM or a line naming you, not for other lines', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const carol = await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    alice.terminal.type(':dm carol');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/ 1:#room {2}2:carol/, 'the DM listed second, open');
    alice.terminal.takeOutput();
    carol.session.sendRoom('nothing for you');
    carol.session.sendRoom('plain marker');
    await alice.waitForScreen(/ 1:#room 2 /, 'two unread room lines counted');
    // The screen buffer is drawn before blessed flushes its bytes: wait for the frame's title,
    // written with any bell of the same frame.
    let output = await outputUntil(alice.terminal, /\u001b\]0;tui-chat \(2\)\u0007/, 'the title to count two');
    assert.equal(bells(output), 0, 'no bell for lines that do not name alice');
    carol.session.sendRoom('hey Alice, look');
    await alice.waitForScreen(/ 1:#room 3!1 /, 'the mention counted as a highlight');
    output = await outputUntil(alice.terminal, /\u001b\]0;tui-chat \(3, 1!\)\u0007/, 'the counts in the terminal title');
    assert.equal(bells(output), 1, 'one bell for the mention');
    alice.terminal.press('M-1');
    await alice.waitForScreen(/hey Alice, look/, 'the room opened');
    await waitUntil(() => /\u001b\]0;tui-chat\u0007/.test(alice.terminal.takeOutput()), 'the title to clear once read');
  });

  it(':away MESSAGE shows in the peer lists and logs of the others, and :away alone says you are back', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const bob = await openInProcessTui(t, port, 'bob', ids[1]!, 80, 24);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    bob.terminal.type(':away lunch, back at 2');
    bob.terminal.press('Enter');
    await bob.waitForScreen(/you are marked away: lunch, back at 2/, 'bob told');
    const screen = await alice.waitForScreen(/bob is away: lunch, back at 2/, 'alice told');
    assert.match(screen, /│ \? bob \(away\)/, 'the peer list marks bob away');
    alice.terminal.type(':whois bob');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/bob: not verified \(trusted on first use\); away:/, ':whois says why');
    bob.terminal.type('/away');
    bob.terminal.press('Enter');
    await alice.waitForScreen(/bob is back/, 'bob back');
    await alice.waitForScreen(/│ \? bob +│/, 'the mark gone');
  });

  it(':search TEXT finds lines in the open conversation only, and points to --all', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 100, 30);
    const bob = await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    bob.session.sendRoom('the deploy is at noon');
    bob.session.sendRoom('lunch first');
    bob.session.sendDirect('alice', 'deploy keys are in the vault');
    await alice.waitForScreen(/2:bob/, 'the DM listed');
    alice.terminal.type(':search DEPLOY');
    alice.terminal.press('Enter');
    const screen = await alice.waitForScreen(/1 line here containing "DEPLOY"/, 'the result');
    assert.match(screen, /<bob> the deploy is at noon/);
    assert.doesNotMatch(screen, /vault/, 'the DM is another conversation');
    alice.terminal.type(':search nothing like it');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/nothing in this conversation contains "nothing like it"\s+│\n[^\n]*\(:search --all/, 'no result, and the hint');
  });

  it('stays quiet with the bell turned off, and still counts', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24, { bell: false });
    const carol = await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    alice.terminal.takeOutput();
    carol.session.sendDirect('alice', 'psst');
    await alice.waitForScreen(/ 2:carol 1!1/, 'the DM counted');
    const output = await outputUntil(alice.terminal, /\u001b\]0;tui-chat \(1, 1!\)\u0007/, 'the frame with the DM counted');
    assert.equal(bells(output), 0);
  });

  it('takes /commands like :commands, sends /me as an action, suggests a mistyped command and closes a DM', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const bob = await openInProcessTui(t, port, 'bob', ids[1]!, 80, 24);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    alice.terminal.type('/me waves');
    alice.terminal.press('Enter');
    await bob.waitForScreen(/ \* alice waves/, 'the action at bob');
    alice.terminal.type('/qiut');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/unknown command :qiut \(did you mean :quit\?\)/, 'the suggestion');
    alice.terminal.type('/query bob');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/ 1:#room {2}2:bob\n/, 'the DM open as 2');
    alice.terminal.type('/close');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/ 1:#room\n\[#room\]/, 'the DM closed, back in the room');
    alice.terminal.type(':timestamps seconds');
    alice.terminal.press('Enter');
    await alice.waitForScreen(/\d\d:\d\d:\d\d +-!- /, 'seconds in the log');
  });
});

describe('pasting and the mouse, in-process on a fake terminal', () => {
  it('sends a bracketed paste of several lines as one message', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const bob = await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    alice.terminal.input.write('\u001b[200~first line\r\nsecond line\rthird line\u001b[201~');
    await alice.waitForScreen(/^\[#room\] first line↵second line↵third line$/m, 'the paste in the input, one line');
    alice.terminal.press('Enter');
    await waitUntil(() => bob.texts.length > 0, 'bob to get it');
    assert.deepEqual(bob.texts, ['room alice: first line\nsecond line\nthird line']);
  });

  it('asks the terminal for bracketed paste and click-only SGR mouse reports, and undoes both on quit', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    const started = alice.terminal.takeOutput();
    assert.match(started, /\u001b\[\?2004h/);
    assert.match(started, /\u001b\[\?1000h/);
    assert.match(started, /\u001b\[\?1006h/);
    assert.doesNotMatch(started, /\u001b\[\?100[23]h/, 'no motion tracking: the terminal keeps its selection');
    alice.terminal.type(':quit');
    alice.terminal.press('Enter');
    assert.equal(await alice.tui.done, 0);
    const ended = alice.terminal.takeOutput();
    assert.match(ended, /\u001b\[\?2004l/);
    assert.match(ended, /\u001b\[\?1000l/);
  });

  it('opens a DM by clicking a peer, and a conversation by clicking it on the activity bar', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 80, 24);
    await member(t, port, 'carol', ids[1]!);
    await alice.waitForScreen(/carol joined/, 'carol to join');
    // The peer list sits under the rooms list (rows 1-3): its row 1 is alice (you) on row 5, row 2
    // carol on row 6 (columns and rows 1-based, as the terminal reports them).
    alice.terminal.click(5, 6);
    await alice.waitForScreen(/ 1:#room {2}2:carol\n\[carol\]/, 'the DM with carol open');
    // The activity bar is the row above the input (row 22 of 24); "1:#room" starts at column 2.
    alice.terminal.click(3, 22);
    await alice.waitForScreen(/\n\[#room\]/, 'the room again');
  });
});

describe('every documented key, in-process on a fake xterm', () => {
  it('does what the help says for each key, the mouse wheel scrolls, and Ctrl+C quits', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!, 100, 30);
    const bob = await member(t, port, 'bob', ids[1]!);
    await alice.waitForScreen(/bob joined/, 'bob to join');
    for (let i = 0; i < 40; i++) bob.session.sendRoom(`filler ${i}`);
    await alice.waitForScreen(/filler 39/, 'the filler');
    await keyTour({
      press: (...keys) => alice.terminal.press(...keys),
      type: (text) => alice.terminal.type(text),
      waitForScreen: (pattern, what) => alice.waitForScreen(pattern, what),
    });
    // The wheel over the log: SGR button 64 is "wheel up".
    alice.terminal.input.write('\u001b[<64;60;10M');
    await alice.waitForScreen(/scrolled up/, 'the wheel scrolled the log up');
    alice.terminal.press('C-c');
    assert.equal(await alice.tui.done, 0);
  });
});
