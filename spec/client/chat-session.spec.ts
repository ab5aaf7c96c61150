import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type ChatMessageEvent, ChatSession, MAX_MESSAGE_CHARS, type SessionEvents } from '../../src/client/chat-session.js';
import { KnownPeers } from '../../src/client/known-peers.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { ONE_TIME_PREKEY_TARGET } from '../../src/client/own-prekeys.js';
import { type DeliverySummary, describeDelivery } from '../../src/client/delivery-tracker.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { FrameFilterProxy } from '../helpers/frame-filter-proxy.js';
import { sealEnvelope } from '../../src/core/envelope.js';
import { type X25519KeyPair, generateX25519 } from '../../src/core/double-ratchet.js';
import { buildHello } from '../../src/core/prekey.js';
import type { HelloMessage, ServerMessage } from '../../src/core/messages.js';
import { waitUntil } from '../helpers/events.js';
import { type ScriptedPeer, playPeer, startScriptedServer } from '../helpers/scripted-server.js';
import { testIdentity } from '../helpers/identities.js';

let ids: Identity[];

before(async () => {
  ids = await Promise.all([0, 1, 2, 3].map(testIdentity));
});

const servers = new Map<number, ChatServer>();

async function startServer(t: TestContext): Promise<number> {
  const server = new ChatServer({ port: 0 });
  const { port } = await server.listen();
  servers.set(port, server);
  t.after(() => server.close());
  return port;
}

/** The operator frees a registered name (`serve release-name`): the only way another key gets it (protocol v4). */
async function releaseName(port: number, name: string): Promise<void> {
  assert.equal(await servers.get(port)!.store!.release(name), true);
}

/** A session that records every event it emits. */
async function join(t: TestContext, port: number, name: string, identity: Identity, knownPeers = KnownPeers.inMemory()) {
  const session = new ChatSession({ host: '127.0.0.1', port, name, identity, knownPeers });
  const events: Array<{ type: string; payload: unknown }> = [];
  for (const type of ['ready', 'join', 'leave', 'message', 'delivery', 'key-changed', 'error', 'disconnected'] as const) {
    session.on(type, (payload: SessionEvents[typeof type]) => events.push({ type, payload }));
  }
  await session.connect();
  t.after(() => session.close());
  const messages = () => events.filter((e) => e.type === 'message').map((e) => e.payload as ChatMessageEvent);
  return { session, events, messages };
}

/** The old scripted-server shape: the port only. */
async function startScripted(t: TestContext, peers: ScriptedPeer[], script: (bobHello: HelloMessage) => ServerMessage[]): Promise<number> {
  return (await startScriptedServer(t, peers, script)).port;
}

const playAlice = (alice: Identity, alicePrekey: X25519KeyPair, bobHello: HelloMessage) => playPeer('alice', alice, alicePrekey, bobHello);

describe('ChatSession', () => {
  it('joins and sees who is online with their fingerprints', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    assert.deepEqual(
      bob.session.peers().map((p) => [p.name, p.isSelf]),
      [
        ['alice', false],
        ['bob', true],
      ],
    );
    assert.equal(bob.session.peer('alice')?.fingerprint, ids[0]!.fingerprint);
    await waitUntil(() => alice.session.peer('bob') !== undefined, 'alice to see bob join');
  });

  it('exchanges room and direct messages end to end', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    const carol = await join(t, port, 'carol', ids[2]!);
    await waitUntil(() => alice.session.peers().length === 3, 'alice to see everyone');
    alice.session.sendRoom('hello all');
    alice.session.sendDirect('bob', 'just you');
    await waitUntil(() => bob.messages().length === 2 && carol.messages().length === 1, 'deliveries');
    assert.deepEqual(
      bob.messages().map((m) => [m.from, m.to, m.text, m.verified]),
      [
        ['alice', null, 'hello all', true],
        ['alice', 'bob', 'just you', true],
      ],
    );
    assert.deepEqual(
      carol.messages().map((m) => m.text),
      ['hello all'],
    );
  });

  it('strips escape sequences from the text it reports', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.session.peer('bob') !== undefined, 'alice to see bob');
    alice.session.sendRoom('\u001b[2J\u001b]0;owned\u0007hi');
    await waitUntil(() => bob.messages().length === 1, 'the message');
    assert.equal(bob.messages()[0]!.text, 'hi');
  });

  it('rejects the join promise with NAME_TAKEN and can rejoin under another name', async (t) => {
    const port = await startServer(t);
    await join(t, port, 'alice', ids[0]!);
    const session = new ChatSession({ host: '127.0.0.1', port, name: 'alice', identity: ids[1]! });
    t.after(() => session.close());
    await assert.rejects(session.connect(), { code: ErrorCode.NAME_TAKEN });
    await session.rejoin('alice2');
    assert.equal(session.name, 'alice2');
    assert.ok(session.isReady);
  });

  it('warns loudly when a known name comes back with another key, and marks its messages unverified', async (t) => {
    const port = await startServer(t);
    const known = KnownPeers.inMemory();
    const bob = await join(t, port, 'bob', ids[1]!, known);
    const alice = await join(t, port, 'alice', ids[0]!);
    await waitUntil(() => bob.session.peer('alice') !== undefined, 'bob to see alice');
    await alice.session.close();
    await waitUntil(() => bob.session.peer('alice')?.online === false, 'alice to go away');
    await releaseName(port, 'alice');

    const impostor = await join(t, port, 'alice', ids[3]!);
    await waitUntil(() => bob.events.some((e) => e.type === 'key-changed'), 'the key-changed warning');
    const warning = bob.events.find((e) => e.type === 'key-changed')!.payload as SessionEvents['key-changed'];
    assert.deepEqual(warning, { name: 'alice', pinned: ids[0]!.fingerprint, announced: ids[3]!.fingerprint });
    assert.equal(bob.session.peer('alice')?.trust, 'changed');

    impostor.session.sendRoom('trust me');
    await waitUntil(() => bob.messages().length === 1, 'the impostor message');
    assert.equal(bob.messages()[0]!.verified, false);

    assert.throws(() => bob.session.sendDirect('alice', 'secret'), /key changed/);
    assert.deepEqual(bob.session.sendRoom('room secret').withheld, ['alice']);
    await waitUntil(() => bob.events.some((e) => e.type === 'delivery' && (e.payload as { pending: boolean }).pending === false), 'the ack');
    const delivery = bob.events.filter((e) => e.type === 'delivery').at(-1)!.payload as { failed: Array<{ name: string; reason: string }> };
    assert.equal(delivery.failed[0]?.name, 'alice');
    assert.match(delivery.failed[0]!.reason, /key changed/, 'the sender is told why, not "offline"');
    bob.session.trust('alice');
    assert.equal(bob.session.peer('alice')?.trust, 'known');
  });

  it("fetches a peer's keys once and keeps them: the next session asks for none", async (t) => {
    const port = await startServer(t);
    const bobState = ClientState.inMemory();
    const alice = await join(t, port, 'alice', ids[0]!);
    const first = new ChatSession({ host: '127.0.0.1', port, name: 'bob', identity: ids[1]!, state: bobState });
    await first.connect();
    assert.equal(first.peer('alice')?.fingerprint, ids[0]!.fingerprint, 'listed with its key once fetched');
    const keyId = (await servers.get(port)!.keyBundles('carol', ['alice']))[0]!.keyId;
    assert.notEqual(bobState.cachedBundle('alice', keyId), undefined, 'kept with the state');
    await first.close();
    // Count what the server is asked for from here on.
    const server = servers.get(port)!;
    const asked: string[] = [];
    const keyBundles = server.keyBundles.bind(server);
    server.keyBundles = (asker, names) => {
      asked.push(...names);
      return keyBundles(asker, names);
    };
    const second = new ChatSession({ host: '127.0.0.1', port, name: 'bob', identity: ids[1]!, state: bobState });
    t.after(() => second.close());
    await second.connect();
    assert.equal(second.peer('alice')?.fingerprint, ids[0]!.fingerprint);
    assert.deepEqual(asked, [], 'nothing asked: the cached keys are still the ones presence names');
    alice.session.sendRoom('hello again');
  });

  it('shows both sides the same safety number', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.session.peer('bob') !== undefined, 'alice to see bob');
    assert.match(alice.session.safetyNumberWith('bob'), /^(\d{5} ){11}\d{5}$/);
    assert.equal(alice.session.safetyNumberWith('bob'), bob.session.safetyNumberWith('alice'));
  });

  it('holds the messages of a verified contact whose key changed until the new key is verified', async (t) => {
    const port = await startServer(t);
    const known = KnownPeers.inMemory();
    const bob = await join(t, port, 'bob', ids[1]!, known);
    const alice = await join(t, port, 'alice', ids[0]!);
    await waitUntil(() => bob.session.peer('alice') !== undefined, 'bob to see alice');
    bob.session.safetyNumberWith('alice');
    bob.session.verify('alice');
    assert.equal(bob.session.peer('alice')?.verified, true);
    await alice.session.close();
    await waitUntil(() => bob.session.peer('alice')?.online === false, 'alice to go away');
    await releaseName(port, 'alice');

    const impostor = await join(t, port, 'alice', ids[3]!);
    await waitUntil(() => bob.session.peer('alice')?.trust === 'changed', 'the key change');
    assert.equal(bob.session.peer('alice')?.verified, false, 'the verification was of the old key');
    impostor.session.sendRoom('it is me, really');
    await waitUntil(
      () => bob.events.some((e) => e.type === 'error' && (e.payload as { code: string }).code === ErrorCode.PEER_KEY_CHANGED),
      'the held message',
    );
    assert.equal(bob.messages().length, 0, 'the text was not shown');
    assert.throws(() => bob.session.trust('alice'), { code: ErrorCode.PEER_KEY_CHANGED });

    bob.session.safetyNumberWith('alice');
    bob.session.verify('alice');
    assert.deepEqual(
      bob.messages().map((m) => [m.text, m.held]),
      [['it is me, really', true]],
      'the held message is shown once the key is verified, marked as held',
    );
    impostor.session.sendRoom('second try');
    await waitUntil(() => bob.messages().length === 2, 'messages to flow after verifying the new key');
    assert.equal(bob.messages()[1]!.verified, true);
  });

  it("says delivered only on the recipient's own receipt, and held, then discarded unread, for a DM a verified contact held", async (t) => {
    const port = await startServer(t);
    const known = KnownPeers.inMemory();
    const bob = await join(t, port, 'bob', ids[1]!, known);
    const alice = await join(t, port, 'alice', ids[0]!);
    await waitUntil(() => bob.session.peer('alice') !== undefined && alice.session.peer('bob') !== undefined, 'both listed');
    const summaryOf = (events: typeof alice.events, id: string) =>
      events.filter((e) => e.type === 'delivery' && (e.payload as { id: string }).id === id).map((e) => e.payload as DeliverySummary);
    const first = alice.session.sendDirect('bob', 'read by his client');
    await waitUntil(() => summaryOf(alice.events, first.id).some((s) => s.delivered === 1), "bob's client's receipt");
    assert.equal(describeDelivery(summaryOf(alice.events, first.id).at(-1)!), 'delivered');

    bob.session.safetyNumberWith('alice');
    bob.session.verify('alice');
    await alice.session.close();
    await waitUntil(() => bob.session.peer('alice')?.online === false, 'alice to go away');
    await releaseName(port, 'alice');
    const impostor = await join(t, port, 'alice', ids[3]!);
    await waitUntil(() => bob.session.peer('alice')?.trust === 'changed' && impostor.session.peer('bob') !== undefined, 'the key change');
    const held = impostor.session.sendDirect('bob', 'it is me, really');
    const failedOf = () => summaryOf(impostor.events, held.id).at(-1)?.failed ?? [];
    await waitUntil(() => failedOf().some((f) => f.state === 'held'), 'the sender to hear it is held');
    assert.match(describeDelivery(summaryOf(impostor.events, held.id).at(-1)!), /^held by bob \(their client says: your key changed since they verified you\)/);
    assert.equal(summaryOf(impostor.events, held.id).at(-1)!.delivered, 0, 'never "delivered"');
    assert.equal(bob.session.discardHeld('alice'), 1);
    await waitUntil(() => failedOf().some((f) => f.state === 'discarded'), 'the sender to hear it was discarded');
    assert.equal(describeDelivery(summaryOf(impostor.events, held.id).at(-1)!), 'discarded unread by bob');
  });

  it('refuses to send a message over the length limit', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    assert.throws(() => alice.session.sendRoom('x'.repeat(MAX_MESSAGE_CHARS + 1)), { code: ErrorCode.MESSAGE_TOO_LARGE });
  });

  it('reports a DM to someone offline', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    assert.throws(() => alice.session.sendDirect('ghost', 'hi'), { code: ErrorCode.NO_SUCH_PEER });
  });

  it("keeps itself joined past the server's idle timeout with keepalive pings", async (t) => {
    const server = new ChatServer({ port: 0, limits: { idleTimeoutMs: 400 } });
    const { port } = await server.listen();
    t.after(() => server.close());
    const session = new ChatSession({ host: '127.0.0.1', port, name: 'quiet', identity: ids[0]!, keepaliveMs: 100 });
    await session.connect();
    t.after(() => session.close());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok(session.isReady, 'still joined after 2.5 idle timeouts');
    assert.deepEqual(server.peerNames, ['quiet']);
  });

  it('reports the server going away', async (t) => {
    const server = new ChatServer({ port: 0 });
    const { port } = await server.listen();
    const alice = await join(t, port, 'alice', ids[0]!);
    await server.close('maintenance');
    await waitUntil(() => alice.events.some((e) => e.type === 'disconnected'), 'the disconnect');
    const event = alice.events.find((e) => e.type === 'disconnected')!.payload as { reason: string };
    assert.match(event.reason, /maintenance/);
  });

  it('refuses an envelope a malicious server delivers twice, or re-addresses', async (t) => {
    const [alice, bob, carol] = [ids[0]!, ids[1]!, ids[2]!];
    const alicePrekey = generateX25519();
    // A DM alice sealed for carol (through their ratchet), which the server hands to bob instead.
    const toCarol = sealEnvelope({
      senderName: 'alice',
      senderKey: alice.privateKey,
      chain: 'c',
      seq: 1,
      to: 'carol',
      plaintext: Buffer.from('{"text":"not yours"}'),
      ratchet: {
        header: { sid: generateX25519().publicRaw.toString('base64'), dh: generateX25519().publicRaw.toString('base64'), pn: 0, n: 0 },
        messageKey: Buffer.alloc(32, 7),
      },
    });
    // Hands over alice's room key, replays one room message, and forwards a DM meant for carol.
    const port = await startScripted(
      t,
      [
        ['alice', alice, alicePrekey],
        ['bob', bob],
        ['carol', carol],
      ],
      (bobHello) => {
        const play = playAlice(alice, alicePrekey, bobHello);
        const once = play.room('once', 0);
        return [play.handover(), once, once, { type: 'message', from: 'alice', to: 'bob', envelope: toCarol, key: '' }];
      },
    );
    const bobSession = await join(t, port, 'bob', bob);
    await waitUntil(() => bobSession.events.some((e) => e.type === 'error'), 'the refusal');
    assert.deepEqual(
      bobSession.messages().map((m) => m.text),
      ['once'],
    );
    const codes = bobSession.events.filter((e) => e.type === 'error').map((e) => (e.payload as { code: string }).code);
    // The repeat is dropped quietly by its id (a resend looks the same); the re-addressed DM fails its signature.
    assert.deepEqual(codes, [ErrorCode.ENVELOPE_INVALID]);
  });

  it('reports messages a malicious server dropped or reordered', async (t) => {
    const [alice, bob] = [ids[0]!, ids[1]!];
    const alicePrekey = generateX25519();
    // Delivers 0, then 2 (1 held back), then 1 late, then 3: one gap, then one late arrival.
    const port = await startScripted(
      t,
      [
        ['alice', alice, alicePrekey],
        ['bob', bob],
      ],
      (bobHello) => {
        const play = playAlice(alice, alicePrekey, bobHello);
        const sealed = [0, 1, 2, 3].map((seq) => play.room(`m${seq}`, seq));
        return [play.handover(), ...[0, 2, 1, 3].map((seq) => sealed[seq]!)];
      },
    );
    const bobSession = await join(t, port, 'bob', bob);
    await waitUntil(() => bobSession.messages().length === 4, 'all four messages');
    const codes = bobSession.events.filter((e) => e.type === 'error').map((e) => (e.payload as { code: string }).code);
    assert.deepEqual(codes, [ErrorCode.MESSAGES_MISSING, ErrorCode.MESSAGE_LATE]);
    assert.deepEqual(
      bobSession.messages().map((m) => m.text),
      ['m0', 'm2', 'm1', 'm3'],
    );
  });

  it('sends DMs through the Double Ratchet: a ratchet header, no RSA-wrapped key', async (t) => {
    const server = new ChatServer({ port: 0 });
    const { port } = await server.listen();
    t.after(() => server.close());
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await RawClient.join(port, 'bob', ids[1]!);
    t.after(() => bob.close());
    await waitUntil(() => alice.session.peer('bob') !== undefined, 'alice to see bob');
    alice.session.sendDirect('bob', 'forward secret');
    const delivered = await bob.next('message');
    assert.ok(delivered.envelope.ratchet !== undefined);
    assert.equal(delivered.envelope.ratchet.n, 0);
  });

  it('keeps DMs flowing both ways across many turns and reconnects', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    let bob = await join(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.session.peer('bob') !== undefined, 'alice to see bob');
    for (let turn = 0; turn < 3; turn++) {
      alice.session.sendDirect('bob', `a${turn}`);
      await waitUntil(() => bob.messages().some((m) => m.text === `a${turn}`), `a${turn}`);
      bob.session.sendDirect('alice', `b${turn}`);
      await waitUntil(() => alice.messages().some((m) => m.text === `b${turn}`), `b${turn}`);
    }
    // bob reconnects with a new prekey: a new ratchet starts on both sides.
    await bob.session.close();
    await waitUntil(() => alice.session.peer('bob')?.online === false, 'bob to go away');
    bob = await join(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.session.peer('bob')?.online === true, 'bob to return');
    bob.session.sendDirect('alice', 'after reconnect');
    await waitUntil(() => alice.messages().some((m) => m.text === 'after reconnect'), 'the DM after the reconnect');
    alice.session.sendDirect('bob', 'welcome back');
    await waitUntil(() => bob.messages().some((m) => m.text === 'welcome back'), 'the reply');
  });

  it('does not list a peer whose prekey the server swapped', async (t) => {
    const [alice, bob, carol] = [ids[0]!, ids[1]!, ids[2]!];
    const prekeyOf = (id: Identity, name: string) => {
      const { prekey, prekeySig } = buildHello(id, name, generateX25519());
      return { prekey, prekeySig };
    };
    const swapped = buildHello(carol, 'carol', generateX25519());
    const honest = buildHello(carol, 'carol', generateX25519());
    const port = await startScripted(
      t,
      [
        ['alice', alice],
        ['bob', bob],
      ],
      () => [
        // "carol" with a prekey whose signature belongs to another prekey: the server's substitution.
        {
          type: 'join',
          peer: {
            name: 'carol',
            publicKey: carol.publicKeyBase64,
            prekey: swapped.prekey,
            prekeySig: honest.prekeySig,
            fingerprint: carol.fingerprint,
            joinedAt: 1,
          },
        },
        {
          type: 'join',
          peer: {
            name: 'dave',
            publicKey: carol.publicKeyBase64,
            prekey: honest.prekey,
            prekeySig: honest.prekeySig,
            fingerprint: carol.fingerprint,
            joinedAt: 1,
          },
        },
        // Then an honest one, so the test knows the forged ones have been processed.
        {
          type: 'join',
          peer: { name: 'erin', publicKey: ids[3]!.publicKeyBase64, ...prekeyOf(ids[3]!, 'erin'), fingerprint: ids[3]!.fingerprint, joinedAt: 1 },
        },
      ],
    );
    const bobSession = await join(t, port, 'bob', bob);
    await waitUntil(() => bobSession.session.peer('erin') !== undefined, 'the honest join');
    assert.deepEqual(
      bobSession.session.peers().map((p) => p.name),
      ['alice', 'bob', 'erin'],
      'neither forged peer is listed',
    );
  });

  it('hands its room sender key to the current members only, and rotates it when they change', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const dave = await RawClient.join(port, 'dave', ids[1]!);
    const carol = await RawClient.join(port, 'carol', ids[2]!);
    t.after(() => dave.close());
    await waitUntil(() => alice.session.peers().length === 3, 'alice to see dave and carol');
    let daveHandovers = 0;
    const roomKeyIds = async (client: RawClient): Promise<string> => {
      const message = await client.next('message');
      if (message.to !== null) {
        daveHandovers++; // a key handover DM
        return roomKeyIds(client);
      }
      return message.envelope.senderKey!.id;
    };

    alice.session.sendRoom('one');
    const first = await roomKeyIds(dave);
    await waitUntil(() => carol.received.some((m) => m.type === 'message' && m.to === 'carol'), "carol's handover");
    alice.session.sendRoom('two');
    assert.equal(await roomKeyIds(dave), first, 'same members: same chain');

    carol.close();
    await waitUntil(() => alice.session.peer('carol')?.online === false, 'carol to go away');
    alice.session.sendRoom('three');
    const afterLeave = await roomKeyIds(dave);
    assert.equal(afterLeave, first, 'a member away is still a member (her messages are stored): same chain');

    const erin = await RawClient.join(port, 'erin', ids[3]!);
    t.after(() => erin.close());
    await waitUntil(() => alice.session.peer('erin') !== undefined, 'erin to join');
    alice.session.sendRoom('four');
    const afterJoin = await roomKeyIds(dave);
    assert.notEqual(afterJoin, afterLeave, 'a member joined: a new chain, so erin cannot read back');
    await waitUntil(() => erin.received.some((m) => m.type === 'message' && m.to === null), 'erin to get the room message');
    const erinRoom = erin.received.find((m) => m.type === 'message' && m.to === null);
    assert.equal(erinRoom?.type === 'message' ? erinRoom.envelope.senderKey?.id : undefined, afterJoin);
    assert.equal(daveHandovers, 2, 'dave got one handover per chain, over the ratchet');
  });

  it('asks a sender for a room chain whose handover was lost, and shows the room message once it comes', async (t) => {
    const port = await startServer(t);
    // Alice's first handover to bob is lost on the way to the server.
    let lost = false;
    const proxy = await FrameFilterProxy.start(port, (message) => {
      if (lost || message['type'] !== 'send' || message['to'] !== 'bob') return false;
      lost = true;
      return true;
    });
    t.after(() => proxy.close());
    const bob = await join(t, port, 'bob', ids[1]!);
    const alice = await join(t, proxy.port, 'alice', ids[0]!);
    await waitUntil(() => alice.session.peer('bob') !== undefined && bob.session.peer('alice') !== undefined, 'both listed');
    const sent = alice.session.sendRoom('after a lost handover');
    await waitUntil(() => bob.messages().some((m) => m.text === 'after a lost handover'), 'bob to read it once alice answered his request');
    assert.equal(proxy.dropped.length, 1);
    await waitUntil(
      () =>
        alice.events.some(
          (e) =>
            e.type === 'delivery' && (e.payload as { id: string; confirmed: number }).id === sent.id && (e.payload as { confirmed: number }).confirmed === 1,
        ),
      "alice to hear bob's client kept it (the server's word: room lines get no end-to-end receipts)",
    );
    assert.equal(bob.events.filter((e) => e.type === 'error' && /dropped a message/.test((e.payload as { message: string }).message)).length, 0);
  });

  it('sends a first DM to someone away who never talked to us, from their bundle and a one-time prekey', async (t) => {
    const port = await startServer(t);
    const server = servers.get(port)!;
    const bobState = ClientState.inMemory();
    const away = new ChatSession({ host: '127.0.0.1', port, name: 'bob', identity: ids[1]!, state: bobState });
    await away.connect();
    await waitUntil(() => server.store!.oneTimePrekeyCount('bob') === ONE_TIME_PREKEY_TARGET, "bob's one-time prekeys on the server");
    await away.close();
    const alice = await join(t, port, 'alice', ids[0]!);
    await waitUntil(() => alice.session.peer('bob')?.online === false, 'bob listed as away');
    assert.equal(server.store!.oneTimePrekeyCount('bob'), ONE_TIME_PREKEY_TARGET - 1, "alice's bundle took one");
    const sent = alice.session.sendDirect('bob', 'welcome back');
    await waitUntil(
      () =>
        alice.events.some(
          (e) => e.type === 'delivery' && (e.payload as { id: string; stored: number }).id === sent.id && (e.payload as { stored: number }).stored === 1,
        ),
      'stored for bob',
    );
    const bob = new ChatSession({ host: '127.0.0.1', port, name: 'bob', identity: ids[1]!, state: bobState });
    const read: string[] = [];
    bob.on('message', (message) => read.push(message.text));
    await bob.connect();
    t.after(() => bob.close());
    await waitUntil(() => read.includes('welcome back'), 'bob to read it');
    await waitUntil(() => server.store!.oneTimePrekeyCount('bob') === ONE_TIME_PREKEY_TARGET, 'bob topped his one-time prekeys up again');
  });

  it('rotates its signed prekey while connected: peers take the new bundle, sessions go on, nobody "joins" again', async (t) => {
    const port = await startServer(t);
    const alice = await join(t, port, 'alice', ids[0]!);
    const bob = await join(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.session.peer('bob') !== undefined, 'alice to list bob');
    alice.session.sendDirect('bob', 'before');
    await waitUntil(() => bob.messages().some((m) => m.text === 'before'), 'the first DM');
    const server = servers.get(port)!;
    const before = server.store!.registration('bob')!.prekey;
    const joinsSeen = alice.events.filter((e) => e.type === 'join').length;
    assert.equal(bob.session.rotateSignedPrekeyIfDue(Date.now()), false, 'not due yet');
    assert.equal(bob.session.rotateSignedPrekeyIfDue(Date.now() + 8 * 24 * 3600_000), true);
    await waitUntil(() => server.store!.registration('bob')!.prekey !== before, 'the server to keep the new signed prekey');
    // Carol, new, starts her session from the new bundle; alice goes on with hers.
    const carol = await join(t, port, 'carol', ids[2]!);
    await waitUntil(() => carol.session.peer('bob') !== undefined, 'carol to list bob');
    carol.session.sendDirect('bob', 'to the new signed prekey');
    alice.session.sendDirect('bob', 'after');
    await waitUntil(() => bob.messages().some((m) => m.text === 'to the new signed prekey') && bob.messages().some((m) => m.text === 'after'), 'both DMs');
    assert.equal(alice.events.filter((e) => e.type === 'join').length, joinsSeen + 1, 'only carol joined');
  });
});
