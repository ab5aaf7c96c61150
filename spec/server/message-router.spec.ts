import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Identity } from '../../src/core/identity.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { SendMessage } from '../../src/core/messages.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { fakeMembers, servicesOverMemory } from '../helpers/fake-member-link.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';

let alice: Identity;
let bob: Identity;
before(async () => {
  [alice, bob] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

const envelope = (id: string) => ({ id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(24).toString('base64'), sig: 'c2ln' });

describe('MessageRouter', () => {
  it('matches the key table to members regardless of case, for delivery and for the ack alike', async (t) => {
    const server = new ChatServer({ port: 0 });
    const { port } = await server.listen();
    t.after(() => server.close());
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    a.send({ type: 'send', to: null, envelope: envelope('upper') });
    const ack = await a.next('ack');
    assert.deepEqual(ack.sent, ['bob'], 'bob is reached once, however his name is spelled');
    assert.equal((await b.next('message')).envelope.id, 'upper');
    a.close();
    b.close();
  });
});

describe('MessageRouter without sockets (members as MemberLinks)', () => {
  const services = servicesOverMemory;
  const send = (to: string | null, id: string): SendMessage => ({ type: 'send', to, envelope: envelope(id) });
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('hands a DM to its recipient and acks the sender; a lobby line reaches everyone but its sender', async () => {
    const { registry, links } = fakeMembers('alice', 'bob', 'carol');
    const { router } = services(registry);
    const alice = links.get('alice')!;
    router.route(alice, send('BOB', 'dm-1'));
    router.route(alice, send(null, 'lobby-1'));
    await settle();
    assert.deepEqual(
      links
        .get('bob')!
        .of('message')
        .map((m) => [m.from, m.to, m.envelope.id]),
      [
        ['alice', 'BOB', 'dm-1'],
        ['alice', null, 'lobby-1'],
      ],
    );
    assert.deepEqual(
      links
        .get('carol')!
        .of('message')
        .map((m) => m.envelope.id),
      ['lobby-1'],
    );
    assert.deepEqual(
      alice.of('ack').map((ack) => [ack.id, ack.sent]),
      [
        ['dm-1', ['bob']],
        ['lobby-1', ['bob', 'carol']],
      ],
    );
    assert.deepEqual(alice.of('message'), [], 'the sender is not sent its own line');
  });

  it('keeps a DM for a registered member whose link is too slow to take it, and tells the sender "stored"', async () => {
    const { registry, links } = fakeMembers('alice', 'bob');
    const { router, store } = services(registry);
    const now = Date.now();
    await store!.register({ name: 'bob', publicKey: 'key-bob', fingerprint: 'fp-1', prekey: 'AAAA', prekeySig: 'c2ln', registeredAt: now, lastSeenAt: now });
    links.get('bob')!.slow = true;
    router.route(links.get('alice')!, send('bob', 'to-slow-bob'));
    while (links.get('alice')!.of('ack').length === 0) await settle();
    const [ack] = links.get('alice')!.of('ack');
    assert.deepEqual([ack!.sent, ack!.stored], [[], ['bob']]);
    assert.deepEqual(
      store!.waiting('bob').map((waiting) => waiting.envelope.id),
      ['to-slow-bob'],
    );
  });

  it('refuses, in the ack, a DM to nobody and a room line from a non-member; a bad name is an error', async () => {
    const { registry, links } = fakeMembers('alice', 'bob');
    const { router } = services(registry);
    const alice = links.get('alice')!;
    router.route(alice, send('nobody', 'to-nobody'));
    router.route(alice, send('#ops', 'to-ops'));
    router.route(alice, send('not a name', 'bad'));
    await settle();
    assert.deepEqual(
      alice.of('ack').map((ack) => [ack.id, ack.refused.map((r) => [r.name, r.code])]),
      [
        ['to-nobody', [['nobody', ErrorCode.NO_SUCH_PEER]]],
        ['to-ops', [['alice', ErrorCode.NOT_IN_ROOM]]],
      ],
    );
    assert.deepEqual(alice.rejected, [{ code: ErrorCode.NO_SUCH_PEER, fatal: false, ref: 'bad' }]);
    assert.deepEqual(links.get('bob')!.received, [], 'bob was sent nothing');
  });
});
