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

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

async function startServer(t: TestContext): Promise<number> {
  const server = new ChatServer({ port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

/** A headless member, recording what reaches it. */
async function member(t: TestContext, port: number, name: string, identity: Identity) {
  const session = new ChatSession({ host: '127.0.0.1', port, name, identity });
  const texts: string[] = [];
  session.on('message', (m) => texts.push(`${m.to === null ? 'room' : 'dm'} ${m.from}: ${m.text}`));
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
        new RegExp(`^┌─ peers[^\\n]{${width - 8}}\\n(?:[^\\n]*\\n){${height - 4}}└─+┘└─+┘\\n\\[#room\\]`),
        `the layout at ${width}x${height}`,
      );
    }
    alice.terminal.resize(60, 20);
    await alice.waitForScreen(/needs a terminal of at least 80x24/, 'the too-small notice');
  });

  it('ends with exit code 0 on :quit', async (t) => {
    const port = await startServer(t);
    const alice = await openInProcessTui(t, port, 'alice', ids[0]!);
    alice.terminal.type(':quit');
    alice.terminal.press('Enter');
    assert.equal(await alice.tui.done, 0);
  });
});
