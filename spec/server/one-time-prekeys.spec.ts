// The server's side of the key directory (protocol v4): one-time prekeys kept per user (bounded),
// handed out once, one per fetched bundle, never to their owner; the owner is asked for more when
// few are left, and one no session could start from is never handed out.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { signPrekey } from '../../src/core/prekey.js';
import type { Identity } from '../../src/core/identity.js';
import { ONE_TIME_PREKEYS_LOW, type OneTimePrekey } from '../../src/core/messages.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { ChatSession } from '../../src/client/chat-session.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';

let alice: Identity;
let bob: Identity;

before(async () => {
  [alice, bob] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

async function startServer(t: TestContext, maxOneTimePrekeys = 100): Promise<{ server: ChatServer; port: number }> {
  const server = new ChatServer({ port: 0, limits: { maxOneTimePrekeys } });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port };
}

function oneTimePrekeys(count: number, prefix = 'k'): OneTimePrekey[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, key: generateX25519().publicRaw.toString('base64') }));
}

async function bundleOf(client: RawClient, name: string) {
  client.send({ type: 'keys', names: [name] });
  return (await client.next('key-bundles')).bundles[0]!;
}

describe('one-time prekeys', () => {
  it('hands each out once, one per bundle, never to their owner, and keeps them for a user who is away', async (t) => {
    const { server, port } = await startServer(t);
    const b = await RawClient.join(port, 'bob', bob);
    assert.equal(b.welcome?.oneTimePrekeys, 0);
    b.send({ type: 'prekeys', oneTime: oneTimePrekeys(3) });
    await waitUntil(() => server.store!.oneTimePrekeyCount('bob') === 3, 'the three kept');
    assert.equal((await bundleOf(b, 'bob')).oneTimePrekey, undefined, 'not to their owner');
    b.close();
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const handed = [];
    for (let i = 0; i < 4; i++) handed.push((await bundleOf(a, 'bob')).oneTimePrekey?.id);
    assert.deepEqual(handed, ['k0', 'k1', 'k2', undefined], 'each once; then the signed prekey alone');
    const back = await RawClient.join(port, 'bob', bob);
    t.after(() => back.close());
    assert.equal(back.welcome?.oneTimePrekeys, 0, 'the owner learns at join how many are left');
  });

  it('keeps at most the limit, refuses low-order keys, and asks the owner for more when few are left', async (t) => {
    const { server, port } = await startServer(t, ONE_TIME_PREKEYS_LOW + 2);
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    const lowOrder = { id: 'zero', key: Buffer.alloc(32).toString('base64') };
    b.send({ type: 'prekeys', oneTime: [lowOrder, ...oneTimePrekeys(ONE_TIME_PREKEYS_LOW + 10)] });
    await waitUntil(() => server.store!.oneTimePrekeyCount('bob') === ONE_TIME_PREKEYS_LOW + 2, 'the pool filled to its limit');
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    assert.equal((await bundleOf(a, 'bob')).oneTimePrekey?.id, 'k0', 'the low-order one was never kept');
    assert.equal(
      b.received.some((m) => m.type === 'prekey-pool'),
      false,
      'still plenty',
    );
    await bundleOf(a, 'bob');
    assert.deepEqual(await b.next('prekey-pool'), { type: 'prekey-pool', oneTime: ONE_TIME_PREKEYS_LOW });
  });

  it('asks once per burst for more: a burst of fetches never makes the owner drop keys the server hands out', async (t) => {
    // The ration per requester (its own spec below) is lifted: this is about the owner's top-ups.
    const server = new ChatServer({
      port: 0,
      limits: { messagesPerSecond: 10_000, messageBurst: 10_000, oneTimePrekeysPerRequester: 10_000, oneTimePrekeysPerAddress: 10_000 },
    });
    const { port } = await server.listen();
    t.after(() => server.close());
    const state = ClientState.inMemory();
    const owner = new ChatSession({ host: '127.0.0.1', port, name: 'bob', identity: bob, state });
    await owner.connect();
    t.after(() => owner.close());
    await waitUntil(() => server.store!.oneTimePrekeyCount('bob') === 100, 'bob to upload his pool');
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    // 300 fetches at once: the pool falls under ONE_TIME_PREKEYS_LOW again and again.
    for (let i = 0; i < 300; i++) a.send({ type: 'keys', names: ['bob'] });
    const handed: string[] = [];
    for (let i = 0; i < 300; i++) {
      const id = (await a.next('key-bundles')).bundles[0]?.oneTimePrekey?.id;
      if (id !== undefined) handed.push(id);
    }
    // The marker: a rotated signed prekey goes after any top-up bob made, so the server has those by now.
    const before = server.store!.registration('bob')?.prekey;
    assert.equal(owner.rotateSignedPrekeyIfDue(Date.now() + 30 * 86_400_000), true);
    await waitUntil(() => server.store!.registration('bob')?.prekey !== before, 'the rotated signed prekey at the server');
    const kept = new Set(Object.keys(state.engine!.prekeys.oneTime));
    const lost = handed.filter((id) => !kept.has(id));
    assert.deepEqual(lost, [], `bob dropped ${lost.length} of the ${handed.length} keys handed out for him`);
    assert.ok(handed.length >= 100, `at least his first pool went out (${handed.length})`);
  });

  it("hands one requester a few of a user's one-time prekeys a day, and names each user once per request", async (t) => {
    const { server, port } = await startServer(t);
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    b.send({ type: 'prekeys', oneTime: oneTimePrekeys(20) });
    await waitUntil(() => server.store!.oneTimePrekeyCount('bob') === 20, 'the pool kept');
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    a.send({ type: 'keys', names: Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 'bob' : 'BOB')) });
    const answer = await a.next('key-bundles');
    assert.equal(answer.bundles.length, 1, 'one bundle for a user named 100 times');
    const handed = [answer.bundles[0]!.oneTimePrekey?.id];
    for (let i = 0; i < 5; i++) handed.push((await bundleOf(a, 'bob')).oneTimePrekey?.id);
    assert.equal(new Set(handed.slice(0, 3).filter((id) => id !== undefined)).size, 3, 'three different ones first');
    assert.deepEqual(handed.slice(3), [undefined, undefined, undefined], 'three a day, then the signed prekey alone');
    assert.equal(server.store!.oneTimePrekeyCount('bob'), 17, "the rest of bob's pool is left for others");
  });

  it('takes a rotated signed prekey from a joined member, and ends the connection for one its key did not sign', async (t) => {
    const { server, port } = await startServer(t);
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    const a = await RawClient.join(port, 'alice', alice);
    t.after(() => a.close());
    const fresh = generateX25519().publicRaw;
    b.send({
      type: 'prekeys',
      oneTime: [],
      signed: { prekey: fresh.toString('base64'), prekeySig: signPrekey(bob.privateKey, 'bob', fresh).toString('base64') },
    });
    await waitUntil(() => server.store!.registration('bob')?.prekey === fresh.toString('base64'), 'the new signed prekey kept');
    const announced = await a.next('join');
    assert.equal(announced.peer.name, 'bob', 'announced again, with a new keyId');
    assert.equal((await bundleOf(a, 'bob')).prekey, fresh.toString('base64'));
    const forged = generateX25519().publicRaw;
    b.send({
      type: 'prekeys',
      oneTime: [],
      signed: { prekey: forged.toString('base64'), prekeySig: signPrekey(alice.privateKey, 'bob', forged).toString('base64') },
    });
    assert.equal((await b.next('error')).fatal, true);
    assert.equal(server.store!.registration('bob')?.prekey, fresh.toString('base64'), 'the forged one was not kept');
  });

  it('refuses a prekeys message before joining, or with too many keys', async (t) => {
    const { port } = await startServer(t);
    const early = await RawClient.open(port);
    t.after(() => early.close());
    early.send({ type: 'prekeys', oneTime: oneTimePrekeys(1) });
    assert.equal((await early.next('error')).fatal, true);
    const b = await RawClient.join(port, 'bob', bob);
    t.after(() => b.close());
    b.send({ type: 'prekeys', oneTime: oneTimePrekeys(101) });
    assert.equal((await b.next('error')).fatal, true);
  });
});
