// Lines in a big named room: N members who never heard from its sender, one server with its
// default flood control, every client a real ChatSession of the project (all in this process).
// Timed from the sender's send until every member read the line (or gave up on it): the first
// line (a new chain handed to every member), the second (no handover), and the next line after
// one member left (a new chain for the rest, which the one who left does not get).
import { ChatSession } from '../src/client/chat-session.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import { startBenchServer, stopProcess } from './bench-process.js';

export interface RoomsResult {
  readonly members: number;
  readonly firstLineMs: number;
  readonly secondLineMs: number;
  readonly afterLeaveMs: number;
  /** How long the sender's client took to seal each line and its handovers (part of the line's time). */
  readonly sealMs: readonly [number, number, number];
  /** Members that could not read each line (no key came within their wait). */
  readonly unreadable: readonly [number, number, number];
}

/** Members share a few identities (key generation would otherwise dominate the set-up). */
const IDENTITIES = 4;
const ROOM = '#bench';
/** Members joining at once while the room fills (the server paces each connection, not the bench). */
const JOINING_AT_ONCE = 50;

export async function runRoomsBench(members: number): Promise<RoomsResult> {
  const identities: Identity[] = await Promise.all(Array.from({ length: IDENTITIES }, () => generateIdentity()));
  const room = members + 10;
  const { child, port } = await startBenchServer(room, ['--max-clients', String(room + 10), '--max-room-members', String(room)]);
  const sessions: ChatSession[] = [];
  try {
    const read = new Map<string, Set<string>>();
    const unreadable = new Map<string, number>();
    const readers: ChatSession[] = [];
    const join = async (name: string, identity: Identity): Promise<ChatSession> => {
      const session = new ChatSession({ host: '127.0.0.1', port, name, identity });
      session.on('message', (m) => {
        const readBy = read.get(m.text) ?? new Set<string>();
        read.set(m.text, readBy.add(name));
      });
      session.on('error', (e) => {
        if (e.message.includes('no key for it came')) unreadable.set(name, (unreadable.get(name) ?? 0) + 1);
      });
      sessions.push(session);
      let connected = false;
      void session.connect().then(() => {
        connected = true;
      });
      await until(
        () => connected,
        20,
        () => `${name} never finished connecting (link ${session.connectionState})`,
      );
      session.joinRoom(ROOM);
      await until(
        () => session.room(ROOM) !== undefined,
        20,
        () => `${name} never joined ${ROOM}`,
      );
      return session;
    };
    for (let i = 0; i < members; i += JOINING_AT_ONCE) {
      const batch = Array.from({ length: Math.min(JOINING_AT_ONCE, members - i) }, (_, k) => join(`m${i + k}`, identities[(i + k) % IDENTITIES]!));
      readers.push(...(await Promise.all(batch)));
    }
    const sender = await join('sender', identities[0]!);
    await until(
      () => (sender.room(ROOM)?.members.length ?? 0) === members + 1,
      10,
      () => `the sender's roster: ${sender.room(ROOM)?.members.length} of ${members + 1}`,
    );
    // Timing starts once every member has taken in every join: in this one process their backlog
    // of presence would be timed as the line's. Joins are taken in order, so a member who lists
    // the sender (the last to join) has taken in all of them.
    await until(
      () => readers.every((reader) => reader.peer('sender') !== undefined),
      200,
      () => `${readers.filter((reader) => reader.peer('sender') === undefined).length} members never listed the sender`,
    );
    let unreadableBefore = 0;
    const timeLine = async (text: string, audience: readonly ChatSession[]): Promise<{ ms: number; unreadable: number; sealMs: number }> => {
      const started = performance.now();
      sender.sendToRoom(ROOM, text);
      const sealMs = performance.now() - started;
      if (process.env.BENCH_DEBUG) console.log(text, 'send took', (performance.now() - started).toFixed(0));
      const gaveUp = (): number => [...unreadable.values()].reduce((a, b) => a + b, 0) - unreadableBefore;
      await until(
        () => (read.get(text)?.size ?? 0) + gaveUp() >= audience.length,
        10,
        () => `"${text}": ${audience.filter((reader) => !read.get(text)?.has(reader.name)).length} of ${audience.length} members neither read it nor gave up`,
      );
      const ms = performance.now() - started;
      const failed = gaveUp();
      unreadableBefore += failed;
      return { ms, unreadable: failed, sealMs };
    };
    const first = await timeLine('first line', readers);
    const second = await timeLine('second line', readers);
    const leaver = readers.pop()!;
    leaver.partRoom(ROOM);
    await until(
      () => sender.room(ROOM)?.members.length === members,
      10,
      () => "the sender's roster to lose the leaver",
    );
    const afterLeave = await timeLine('after a leave', readers);
    return {
      members,
      firstLineMs: first.ms,
      secondLineMs: second.ms,
      afterLeaveMs: afterLeave.ms,
      unreadable: [first.unreadable, second.unreadable, afterLeave.unreadable],
      sealMs: [first.sealMs, second.sealMs, afterLeave.sealMs],
    };
  } finally {
    await stopProcess(child);
    for (const session of sessions) await session.close('bye');
  }
}

/** A bench that waits forever tells nothing: past this, it says what it was waiting for. */
const GIVE_UP_MS = 120_000;

async function until(done: () => boolean, everyMs = 10, waitingFor = () => 'a condition'): Promise<void> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > GIVE_UP_MS) throw new Error(`rooms bench: gave up after ${GIVE_UP_MS / 1000} s: ${waitingFor()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
