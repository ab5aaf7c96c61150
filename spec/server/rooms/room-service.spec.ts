import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import type { Identity } from '../../../src/core/identity.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import { testIdentity } from '../../helpers/identities.js';
import { RawClient } from '../../helpers/raw-client.js';
import { fakeMembers, servicesOverMemory } from '../../helpers/fake-member-link.js';

let alice: Identity;
let bob: Identity;
let carol: Identity;
before(async () => {
  [alice, bob, carol] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

const envelope = (id: string) => ({ id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(24).toString('base64'), sig: 'c2ln' });

async function threeOnOneServer(t: { after: (fn: () => unknown) => void }, limits = {}) {
  const server = new ChatServer({ port: 0, limits });
  const { port } = await server.listen();
  t.after(() => server.close());
  const a = await RawClient.join(port, 'alice', alice);
  const b = await RawClient.join(port, 'bob', bob);
  const c = await RawClient.join(port, 'carol', carol);
  t.after(() => {
    for (const client of [a, b, c]) client.close();
  });
  return { server, port, a, b, c };
}

/** Each client joins the room, in turn, and has the room back. */
async function inRoom(room: string, ...clients: RawClient[]): Promise<void> {
  for (const client of clients) {
    client.send({ type: 'room-join', room });
    await client.next('room');
  }
}

/** Reads room events until one of this kind (the others are the same change told to each member). */
async function kindOf(client: RawClient, kind: string): Promise<void> {
  while ((await client.next('room-event')).kind !== kind) {
    // another event of the same change
  }
}

describe('RoomService (named rooms on one server)', () => {
  it('creates a room on first join with its creator as operator, and tells members who joins and parts', async (t) => {
    const { a, b, c } = await threeOnOneServer(t);
    a.send({ type: 'room-join', room: '#dev' });
    const created = await a.next('room');
    assert.deepEqual(created.room, { name: '#dev', topic: '', inviteOnly: false, members: [{ name: 'alice', op: true }] });
    b.send({ type: 'room-join', room: '#DEV' });
    const joined = await b.next('room');
    assert.equal(joined.room.name, '#dev', 'the name keeps the case it was created with');
    assert.deepEqual(
      joined.room.members.map((m) => m.name),
      ['alice', 'bob'],
    );
    assert.deepEqual(await a.next('room-event'), { type: 'room-event', room: '#dev', kind: 'join', name: 'bob' });
    b.send({ type: 'room-join', room: '#dev' });
    assert.equal((await b.next('room')).room.members.length, 2, 'joining again answers with the room, and tells nobody');
    b.send({ type: 'room-part', room: '#dev' });
    assert.deepEqual(await a.next('room-event'), { type: 'room-event', room: '#dev', kind: 'part', name: 'bob' });
    assert.equal((await b.next('room-event')).kind, 'part', 'the one leaving is told too');
    // carol was never in #dev: a marker she must get first proves she heard none of it.
    c.send({ type: 'list-rooms' });
    const listing = await c.next('rooms');
    assert.deepEqual(listing.rooms, [{ name: '#dev', topic: '', members: 1, inviteOnly: false, joined: false }]);
    assert.equal(
      c.received.some((m) => m.type === 'room-event' || m.type === 'room'),
      false,
    );
  });

  it('delivers a room message to its members only, and refuses one from outside', async (t) => {
    const { a, b, c } = await threeOnOneServer(t);
    await inRoom('#dev', a, b);
    a.send({ type: 'send', to: '#dev', envelope: envelope('in-dev') });
    const ack = await a.next('ack');
    assert.deepEqual(ack.sent, ['bob']);
    const delivered = await b.next('message');
    assert.equal(delivered.to, '#dev');
    c.send({ type: 'send', to: '#dev', envelope: envelope('outsider') });
    const refusal = await c.next('ack');
    assert.deepEqual(refusal.sent, []);
    assert.equal(refusal.refused[0]?.code, ErrorCode.NOT_IN_ROOM);
    // A lobby message after: once it reaches carol, nothing from #dev reached her before it.
    a.send({ type: 'send', to: null, envelope: envelope('lobby') });
    await c.next('message');
    assert.equal(
      c.received.some((m) => m.type === 'message' && m.to === '#dev'),
      false,
    );
  });

  it('stores a room message for a member who is away, and delivers it with its room when they come back', async (t) => {
    const { port, a, b } = await threeOnOneServer(t);
    await inRoom('#dev', a, b);
    b.close();
    await a.nextGone();
    a.send({ type: 'send', to: '#dev', envelope: envelope('while-away') });
    const ack = await a.next('ack');
    assert.deepEqual(ack.stored, ['bob']);
    const back = await RawClient.join(port, 'bob', bob);
    t.after(() => back.close());
    assert.deepEqual(
      back.welcome?.rooms?.map((room) => room.name),
      ['#dev'],
      'the welcome names the rooms one is in',
    );
    const stored = await back.next('message');
    assert.equal(stored.to, '#dev');
    assert.equal(stored.envelope.id, 'while-away');
  });

  it('keeps invite-only rooms closed without an invite, and lets operators kick', async (t) => {
    const { a, b, c } = await threeOnOneServer(t);
    a.send({ type: 'room-join', room: '#ops' });
    await a.next('room');
    a.send({ type: 'room-mode', room: '#ops', inviteOnly: true });
    assert.equal((await a.next('room-event')).kind, 'mode');
    b.send({ type: 'room-join', room: '#ops' });
    assert.equal((await b.next('error')).code, ErrorCode.ROOM_INVITE_ONLY);
    a.send({ type: 'room-invite', room: '#ops', name: 'bob' });
    assert.deepEqual(await b.next('room-event'), { type: 'room-event', room: '#ops', kind: 'invite', name: 'bob', by: 'alice' });
    b.send({ type: 'room-join', room: '#ops' });
    await b.next('room');
    b.send({ type: 'room-kick', room: '#ops', name: 'alice' });
    assert.equal((await b.next('error')).code, ErrorCode.NOT_ROOM_OPERATOR);
    b.send({ type: 'room-invite', room: '#ops', name: 'carol' });
    assert.equal((await b.next('error')).code, ErrorCode.NOT_ROOM_OPERATOR, 'only operators invite to an invite-only room');
    a.send({ type: 'room-kick', room: '#ops', name: 'bob', reason: 'off \u001b[31mtopic ' });
    assert.deepEqual(
      await b.next('room-event'),
      { type: 'room-event', room: '#ops', kind: 'kick', name: 'bob', by: 'alice', reason: 'off topic' },
      'told why, the reason cleaned of control characters',
    );
    b.send({ type: 'room-join', room: '#ops' });
    assert.equal((await b.next('error')).code, ErrorCode.ROOM_INVITE_ONLY, 'an invite is used up by the join');
    c.send({ type: 'room-topic', room: '#ops', topic: 'x' });
    assert.equal((await c.next('error')).code, ErrorCode.NOT_IN_ROOM);
  });

  it('hands the operator role on when the last operator parts, and drops an empty room', async (t) => {
    const { a, b } = await threeOnOneServer(t);
    await inRoom('#dev', a, b);
    a.send({ type: 'room-part', room: '#dev' });
    assert.equal((await b.next('room-event')).kind, 'part');
    assert.deepEqual(await b.next('room-event'), { type: 'room-event', room: '#dev', kind: 'op', name: 'bob' });
    b.send({ type: 'room-topic', room: '#dev', topic: 'ship \u001b[31mit' });
    assert.equal((await b.next('room-event')).topic, 'ship it', 'control characters never reach a terminal');
    b.send({ type: 'room-part', room: '#dev' });
    await b.next('room-event');
    b.send({ type: 'list-rooms' });
    assert.deepEqual((await b.next('rooms')).rooms, []);
  });

  it('takes a released name out of its rooms at the next sweep, so its next owner starts in none', async (t) => {
    const { server, a, b } = await threeOnOneServer(t);
    await inRoom('#dev', a, b);
    assert.equal((await a.next('room-event')).kind, 'join');
    b.close();
    await a.nextGone();
    assert.equal(await server.store!.release('bob'), true);
    await server.sweepExpired();
    assert.deepEqual(await a.next('room-event'), { type: 'room-event', room: '#dev', kind: 'part', name: 'bob' });
  });

  it('voids an invite its giver no longer has the right to give: after +i, or once the inviter is kicked', async (t) => {
    const { a, b, c } = await threeOnOneServer(t);
    await inRoom('#team', a, b);
    // bob, a plain member, invites carol while the room is open; then alice makes it invite-only.
    b.send({ type: 'room-invite', room: '#team', name: 'carol' });
    await kindOf(c, 'invite');
    a.send({ type: 'room-mode', room: '#team', inviteOnly: true });
    await kindOf(b, 'mode');
    c.send({ type: 'room-join', room: '#team' });
    assert.equal((await c.next('error')).code, ErrorCode.ROOM_INVITE_ONLY, "a member's invite does not open a +i room");

    // Open again: bob invites carol, is kicked, and the room closes: his invite went with him.
    a.send({ type: 'room-mode', room: '#team', inviteOnly: false });
    await kindOf(b, 'mode');
    b.send({ type: 'room-invite', room: '#team', name: 'carol' });
    await kindOf(c, 'invite');
    a.send({ type: 'room-kick', room: '#team', name: 'bob' });
    await kindOf(b, 'kick');
    a.send({ type: 'room-mode', room: '#team', inviteOnly: true });
    await kindOf(a, 'mode');
    c.send({ type: 'room-join', room: '#team' });
    assert.equal((await c.next('error')).code, ErrorCode.ROOM_INVITE_ONLY, "a kicked inviter's invite admits nobody");

    // An operator's invite stands.
    a.send({ type: 'room-invite', room: '#team', name: 'carol' });
    await kindOf(c, 'invite');
    c.send({ type: 'room-join', room: '#team' });
    assert.equal((await c.next('room')).room.name, '#team');
  });

  it('shows an invite-only room to its members and invitees alone', async (t) => {
    const { a, b, c } = await threeOnOneServer(t);
    await inRoom('#secret', a);
    a.send({ type: 'room-topic', room: '#secret', topic: 'the merger' });
    await a.next('room-event');
    a.send({ type: 'room-mode', room: '#secret', inviteOnly: true });
    await a.next('room-event');
    await inRoom('#open', a);
    b.send({ type: 'list-rooms' });
    assert.deepEqual(
      (await b.next('rooms')).rooms.map((room) => room.name),
      ['#open'],
      'neither name, topic nor count of #secret reaches an outsider',
    );
    a.send({ type: 'room-invite', room: '#secret', name: 'carol' });
    await c.next('room-event');
    c.send({ type: 'list-rooms' });
    assert.deepEqual(
      (await c.next('rooms')).rooms.map((room) => room.name),
      ['#open', '#secret'],
    );
    a.send({ type: 'list-rooms' });
    assert.equal((await a.next('rooms')).rooms.length, 2);
  });

  it('starts whoever registers a released name in no room, before any sweep', async (t) => {
    const { server, port, a, b } = await threeOnOneServer(t);
    // bob creates #dev (its operator); alice joins.
    await inRoom('#dev', b, a);
    b.close();
    await a.nextGone();
    assert.equal(await server.store!.release('bob'), true);
    // No sweep: the next owner of the name joins at once, under another key.
    const next = await RawClient.join(port, 'bob', await testIdentity(3));
    t.after(() => next.close());
    assert.deepEqual(next.welcome?.rooms, [], "none of the old owner's rooms, nor their operator status");
    const events = [await a.next('room-event'), await a.next('room-event')];
    assert.deepEqual(
      events.map((event) => [event.kind, event.name]),
      [
        ['part', 'bob'],
        ['op', 'alice'],
      ],
    );
  });

  it('lets one address create a handful of rooms a day, so fresh names cannot take every room name', async (t) => {
    const { a, b } = await threeOnOneServer(t, { maxRoomsCreatedPerAddress: 2 });
    await inRoom('#one', a);
    await inRoom('#two', b);
    a.send({ type: 'room-join', room: '#three' });
    const refused = await a.next('error');
    assert.equal(refused.code, ErrorCode.ROOM_LIMIT);
    assert.match(refused.message, /most new rooms a day/);
    // Joining a room that exists is not creating one.
    b.send({ type: 'room-join', room: '#one' });
    assert.equal((await b.next('room')).room.name, '#one');
  });

  it('refuses bad names and counts past the flags, with the connection kept', async (t) => {
    const { a, b } = await threeOnOneServer(t, { maxRoomsPerUser: 1, maxRoomMembers: 1 });
    a.send({ type: 'room-join', room: '#one' });
    await a.next('room');
    a.send({ type: 'room-join', room: '#two' });
    assert.equal((await a.next('error')).code, ErrorCode.ROOM_LIMIT);
    b.send({ type: 'room-join', room: '#one' });
    assert.equal((await b.next('error')).code, ErrorCode.ROOM_LIMIT);
    // A bad room name is a malformed message: the codec refuses it, and the server closes that one connection.
    b.sendBytes(Buffer.concat([Buffer.from([0, 0, 0, 40, 1]), Buffer.from('{"type":"room-join","room":"#no spaces"}')]));
    assert.equal((await b.next('error')).code, ErrorCode.INVALID_MESSAGE);
    a.send({ type: 'room-join', room: '#room' });
    await b.waitClosed();
    assert.equal((await a.next('error')).code, ErrorCode.INVALID_MESSAGE, '#room is the lobby: no named room takes it');
  });
});

describe('RoomService without sockets (members as MemberLinks)', () => {
  it('tells members who joins and who was kicked, and a room line reaches its members only', async () => {
    const { registry, links } = fakeMembers('alice', 'bob', 'carol');
    const { rooms, router } = servicesOverMemory(registry);
    const [a, b, c] = ['alice', 'bob', 'carol'].map((name) => links.get(name)!);
    await rooms.handle(a!, { type: 'room-join', room: '#dev' });
    await rooms.handle(b!, { type: 'room-join', room: '#dev' });
    assert.deepEqual(
      a!.of('room-event').map((event) => [event.kind, event.name]),
      [['join', 'bob']],
      'alice hears bob join',
    );
    assert.deepEqual(
      b!
        .of('room')
        .at(-1)
        ?.room.members.map((member) => [member.name, member.op === true]),
      [
        ['alice', true],
        ['bob', false],
      ],
      'bob gets the room, alice its operator',
    );
    router.route(a!, { type: 'send', to: '#dev', envelope: envelope('in-dev') });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(
      b!.of('message').map((m) => m.envelope.id),
      ['in-dev'],
    );
    assert.deepEqual(c!.of('message'), [], 'carol is in no room');
    await rooms.handle(a!, { type: 'room-kick', room: '#dev', name: 'bob', reason: 'spec' });
    assert.deepEqual(
      b!.of('room-event').map((event) => [event.kind, event.name, event.by]),
      [['kick', 'bob', 'alice']],
      'bob is told he was kicked, and by whom',
    );
    await assert.rejects(rooms.handle(c!, { type: 'room-kick', room: '#dev', name: 'alice' }), (error: { code?: string }) => error.code !== undefined);
  });
});
