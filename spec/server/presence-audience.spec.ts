import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { PresenceAudience, type PresenceListener } from '../../src/server/presence-audience.js';
import type { ServerLimits } from '../../src/server/server-limits.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';

class Listener implements PresenceListener {
  readonly frames: string[] = [];
  sendFrame(frame: Buffer): void {
    this.frames.push(frame.toString());
  }
}

describe('PresenceAudience', () => {
  const limits = { fullPresenceMaxUsers: 2, maxFollowed: 2 };

  it('tells everyone of everyone up to the limit, then only followers', () => {
    const audience = new PresenceAudience<Listener>(() => limits);
    const [a, b, c] = [new Listener(), new Listener(), new Listener()];
    assert.equal(audience.admit(a, 1), true);
    assert.equal(audience.admit(b, 2), true);
    assert.equal(audience.admit(c, 3), false, 'past the user limit');
    audience.announce(Buffer.from('carol joined'), 'carol', c);
    assert.deepEqual([a.frames, b.frames, c.frames], [['carol joined'], ['carol joined'], []]);
    audience.announce(Buffer.from('alice away'), 'Alice', a);
    assert.deepEqual(c.frames, [], 'c follows nobody yet');
    audience.follow(c, ['alice']);
    audience.announce(Buffer.from('alice back'), 'ALICE', a);
    assert.deepEqual(c.frames, ['alice back'], 'followed by name, any case');
  });

  it('never tells more connections of everyone than the limit, even while the server stays small', () => {
    const audience = new PresenceAudience<Listener>(() => limits);
    const listeners = [new Listener(), new Listener(), new Listener()];
    assert.deepEqual(
      listeners.map((listener) => audience.admit(listener, 1)),
      [true, true, false],
    );
    audience.forget(listeners[0]!);
    assert.equal(audience.admit(new Listener(), 1), true, 'a place is free again once one closed');
  });

  it('lets the longest-followed go past maxFollowed, and forgets a closed connection', () => {
    const audience = new PresenceAudience<Listener>(() => ({ fullPresenceMaxUsers: 0, maxFollowed: 2 }));
    const c = new Listener();
    audience.admit(c, 1);
    audience.follow(c, ['a', 'b', 'c']);
    assert.equal(audience.followedBy(c), 2);
    audience.announce(Buffer.from('a'), 'a');
    audience.announce(Buffer.from('c'), 'c');
    assert.deepEqual(c.frames, ['c'], 'a, followed first, was let go');
    audience.forget(c);
    audience.announce(Buffer.from('c again'), 'c');
    assert.deepEqual(c.frames, ['c']);
    assert.equal(audience.followedBy(c), 0);
  });
});

let alice: Identity;
let bob: Identity;
let carol: Identity;
let dave: Identity;

before(async () => {
  [alice, bob, carol, dave] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2), testIdentity(3)]);
});

async function startServer(t: TestContext, limits: Partial<ServerLimits>): Promise<number> {
  const server = new ChatServer({ port: 0, limits });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

describe('ChatServer presence past --full-presence-max-users', () => {
  it('welcomes the first users with everyone, later ones with themselves and a census', async (t) => {
    const port = await startServer(t, { fullPresenceMaxUsers: 2 });
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    assert.equal(b.welcome?.presence, 'everyone');
    assert.deepEqual(
      b.welcome?.peers.map((p) => p.name),
      ['alice', 'bob'],
    );
    const c = await RawClient.join(port, 'carol', carol);
    assert.equal(c.welcome?.presence, 'followed');
    assert.deepEqual(
      c.welcome?.peers.map((p) => p.name),
      ['carol'],
      'only herself: the rest are counted',
    );
    assert.deepEqual(c.welcome?.census, { online: 3, registered: 3 });
    // alice and bob were told of everyone, and still are.
    assert.equal((await a.next('join')).peer.name, 'bob');
    assert.equal((await a.next('join')).peer.name, 'carol');
    assert.equal((await b.next('join')).peer.name, 'carol');
    for (const client of [a, b, c]) client.close();
  });

  it('tells a later connection of those it follows only, and lists them when it follows', async (t) => {
    const port = await startServer(t, { fullPresenceMaxUsers: 0 });
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    b.send({ type: 'follow', names: ['alice', 'nobody'] });
    const followed = await b.next('followed');
    assert.deepEqual(
      followed.peers.map((p) => [p.name, p.fingerprint, p.online !== false, p.publicKey]),
      [['alice', alice.fingerprint, true, undefined]],
      'presence only: keys come on request',
    );
    assert.deepEqual(followed.unknown, ['nobody']);
    const c = await RawClient.join(port, 'carol', carol);
    a.send({ type: 'away', message: 'lunch' });
    // The marker: alice's away reaches bob, who follows her; carol's join, which he does not, came nowhere before it.
    assert.equal((await b.next('away')).message, 'lunch');
    assert.equal(
      b.received.some((m) => m.type === 'join'),
      false,
      'carol joined unannounced to bob',
    );
    assert.equal((await a.next('away')).message, 'lunch', 'the owner hears its own away');
    a.close();
    assert.equal((await b.nextGone()).name, 'alice', 'alice going away is told to her follower');
    c.close();
    b.close();
  });

  it('has a connection follow its room-mates from its welcome on', async (t) => {
    const port = await startServer(t, { fullPresenceMaxUsers: 0 });
    const a = await RawClient.join(port, 'alice', alice);
    a.send({ type: 'room-join', room: '#ops' });
    await a.next('room');
    const d = await RawClient.join(port, 'dave', dave);
    d.send({ type: 'room-join', room: '#ops' });
    await d.next('room');
    a.close();
    await d.nextGone();
    const again = await RawClient.join(port, 'alice', alice);
    assert.deepEqual(again.welcome?.peers.map((p) => p.name).sort(), ['alice', 'dave'], 'her room-mate is listed');
    d.close();
    assert.equal((await again.nextGone()).name, 'dave', 'and followed: his leaving is told to her');
    again.close();
  });
});
