// Lines in a big named room: N members who never heard from its sender, one server with its
// default flood control, every client a real ChatSession of the project: the members spread
// over a few child processes (bench-members.ts), the sender in this one. Timed from the sender's
// send until every member read the line (or gave up on it): the first line (a new chain handed
// to every member), the second (no handover), and the next line after one member left (a new
// chain for the rest, which the one who left does not get).
import { ChatSession } from '../src/client/chat-session.js';
import { generateIdentity } from '../src/core/identity.js';
import { startBenchServer, stopProcess } from './bench-process.js';
import { MemberProcesses, until } from './member-processes.js';

export interface RoomsResult {
  readonly members: number;
  readonly firstLineMs: number;
  readonly secondLineMs: number;
  readonly afterLeaveMs: number;
  /** How long the sender's client took to seal each line and its handovers (part of the line's time). */
  readonly sealMs: readonly [number, number, number];
  /** How long the sender waited for members' keys before each line (a big room's, the first time; part of the line's time). */
  readonly lookupMs: readonly [number, number, number];
  /** Members that could not read each line (no key came within their wait). */
  readonly unreadable: readonly [number, number, number];
}

const ROOM = '#bench';
/**
 * Members joining at once while the room fills (the server paces each connection, not the bench).
 * 25: each join is news to every member, so a batch of 50 at 4,600 members put ~60,000 room events
 * before each member process, and joiners waiting behind them ran past their 10 s join timeout
 * (one run of two at 5,000).
 */
const JOINING_AT_ONCE = 25;

/** `processes`: how many child processes run the members (BENCH_MEMBER_PROCESSES, 4 by default). */
export async function runRoomsBench(members: number, processes: number): Promise<RoomsResult> {
  const room = members + 10;
  const { child, port } = await startBenchServer(room, ['--max-clients', String(room + 10), '--max-room-members', String(room)]);
  const crowd = await MemberProcesses.start(processes);
  let sender: ChatSession | undefined;
  try {
    const names = Array.from({ length: members }, (_, i) => `m${i}`);
    for (let i = 0; i < members; i += JOINING_AT_ONCE) await crowd.join(port, names.slice(i, i + JOINING_AT_ONCE), ROOM);
    const joined = new ChatSession({ host: '127.0.0.1', port, name: 'sender', identity: await generateIdentity() });
    sender = joined;
    await joined.connect();
    joined.joinRoom(ROOM);
    await until(
      () => (joined.room(ROOM)?.members.length ?? 0) === members + 1,
      () => `the sender's roster: ${joined.room(ROOM)?.members.length} of ${members + 1}`,
    );
    // Timing starts once every member has taken in every join, or their backlog of presence
    // would be timed as the line's. Joins are taken in order, so a member who lists the sender
    // (the last to join) has taken in all of them.
    await crowd.everyoneLists('sender', ROOM);
    let unreadableBefore = 0;
    const timeLine = async (text: string, audience: number): Promise<{ ms: number; unreadable: number; sealMs: number; lookupMs: number }> => {
      const started = performance.now();
      // As the outgoing queue does: a big room's members' keys are fetched before its first line.
      if (joined.needsLookup(ROOM)) await joined.lookup(ROOM);
      const sealing = performance.now();
      joined.sendToRoom(ROOM, text);
      const sealMs = performance.now() - sealing;
      await until(
        () => (crowd.read.get(text)?.size ?? 0) + crowd.unreadable - unreadableBefore >= audience,
        () => `"${text}": ${audience - (crowd.read.get(text)?.size ?? 0)} of ${audience} members to read it or give up`,
      );
      const failed = crowd.unreadable - unreadableBefore;
      unreadableBefore = crowd.unreadable;
      return { ms: performance.now() - started, unreadable: failed, sealMs, lookupMs: sealing - started };
    };
    const first = await timeLine('first line', members);
    const second = await timeLine('second line', members);
    crowd.part(names.at(-1)!, ROOM);
    await until(
      () => joined.room(ROOM)?.members.length === members,
      () => "the sender's roster to lose the leaver",
    );
    const afterLeave = await timeLine('after a leave', members - 1);
    if (crowd.read.get('after a leave')?.has(names.at(-1)!) === true) throw new Error('the member who left read the line after it');
    return {
      members,
      firstLineMs: first.ms,
      secondLineMs: second.ms,
      afterLeaveMs: afterLeave.ms,
      unreadable: [first.unreadable, second.unreadable, afterLeave.unreadable],
      sealMs: [first.sealMs, second.sealMs, afterLeave.sealMs],
      lookupMs: [first.lookupMs, second.lookupMs, afterLeave.lookupMs],
    };
  } finally {
    await stopProcess(child);
    await crowd.close();
    await sender?.close('bye');
  }
}
