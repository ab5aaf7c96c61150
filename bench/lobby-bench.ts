// A lobby line on a big server: N readers who never heard of its sender, with the server's
// default flood control. Past --full-presence-max-users the lobby is open: every reader asks the
// sender for its chain, and the sender answers (a follow, a key fetch and handovers, many to a
// signature). The reference, in the same run, is the server telling everyone of everyone, where
// the sender hands its chain to every member before the line. The second line needs no handover
// in either. The readers run in a few child processes (bench-members.ts), the sender in this one.
import { ChatSession } from '../src/client/chat-session.js';
import { generateIdentity } from '../src/core/identity.js';
import { startBenchServer, stopProcess } from './bench-process.js';
import { MemberProcesses, until } from './member-processes.js';

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

/** Readers connecting at once (the server paces each connection, not the bench). */
const CONNECTING_AT_ONCE = 50;

/** `processes`: how many child processes run the readers (BENCH_MEMBER_PROCESSES, 4 by default). */
export async function runLobbyBench(readers: number, presence: LobbyResult['presence'], processes: number): Promise<LobbyResult> {
  const { child, port } = await startBenchServer(readers + 10, ['--full-presence-max-users', presence === 'followed' ? '0' : String(readers + 10)]);
  const crowd = await MemberProcesses.start(processes);
  let sender: ChatSession | undefined;
  try {
    const names = Array.from({ length: readers }, (_, i) => `r${i}`);
    for (let i = 0; i < readers; i += CONNECTING_AT_ONCE) await crowd.join(port, names.slice(i, i + CONNECTING_AT_ONCE));
    const joined = new ChatSession({ host: '127.0.0.1', port, name: 'sender', identity: await generateIdentity() });
    sender = joined;
    await joined.connect();
    // Told of everyone, every reader lists the sender once it has taken in every join before it.
    if (presence === 'everyone') await crowd.everyoneLists('sender');
    const timeLine = async (text: string, unreadableBefore: number): Promise<number> => {
      const started = performance.now();
      joined.send(null, text);
      await until(
        () => (crowd.read.get(text)?.size ?? 0) + crowd.unreadable - unreadableBefore >= readers,
        () => `"${text}": ${readers - (crowd.read.get(text)?.size ?? 0)} of ${readers} readers to read it or give up`,
      );
      return performance.now() - started;
    };
    const firstLineMs = await timeLine('first line', 0);
    const unreadable = crowd.unreadable;
    const secondLineMs = await timeLine('second line', unreadable);
    return { presence, readers, firstLineMs, secondLineMs, unreadable };
  } finally {
    await stopProcess(child);
    await crowd.close();
    await sender?.close('bye');
  }
}
