// The TUI in this process against a fake terminal, a real ChatClient and a real server on
// 127.0.0.1: keys go in, blessed's screen buffer comes out.
import type { TestContext } from 'node:test';
import { ChatClient } from '../../src/client/chat-client.js';
import { KnownPeers } from '../../src/client/known-peers.js';
import type { Identity } from '../../src/core/identity.js';
import { type TuiHandle, type TuiOptions, startTui } from '../../src/tui/tui-app.js';
import { waitUntil } from './events.js';
import { FakeTerminal } from './fake-terminal.js';

export interface InProcessTui {
  readonly terminal: FakeTerminal;
  readonly tui: TuiHandle;
  readonly client: ChatClient;
  /** Resolves with the screen once it matches; fails with the screen in the message. */
  waitForScreen(pattern: RegExp, what: string, timeoutMs?: number): Promise<string>;
}

export async function openInProcessTui(
  t: TestContext,
  port: number,
  name: string,
  identity: Identity,
  columns = 100,
  rows = 30,
  options: Pick<TuiOptions, 'bell'> = {},
): Promise<InProcessTui> {
  const terminal = new FakeTerminal(columns, rows);
  const client = new ChatClient({ host: '127.0.0.1', port, name, identity, knownPeers: KnownPeers.inMemory() });
  const tui = startTui({ client, serverLabel: `127.0.0.1:${port}`, colorMode: 'truecolor', terminal, ...options });
  t.after(async () => {
    // Esc first: Ctrl+C closes the help overlay when it is open, and quits otherwise.
    terminal.press('Escape', 'C-c');
    await tui.done;
  });
  const waitForScreen = async (pattern: RegExp, what: string, timeoutMs = 10_000): Promise<string> => {
    try {
      await waitUntil(() => pattern.test(tui.screenText()), what, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the screen was:\n${tui.screenText()}`);
    }
    return tui.screenText();
  };
  await waitForScreen(new RegExp(`joined as ${name}`), `${name} to join`);
  return { terminal, tui, client, waitForScreen };
}
