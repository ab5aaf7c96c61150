// Sessions on a server past --full-presence-max-users: each is told only of those it follows, yet
// DMs, the lobby and named rooms work among people who never heard of each other before.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type ChatMessageEvent, ChatSession, type SessionEvents } from '../../src/client/chat-session.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

async function startServer(t: TestContext): Promise<number> {
  const server = new ChatServer({ port: 0, limits: { fullPresenceMaxUsers: 0 } });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

async function join(
  t: TestContext,
  port: number,
  name: string,
  identity: Identity,
  state = ClientState.inMemory(),
  keyWaitMs?: { closed: number; openLobby: number },
) {
  const session = new ChatSession({ host: '127.0.0.1', port, name, identity, state, ...(keyWaitMs === undefined ? {} : { keyWaitMs }) });
  const events: Array<{ type: string; payload: unknown }> = [];
  for (const type of ['message', 'error', 'delivery'] as const) {
    session.on(type, (payload: SessionEvents[typeof type]) => events.push({ type, payload }));
  }
  await session.connect();
  t.after(() => session.close());
  const messages = () => events.filter((e) => e.type === 'message').map((e) => e.payload as ChatMessageEvent);
  const errors = () => events.filter((e) => e.type === 'error').map((e) => e.payload);
  return { session, messages, errors, state };
}

const listed = (session: ChatSession) =>
  session
    .peers()
    .map((peer) => peer.name)
    .sort();

describe('ChatSession on a server that tells each client of whom it follows', () => {
  it('lists only itself at first, with a census of everyone', async (t) => {
    const port = await startServer(t);
    await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    assert.equal(bob.session.followsOnly, true);
    assert.deepEqual(listed(bob.session), ['bob']);
    assert.deepEqual(bob.session.census, { online: 2, registered: 2 });
  });

  it('writes to someone never listed after looking them up, and the reader lists the writer to open it', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const carol = await join(t, port, 'carol', ids[2]!);
    assert.equal(alice.session.needsLookup('carol'), true);
    assert.throws(() => alice.session.send('carol', 'too soon'), { code: ErrorCode.NO_SUCH_PEER });
    assert.equal(await alice.session.lookup('carol'), true);
    assert.equal(await alice.session.lookup('nobody'), false);
    alice.session.send('carol', 'hello carol');
    await waitUntil(() => carol.messages().some((m) => m.text === 'hello carol'), 'carol to read the DM');
    assert.deepEqual(listed(carol.session), ['alice', 'carol'], 'the writer is listed (and followed) now');
    carol.session.send('alice', 'hi back');
    await waitUntil(() => alice.messages().some((m) => m.text === 'hi back'), 'alice to read the answer');
  });

  it('reads a lobby line from a sender who knew none of its readers: they ask for the chain', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    const carol = await join(t, port, 'carol', ids[2]!);
    bob.session.send(null, 'hello lobby');
    await waitUntil(() => alice.messages().some((m) => m.text === 'hello lobby'), 'alice to read the lobby line');
    await waitUntil(() => carol.messages().some((m) => m.text === 'hello lobby'), 'carol to read the lobby line');
    // alice and carol hold bob's chain since they asked: his second line needs no handover, nor asking.
    bob.session.send(null, 'second line');
    await waitUntil(() => alice.messages().some((m) => m.text === 'second line'), 'alice to read the second line');
    await waitUntil(() => carol.messages().some((m) => m.text === 'second line'), 'carol to read the second line');
    assert.deepEqual(alice.errors(), []);
    assert.deepEqual(carol.errors(), []);
  });

  it('gives a lobby line the open lobby wait (longer) for its chain before calling it unreadable', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!, ClientState.inMemory(), { closed: 100, openLobby: 1500 });
    const bob = await join(t, port, 'bob', ids[1]!);
    // bob goes at once: alice's request for his chain waits for him on the server, unanswered.
    bob.session.send(null, 'said and gone');
    await bob.session.close();
    await waitUntil(() => alice.errors().length > 0, 'alice to give up on the line');
    assert.match((alice.errors()[0] as { message: string }).message, /no key for it came \(asked bob; no answer within 1\.5 s\)/);
  });

  it('lists its room-mates: a room line reaches a member it had never heard of', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    alice.session.joinRoom('#ops');
    await waitUntil(() => alice.session.room('#ops') !== undefined, 'alice to be in #ops');
    bob.session.joinRoom('#ops');
    await waitUntil(() => alice.session.room('#ops')?.members.length === 2, 'alice to see bob join #ops');
    await waitUntil(() => listed(alice.session).includes('bob'), 'alice to list bob, her room-mate');
    alice.session.send('#ops', 'ops line');
    await waitUntil(() => bob.messages().some((m) => m.text === 'ops line'), 'bob to read the #ops line');
  });
});
