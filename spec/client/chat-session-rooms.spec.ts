import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type ChatMessageEvent, ChatSession, type SessionEvents } from '../../src/client/chat-session.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { createLineLogger } from '../../src/core/logger.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';

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

async function join(t: TestContext, port: number, name: string, identity: Identity, state = ClientState.inMemory()) {
  const session = new ChatSession({ host: '127.0.0.1', port, name, identity, state });
  const events: Array<{ type: string; payload: unknown }> = [];
  for (const type of ['message', 'room-change', 'rooms', 'error', 'delivery'] as const) {
    session.on(type, (payload: SessionEvents[typeof type]) => events.push({ type, payload }));
  }
  await session.connect();
  t.after(() => session.close());
  const messages = () => events.filter((e) => e.type === 'message').map((e) => e.payload as ChatMessageEvent);
  return { session, events, messages, state };
}

type Joined = Awaited<ReturnType<typeof join>>;

async function inRoom(room: string, ...members: Joined[]): Promise<void> {
  for (const member of members) {
    member.session.joinRoom(room);
    await waitUntil(() => member.session.room(room) !== undefined, `${member.session.name} to be in ${room}`);
  }
  const names = members.map((member) => member.session.name).sort();
  for (const member of members) {
    await waitUntil(
      () =>
        JSON.stringify(
          member.session
            .room(room)
            ?.members.map((m) => m.name)
            .sort(),
        ) === JSON.stringify(names),
      `${member.session.name} to see everyone in ${room}`,
    );
  }
}

describe('ChatSession in named rooms', () => {
  it("hands its chain to a room's members in batches: a first line to 24 costs a few messages of flood control, not 24", async (t) => {
    const logs: string[] = [];
    // A burst of 12 at three a second: the sender's key fetch, handovers and line fit it at once
    // only if the handovers go in one frame (one each would be 24 more).
    const limits = { messagesPerSecond: 3, messageBurst: 12, maxNamesPerKey: 100, maxNamesPerAddress: 100, maxClientsPerAddress: 100 };
    const server = new ChatServer({ port: 0, limits, logger: createLineLogger((line) => logs.push(line), 'info') });
    const { port } = await server.listen();
    t.after(() => server.close());
    const members: Joined[] = [];
    for (let i = 0; i < 24; i++) members.push(await join(t, port, `m${i}`, ids[1 + (i % 2)]!));
    const alice = await join(t, port, 'alice', ids[0]!);
    await inRoom('#big', alice, ...members);
    alice.session.send('#big', 'first line to everyone');
    await waitUntil(
      () => members.every((member) => member.messages().some((m) => m.text === 'first line to everyone')),
      () => `every member to read it (${members.filter((m) => m.messages().some((x) => x.text === 'first line to everyone')).length} of 24)`,
      30_000,
    );
    assert.deepEqual(
      logs.filter((line) => line.includes('client.throttled') && line.includes('name=alice')),
      [],
      'the sender was never held back',
    );
  });

  it('seals a room message for its members only: a member reads it, an outsider never gets it', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    const carol = await join(t, port, 'carol', ids[2]!);
    await inRoom('#dev', alice, bob);
    alice.session.send('#dev', 'for dev only');
    await waitUntil(() => bob.messages().some((m) => m.text === 'for dev only'), 'bob to read the #dev line');
    assert.equal(bob.messages()[0]?.to, '#dev');
    // The lobby line comes after: once carol has it, she would have had the #dev one too.
    alice.session.send(null, 'for everyone');
    await waitUntil(() => carol.messages().some((m) => m.text === 'for everyone'), 'carol to read the lobby line');
    assert.deepEqual(
      carol.messages().map((m) => m.text),
      ['for everyone'],
    );
    assert.throws(() => carol.session.send('#dev', 'let me in'), { code: ErrorCode.NOT_IN_ROOM });
  });

  it('rotates the chain when a member parts: they cannot read on, the others can', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    const carol = await join(t, port, 'carol', ids[2]!);
    await inRoom('#dev', alice, bob, carol);
    alice.session.send('#dev', 'before');
    await waitUntil(() => bob.messages().length === 1 && carol.messages().length === 1, 'both to read the first line');
    bob.session.partRoom('#dev');
    await waitUntil(() => alice.session.room('#dev')?.members.length === 2, 'alice to see bob part');
    alice.session.send('#dev', 'after bob left');
    alice.session.send(null, 'marker');
    await waitUntil(() => carol.messages().some((m) => m.text === 'after bob left'), 'carol to read on');
    await waitUntil(() => bob.messages().some((m) => m.text === 'marker'), 'bob to get the marker');
    assert.deepEqual(
      bob.messages().map((m) => m.text),
      ['before', 'marker'],
    );
    assert.equal(
      bob.events.some((e) => e.type === 'error'),
      false,
      'the server sent bob nothing he could not open',
    );
  });

  it('delivers what was said in a room while a member was away, when they come back', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bobState = ClientState.inMemory();
    const bob = await join(t, port, 'bob', ids[1]!, bobState);
    await inRoom('#dev', alice, bob);
    await bob.session.close();
    await waitUntil(() => alice.session.peer('bob')?.online === false, 'alice to see bob away');
    alice.session.send('#dev', 'while you were out');
    await waitUntil(() => alice.events.some((e) => e.type === 'delivery' && (e.payload as { stored: number }).stored === 1), 'the line to be stored for bob');
    const back = await join(t, port, 'bob', ids[1]!, bobState);
    assert.deepEqual(
      back.session.rooms().map((room) => room.name),
      ['#dev'],
    );
    await waitUntil(() => back.messages().some((m) => m.text === 'while you were out'), 'bob to read it on his return');
    assert.equal(back.messages()[0]?.to, '#dev');
  });

  it('keeps a chain per room: lines in two rooms open each in its own', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    await inRoom('#a', alice, bob);
    await inRoom('#b', alice, bob);
    alice.session.send('#a', 'in a');
    alice.session.send('#b', 'in b');
    await waitUntil(() => bob.messages().length === 2, 'bob to read both');
    assert.deepEqual(
      bob.messages().map((m) => [m.to, m.text]),
      [
        ['#a', 'in a'],
        ['#b', 'in b'],
      ],
    );
  });

  it('lists rooms and tells members of topic and mode changes', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    await inRoom('#dev', alice, bob);
    alice.session.setTopic('#dev', 'shipping friday');
    await waitUntil(() => bob.session.room('#dev')?.topic === 'shipping friday', 'bob to see the topic');
    alice.session.setMode('#dev', { inviteOnly: true });
    await waitUntil(() => bob.session.room('#dev')?.inviteOnly === true, 'bob to see the mode');
    bob.session.listRooms();
    await waitUntil(() => bob.events.some((e) => e.type === 'rooms'), 'the listing');
    const listing = bob.events.find((e) => e.type === 'rooms')!.payload;
    assert.deepEqual(listing, [{ name: '#dev', topic: 'shipping friday', members: 2, inviteOnly: true, joined: true }]);
    assert.throws(() => bob.session.joinRoom('#no way'), { code: ErrorCode.ROOM_NAME_INVALID });
  });
});
