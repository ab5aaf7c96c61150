// A lobby line on a big server: N readers who never heard of its sender, with the server's
// default flood control. Past --full-presence-max-users the lobby is open: every reader asks the
// sender for its chain, and the sender answers each (a follow, a key fetch and a signed handover).
// The reference, in the same run, is the server telling everyone of everyone, where the sender
// hands its chain to every member before the line. The second line needs no handover in either.
import { ChatSession } from '../src/client/chat-session.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import { startBenchServer, stopProcess } from './bench-process.js';

export interface LobbyResult {
  readonly presence: 'followed' | 'everyone';
  readonly readers: number;
  /** From the send of the sender's first line until every reader read it (or gave up on it), ms. */
  readonly firstLineMs: number;
  /** The same for its second line. */
  readonly secondLineMs: number;
  /** Readers that gave up on the first line (no chain within their wait). */
  readonly unreadable: number;
}

/** Readers share a few identities (key generation would otherwise dominate the set-up). */
const IDENTITIES = 4;

export async function runLobbyBench(readers: number, presence: LobbyResult['presence']): Promise<LobbyResult> {
  const identities: Identity[] = await Promise.all(Array.from({ length: IDENTITIES }, () => generateIdentity()));
  const { child, port } = await startBenchServer(readers + 10, ['--full-presence-max-users', presence === 'followed' ? '0' : String(readers + 10)]);
  const sessions: ChatSession[] = [];
  try {
    const read = new Map<string, number>();
    let unreadable = 0;
    for (let i = 0; i < readers; i++) {
      const session = new ChatSession({ host: '127.0.0.1', port, name: `r${i}`, identity: identities[i % IDENTITIES]! });
      session.on('message', (m) => read.set(m.text, (read.get(m.text) ?? 0) + 1));
      session.on('error', (e) => {
        if (e.message.includes('no key for it came')) unreadable++;
      });
      await session.connect();
      sessions.push(session);
    }
    const sender = new ChatSession({ host: '127.0.0.1', port, name: 'sender', identity: identities[0]! });
    await sender.connect();
    sessions.push(sender);
    const timeLine = async (text: string, counted: () => number): Promise<number> => {
      const started = performance.now();
      sender.send(null, text);
      while ((read.get(text) ?? 0) + counted() < readers) await new Promise((resolve) => setTimeout(resolve, 20));
      return performance.now() - started;
    };
    const firstLineMs = await timeLine('first line', () => unreadable);
    const unreadableFirst = unreadable;
    const secondLineMs = await timeLine('second line', () => unreadable - unreadableFirst);
    return { presence, readers, firstLineMs, secondLineMs, unreadable: unreadableFirst };
  } finally {
    await stopProcess(child);
    for (const session of sessions) await session.close('bye');
  }
}
