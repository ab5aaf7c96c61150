// A child process of the rooms and lobby benches: it runs some of their members (real
// ChatSessions of the project) and tells the parent, over Node's IPC channel, what each read. On
// real machines every member runs on its own; here the members are spread over a few processes,
// so one process's garbage collector (a thousand clients' keys in one heap: 3.3 GB) and one core
// do not stand in for a thousand machines. Started by member-processes.ts, never by hand.
import { ChatSession } from '../src/client/chat-session.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import type { MemberCommand, MemberReport } from './member-processes.js';

/** Members share a few identities (key generation would otherwise dominate the set-up). */
const IDENTITIES = 2;

const sessions = new Map<string, ChatSession>();
let identities: Identity[] = [];

/** Reports of this turn, sent together at its end: one IPC message per read cost a member process ~80 ms of a line to 250 readers. */
let reports: MemberReport[] = [];

function report(message: MemberReport): void {
  if (reports.length === 0) {
    setImmediate(() => {
      process.send?.(reports);
      reports = [];
    });
  }
  reports.push(message);
}

async function join(port: number, name: string, room: string | undefined): Promise<void> {
  const session = new ChatSession({ host: '127.0.0.1', port, name, identity: identities[sessions.size % IDENTITIES]! });
  sessions.set(name, session);
  session.on('message', (m) => report({ type: 'read', name, text: m.text }));
  session.on('error', (e) => {
    if (e.message.includes('no key for it came')) report({ type: 'unreadable', name });
  });
  await session.connect();
  if (room !== undefined) {
    session.joinRoom(room);
    while (session.room(room) === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  report({ type: 'joined', name });
}

async function waitListing(peer: string, room: string | undefined, token: number): Promise<void> {
  const lists = (session: ChatSession) =>
    room === undefined ? session.peer(peer) !== undefined : session.room(room)?.members.some((member) => member.name === peer) === true;
  for (;;) {
    if ([...sessions.values()].every(lists)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  report({ type: 'listed', token });
}

process.on('message', (command: MemberCommand) => {
  switch (command.type) {
    case 'join':
      for (const name of command.names) {
        join(command.port, name, command.room).catch((error: unknown) => report({ type: 'failed', name, error: String(error) }));
      }
      return;
    case 'wait-listing':
      void waitListing(command.peer, command.room, command.token);
      return;
    case 'part':
      sessions.get(command.name)?.partRoom(command.room);
      return;
    case 'close':
      void Promise.all([...sessions.values()].map((session) => session.close('bye'))).then(() => process.exit(0));
      return;
  }
});

identities = await Promise.all(Array.from({ length: IDENTITIES }, () => generateIdentity()));
report({ type: 'ready' });
