// Store-and-forward on a real server over real sockets (protocol v4): registered users who are
// away get what was sent to them when they are back, in order; every recipient's fate reaches the
// sender (sent, stored, delivered, expired, refused and why); a full or failing store refuses only
// what it cannot keep, and live chat goes on.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import type { ServerLimits } from '../../src/server/server-limits.js';
import { type Key, type KeyValue, MemoryKeyValue } from '../../src/server/store/key-value.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';
import { fakeMembers, joinFake, servicesOverMemory } from '../helpers/fake-member-link.js';

let alice: Identity;
let bob: Identity;
let carol: Identity;

before(async () => {
  [alice, bob, carol] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

async function startServer(t: TestContext, limits: Partial<ServerLimits> = {}, keyValue?: KeyValue): Promise<{ server: ChatServer; port: number }> {
  const server = new ChatServer({ port: 0, limits, ...(keyValue === undefined ? {} : { keyValue }) });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port };
}

/** Server envelopes need no real crypto: the server cannot read them. */
function envelope(id: string) {
  return { id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'Y2lwaGVydGV4dA==', sig: 'c2ln' };
}

/** alice online, bob registered and gone away. */
async function aliceWithBobAway(t: TestContext, port: number): Promise<RawClient> {
  const a = await RawClient.join(port, 'alice', alice);
  t.after(() => a.close());
  const b = await RawClient.join(port, 'bob', bob);
  b.close();
  assert.equal((await a.nextGone()).name, 'bob');
  return a;
}

/** A disk that fails every write with ENOSPC once `failing` is set. */
class FullDisk extends MemoryKeyValue {
  failing = false;
  override async put(key: Key, value: unknown): Promise<void> {
    if (this.failing && key[0] === 'm') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return super.put(key, value);
  }
}

describe('store-and-forward', () => {
  it('keeps what is sent to a registered user who is away and delivers it, in order, when they are back', async (t) => {
    const { port } = await startServer(t);
    const a = await aliceWithBobAway(t, port);
    assert.equal(a.welcome?.peers.length, 1);
    a.send({ type: 'send', to: 'bob', envelope: envelope('dm-away') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
    a.send({ type: 'send', to: null, envelope: envelope('room-away') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);

    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    const first = await b.next('message');
    const second = await b.next('message');
    assert.deepEqual([first.envelope.id, first.stored, second.envelope.id, second.stored], ['dm-away', true, 'room-away', true]);
    b.send({ type: 'received', ids: ['dm-away', 'room-away'] });
    const receipts = await a.next('receipts');
    assert.deepEqual(
      receipts.receipts.map((r) => [r.id, r.name, r.state]),
      [
        ['dm-away', 'bob', 'delivered'],
        ['room-away', 'bob', 'delivered'],
      ],
    );
  });

  it('lists registered users who are away, and refuses their name to another key until the operator releases it', async (t) => {
    const { server, port } = await startServer(t);
    const a = await aliceWithBobAway(t, port);
    const welcomeOfCarol = await RawClient.join(port, 'carol', carol);
    t.after(() => welcomeOfCarol.close());
    assert.deepEqual(welcomeOfCarol.welcome?.peers.map((p) => [p.name, p.online !== false]).sort(), [
      ['alice', true],
      ['bob', false],
      ['carol', true],
    ]);
    const impostor = await RawClient.open(port);
    t.after(() => impostor.close());
    impostor.send((await import('../../src/core/prekey.js')).buildHello(carol, 'bob', (await import('../../src/core/double-ratchet.js')).generateX25519()));
    const refusal = await impostor.next('error');
    assert.equal(refusal.code, ErrorCode.NAME_TAKEN);
    assert.match(refusal.message, /not available to your key/);
    a.send({ type: 'send', to: 'bob', envelope: envelope('waiting-for-bob') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
    assert.equal(await server.store!.release('bob'), true);
    a.send({ type: 'send', to: 'bob', envelope: envelope('after-release') });
    assert.equal((await a.next('ack')).refused[0]?.code, ErrorCode.NO_SUCH_PEER);
    // What waited for bob is gone; alice hears of it when she next connects.
    a.close();
    await waitUntil(() => !server.peerNames.includes('alice'), 'alice to be gone');
    const again = await RawClient.join(port, 'alice', alice);
    t.after(() => again.close());
    const news = await again.next('receipts');
    assert.deepEqual(
      news.receipts.map((r) => [r.id, r.name, r.state]),
      [['waiting-for-bob', 'bob', 'refused']],
    );
    assert.match(news.receipts[0]!.reason ?? '', /released/);
  });

  it('moves a name to a new key on a retirement statement signed by the registered key, and only then', async (t) => {
    const { port } = await startServer(t);
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    const first = await RawClient.join(port, 'alice', alice);
    first.close();
    assert.equal((await b.nextGone()).name, 'alice');
    const { retireKey } = await import('../../src/core/key-retirement.js');
    const { buildHello } = await import('../../src/core/prekey.js');
    const { generateX25519 } = await import('../../src/core/double-ratchet.js');

    // A statement from some other key does not move alice's name.
    const stranger = await RawClient.open(port);
    t.after(() => stranger.close());
    stranger.send(buildHello(carol, 'alice', generateX25519(), [retireKey(bob, carol)]));
    assert.equal((await stranger.next('error')).code, ErrorCode.NAME_TAKEN);
    // A forged one ends the connection.
    const forger = await RawClient.open(port);
    t.after(() => forger.close());
    forger.send(buildHello(carol, 'alice', generateX25519(), [{ ...retireKey(alice, carol), oldSignature: retireKey(bob, carol).oldSignature }]));
    const forged = await forger.next('error');
    assert.equal(forged.code, ErrorCode.INVALID_MESSAGE);
    assert.equal(forged.fatal, true);
    // alice's own statement does.
    const rotated = await RawClient.join(port, 'alice', carol, { retirement: retireKey(alice, carol) });
    t.after(() => rotated.close());
    assert.equal(rotated.welcome?.name, 'alice');
  });

  it('moves a name across two rotations the server never saw, on the chain of statements', async (t) => {
    const { port } = await startServer(t);
    const first = await RawClient.join(port, 'alice', alice);
    first.close();
    const { retireKey } = await import('../../src/core/key-retirement.js');
    const { buildHello } = await import('../../src/core/prekey.js');
    const { generateX25519 } = await import('../../src/core/double-ratchet.js');
    const dave = await testIdentity(3);
    // The last statement alone (carol -> dave) does not lead from alice's registered key.
    const lastOnly = await RawClient.open(port);
    t.after(() => lastOnly.close());
    lastOnly.send(buildHello(dave, 'alice', generateX25519(), [retireKey(carol, dave)]));
    assert.equal((await lastOnly.next('error')).code, ErrorCode.NAME_TAKEN);
    // alice -> carol -> dave does.
    const rotated = await RawClient.join(port, 'alice', dave, { retirements: [retireKey(alice, carol), retireKey(carol, dave)] });
    t.after(() => rotated.close());
    assert.equal(rotated.welcome?.name, 'alice');
  });

  it('leaves out the room members the sender excepts (their key changed): not sent, not stored', async (t) => {
    const { port } = await startServer(t);
    const a = await aliceWithBobAway(t, port);
    const c = await RawClient.join(port, 'carol', carol);
    t.after(() => c.close());
    a.send({ type: 'send', to: null, envelope: envelope('not-for-bob'), except: ['BOB'] });
    const ack = await a.next('ack');
    assert.deepEqual([ack.sent, ack.stored, ack.refused], [['carol'], [], []]);
    assert.equal((await c.next('message')).envelope.id, 'not-for-bob');
    const back = await RawClient.join(port, 'bob', bob);
    t.after(() => back.close());
    a.send({ type: 'send', to: 'bob', envelope: envelope('marker') });
    assert.equal((await back.next('message')).envelope.id, 'marker', 'nothing was stored for bob before the marker');
  });

  it('tells the sender a recipient could not open a message, instead of "delivered"', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    a.send({ type: 'send', to: null, envelope: envelope('read') });
    a.send({ type: 'send', to: null, envelope: envelope('unread') });
    await b.next('message');
    await b.next('message');
    b.send({ type: 'received', ids: ['read', 'unread'], unreadable: ['unread'] });
    const receipts = await a.next('receipts');
    assert.deepEqual(
      receipts.receipts.map((r) => [r.id, r.state]),
      [
        ['read', 'delivered'],
        ['unread', 'refused'],
      ],
    );
    assert.match(receipts.receipts[1]!.reason ?? '', /could not open it/);
  });

  it('takes confirmations to many senders in one `received-batch`, each sender told of its own', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const c = await RawClient.join(port, 'carol', carol);
    t.after(() => c.close());
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    assert.deepEqual(b.welcome?.limits.maxBatchReceived, 64, 'announced');
    a.send({ type: 'send', to: 'bob', envelope: envelope('from-alice') });
    c.send({ type: 'send', to: 'bob', envelope: envelope('from-carol') });
    await b.next('message');
    await b.next('message');
    b.send({
      type: 'received-batch',
      received: [
        { type: 'received', ids: ['from-alice'], from: 'alice' },
        { type: 'received', ids: ['from-carol'], from: 'carol', unreadable: ['from-carol'] },
      ],
    });
    assert.deepEqual(
      (await a.next('receipts')).receipts.map((r) => [r.id, r.name, r.state]),
      [['from-alice', 'bob', 'delivered']],
    );
    assert.deepEqual(
      (await c.next('receipts')).receipts.map((r) => [r.id, r.name, r.state]),
      [['from-carol', 'bob', 'refused']],
    );
  });

  it('announces users without their keys, and hands the keys out on request (online or away)', async (t) => {
    const { port } = await startServer(t);
    const a = await aliceWithBobAway(t, port);
    const c = await RawClient.join(port, 'carol', carol);
    t.after(() => c.close());
    for (const peer of c.welcome!.peers) {
      assert.equal(peer.publicKey, undefined, 'presence carries no key');
      assert.equal(peer.prekey, undefined);
      assert.match(peer.keyId ?? '', /^[A-Za-z0-9_-]{16}$/);
    }
    let joined = await a.next('join');
    while (joined.peer.name !== 'carol') joined = await a.next('join'); // bob's own join came first
    assert.equal(joined.peer.publicKey, undefined);
    c.send({ type: 'keys', names: ['alice', 'BOB', 'nobody'] });
    const { bundles } = await c.next('key-bundles');
    assert.deepEqual(
      bundles.map((b) => [b.name, b.publicKey === alice.publicKeyBase64 || b.publicKey === bob.publicKeyBase64, b.online !== false]),
      [
        ['alice', true, true],
        ['bob', true, false],
      ],
    );
    assert.equal(bundles[0]!.keyId, c.welcome!.peers.find((p) => p.name === 'alice')!.keyId, 'the bundle is the version presence named');
  });

  it('refuses past the per-user bound, naming the recipient and why, while the others still get it', async (t) => {
    const { port } = await startServer(t, { maxStoredPerUser: 1 });
    const a = await aliceWithBobAway(t, port);
    const c = await RawClient.join(port, 'carol', carol);
    t.after(() => c.close());
    a.send({ type: 'send', to: null, envelope: envelope('fits') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
    a.send({ type: 'send', to: null, envelope: envelope('too-many') });
    const ack = await a.next('ack');
    assert.deepEqual(ack.sent, ['carol']);
    assert.deepEqual(
      ack.refused.map((r) => [r.name, r.code]),
      [['bob', ErrorCode.STORE_FULL]],
    );
    assert.match(ack.refused[0]!.reason, /waiting already/);
    assert.equal((await c.next('message')).envelope.id, 'fits');
    assert.equal((await c.next('message')).envelope.id, 'too-many');
  });

  it('refuses past the total bound too', async (t) => {
    const { port } = await startServer(t, { maxStoreBytes: 200 });
    const a = await aliceWithBobAway(t, port);
    a.send({ type: 'send', to: 'bob', envelope: envelope('one') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
    a.send({ type: 'send', to: 'bob', envelope: envelope('two') });
    assert.equal((await a.next('ack')).refused[0]?.code, ErrorCode.STORE_FULL);
  });

  it('says which message a failed write (ENOSPC) did not keep, and live chat goes on', async (t) => {
    const disk = new FullDisk();
    const { port } = await startServer(t, {}, disk);
    const a = await aliceWithBobAway(t, port);
    const c = await RawClient.join(port, 'carol', carol);
    t.after(() => c.close());
    disk.failing = true;
    a.send({ type: 'send', to: null, envelope: envelope('disk-full') });
    const ack = await a.next('ack');
    assert.deepEqual(ack.sent, ['carol']);
    assert.equal(ack.refused[0]?.name, 'bob');
    assert.equal(ack.refused[0]?.code, ErrorCode.STORE_FAILED);
    assert.match(ack.refused[0]!.reason, /ENOSPC/);
    assert.equal((await c.next('message')).envelope.id, 'disk-full');
  });

  it('expires what waited too long and tells the sender, now or when it is back', async (t) => {
    const { server, port } = await startServer(t, { retentionMs: 1 });
    const a = await aliceWithBobAway(t, port);
    const c = await RawClient.join(port, 'carol', carol);
    t.after(() => c.close());
    a.send({ type: 'send', to: 'bob', envelope: envelope('told-now') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
    await server.sweepExpired();
    const now = await a.next('receipts');
    assert.deepEqual(
      now.receipts.map((r) => [r.id, r.name, r.state]),
      [['told-now', 'bob', 'expired']],
    );

    a.send({ type: 'send', to: 'bob', envelope: envelope('told-later') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
    a.close();
    assert.equal((await c.nextGone()).name, 'alice');
    await server.sweepExpired();
    const back = await RawClient.join(port, 'alice', alice);
    t.after(() => back.close());
    const later = await back.next('receipts');
    assert.deepEqual(
      later.receipts.map((r) => [r.id, r.name, r.state]),
      [['told-later', 'bob', 'expired']],
    );
  });

  it('stores what a recipient was sent live but never confirmed before it went, and tells the sender', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const b = await RawClient.join(port, 'bob', bob);
    a.send({ type: 'send', to: 'bob', envelope: envelope('unconfirmed') });
    await b.next('message');
    assert.deepEqual((await a.next('ack')).sent, ['bob']);
    b.close();
    const receipts = await a.next('receipts');
    assert.deepEqual(
      receipts.receipts.map((r) => [r.id, r.name, r.state]),
      [['unconfirmed', 'bob', 'stored']],
    );
    const again = await RawClient.join(port, 'bob', bob);
    t.after(() => again.close());
    const redelivered = await again.next('message');
    assert.equal(redelivered.envelope.id, 'unconfirmed');
    assert.equal(redelivered.stored, true);
  });

  it("keeps each sender's message when another reuses its id: a copy never replaces, confirms or marks it", async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const m = await RawClient.join(port, 'mallory', carol);
    t.after(() => m.close());
    const b = await RawClient.join(port, 'bob', bob);
    a.send({ type: 'send', to: 'bob', envelope: envelope('shared-id') });
    assert.deepEqual((await a.next('ack')).sent, ['bob']);
    // mallory saw the id (room members see each other's ids) and sends her own copy under it.
    m.send({ type: 'send', to: 'bob', envelope: envelope('shared-id') });
    assert.deepEqual((await m.next('ack')).sent, ['bob']);
    assert.equal((await b.next('message')).from, 'alice');
    assert.equal((await b.next('message')).from, 'mallory');
    b.close();
    // bob left before confirming either: both are stored, and each sender is told of its own.
    assert.deepEqual(
      (await a.next('receipts')).receipts.map((r) => [r.id, r.name, r.state]),
      [['shared-id', 'bob', 'stored']],
    );
    const back = await RawClient.join(port, 'bob', bob);
    t.after(() => back.close());
    const senders = [(await back.next('message')).from, (await back.next('message')).from].sort();
    assert.deepEqual(senders, ['alice', 'mallory']);
    // bob could not open mallory's copy: saying so names her, and alice's message is still "delivered".
    back.send({ type: 'received', ids: ['shared-id'], unreadable: ['shared-id'], from: 'mallory' });
    back.send({ type: 'received', ids: ['shared-id'], from: 'alice' });
    const news = await a.next('receipts');
    assert.deepEqual(
      news.receipts.map((r) => [r.id, r.name, r.state]),
      [['shared-id', 'bob', 'delivered']],
    );
  });

  it("keeps a stranger from filling an away user's mailbox: past its share it is refused, and an honest DM still gets in", async (t) => {
    const { port } = await startServer(t);
    const a = await aliceWithBobAway(t, port);
    const m = await RawClient.join(port, 'mallory', carol);
    t.after(() => m.close());
    for (let i = 0; i < 60; i++) m.send({ type: 'send', to: 'bob', envelope: envelope(`junk${i}`) });
    const acks = [];
    for (let i = 0; i < 60; i++) acks.push(await m.next('ack'));
    assert.equal(acks.filter((ack) => ack.stored.includes('bob')).length, 50, 'a stranger keeps 50 for one user');
    // A refusal needs no write, so its ack may overtake the acks of stores before it.
    const refusal = acks.flatMap((ack) => ack.refused)[0]!;
    assert.equal(refusal.code, ErrorCode.STORE_FULL);
    assert.match(refusal.reason, /has not written to/);
    a.send({ type: 'send', to: 'bob', envelope: envelope('honest') });
    assert.deepEqual((await a.next('ack')).stored, ['bob']);
  });

  it('stores a lobby message once for 200 away users, so fan-out does not multiply an upload', async (t) => {
    const { server, port } = await startServer(t);
    for (let i = 0; i < 200; i++) {
      await server.store!.register({
        name: `away${i}`,
        publicKey: bob.publicKeyBase64,
        fingerprint: `f${i}`,
        prekey: 'AAAA',
        prekeySig: 'c2ln',
        registeredAt: Date.now(),
        lastSeenAt: Date.now(),
      });
    }
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const big = { ...envelope('big'), ct: Buffer.alloc(20_000, 1).toString('base64') };
    a.send({ type: 'send', to: null, envelope: big });
    assert.equal((await a.next('ack')).stored.length, 200);
    const bytes = JSON.stringify(big).length;
    const stats = server.store!.stats;
    assert.ok(stats.bytes < 2 * bytes, `${stats.bytes} bytes kept for one ${bytes}-byte message to 200 (once: not ${200 * bytes})`);
  });

  it('keeps the lobby live only on a big server: away users are not its recipients there, named rooms keep theirs', async (t) => {
    const { server, port } = await startServer(t, { fullPresenceMaxUsers: 0 });
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const b = await RawClient.join(port, 'bob', bob);
    b.close();
    // A big server tells alice nothing of bob's going (she does not follow him).
    await waitUntil(() => !server.peerNames.includes('bob'), 'bob to be away');
    a.send({ type: 'send', to: null, envelope: envelope('lobby-live') });
    const ack = await a.next('ack');
    assert.deepEqual([ack.sent, ack.stored, ack.refused], [[], [], []], 'bob, away, is no recipient of the big lobby');
    assert.equal(server.store!.stats.messages, 0);
    a.send({ type: 'send', to: 'bob', envelope: envelope('dm-kept') });
    assert.deepEqual((await a.next('ack')).stored, ['bob'], 'DMs are kept as ever');
  });
});

describe('StoreAndForward without sockets (members as MemberLinks)', () => {
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("stores what a member's link was sent and never confirmed when it closes, and hands it over when the member is back", async () => {
    const { registry, links } = fakeMembers('alice', 'bob');
    const { router, forward, store } = servicesOverMemory(registry);
    const now = Date.now();
    await store!.register({ name: 'bob', publicKey: 'key-bob', fingerprint: 'fp-1', prekey: 'AAAA', prekeySig: 'c2ln', registeredAt: now, lastSeenAt: now });
    const alice = links.get('alice')!;
    const bob = links.get('bob')!;
    await forward.joined(bob);
    router.route(alice, { type: 'send', to: 'bob', envelope: envelope('unconfirmed') });
    await settle();
    assert.deepEqual(alice.of('ack')[0]?.sent, ['bob'], 'sent live');
    bob.isOpen = false;
    registry.remove('bob');
    forward.closed(bob);
    while (alice.of('receipts').length === 0) await settle();
    assert.deepEqual(
      alice.of('receipts')[0]!.receipts.map((r) => [r.id, r.name, r.state]),
      [['unconfirmed', 'bob', 'stored']],
    );

    const back = joinFake(registry, 'bob', 1);
    await forward.joined(back);
    assert.deepEqual(
      back.of('message').map((m) => [m.envelope.id, m.stored]),
      [['unconfirmed', true]],
      'handed over as stored',
    );
    forward.received(back, ['unconfirmed'], [], 'alice');
    while (alice.of('receipts').length < 2) await settle();
    assert.deepEqual(
      alice.of('receipts')[1]!.receipts.map((r) => [r.id, r.state]),
      [['unconfirmed', 'delivered']],
    );
    assert.deepEqual(store!.waiting('bob'), [], 'and forgotten');
  });
});
