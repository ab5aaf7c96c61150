import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { ChatClient, type ClientEvents } from '../../src/client/chat-client.js';
import type { ChatMessageEvent } from '../../src/client/chat-session.js';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { ClientState } from '../../src/client/state/client-state.js';
import { join } from 'node:path';
import { KnownServers } from '../../src/client/known-servers.js';
import { openTlsStream } from '../../src/client/tls-transport.js';
import { loadOrCreateServerCertificate } from '../../src/server/server-certificate.js';
import { waitUntil } from '../helpers/events.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testIdentity } from '../helpers/identities.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});

async function startServer(t: TestContext, port = 0): Promise<ChatServer> {
  const server = new ChatServer({ port });
  await server.listen();
  t.after(() => server.close());
  return server;
}

function startClient(t: TestContext, port: number, name: string, identity: Identity, state?: ClientState) {
  const client = new ChatClient({ host: '127.0.0.1', port, name, identity, backoff: { initialMs: 50, maxMs: 200 }, ...(state === undefined ? {} : { state }) });
  const messages: ChatMessageEvent[] = [];
  const states: Array<ClientEvents['state']['state']> = [];
  const renames: Array<ClientEvents['renamed']> = [];
  client.on('message', (m) => messages.push(m));
  client.on('state', (s) => states.push(s.state));
  client.on('renamed', (r) => renames.push(r));
  client.start();
  t.after(() => client.stop());
  return { client, messages, states, renames };
}

describe('ChatClient', () => {
  it('joins under another name when its own is taken, and says so', async (t) => {
    const server = await startServer(t);
    const first = startClient(t, server.address.port, 'alice', ids[0]!);
    await waitUntil(() => first.client.state === 'online', 'the first alice');
    const errors: string[] = [];
    const second = startClient(t, server.address.port, 'alice', ids[1]!);
    second.client.on('error', (error) => errors.push(error.code));
    await waitUntil(() => second.client.state === 'online', 'the second client');
    assert.equal(second.client.name, 'alice2');
    assert.deepEqual(second.renames, [{ wanted: 'alice', got: 'alice2' }]);
    // Said once, as the rename: not also as an error before it (the TUI showed "e…: the name is taken").
    assert.deepEqual(errors, []);
  });

  it('takes its name back from a connection of its own key the server still holds, and the older one stops rather than take it back', async (t) => {
    const server = await startServer(t);
    // One state for both: the same client after a restart (its sessions and prekeys on disk).
    const kept = ClientState.inMemory();
    const older = startClient(t, server.address.port, 'alice', ids[0]!, kept);
    await waitUntil(() => older.client.state === 'online', 'the first alice');
    const bob = startClient(t, server.address.port, 'bob', ids[1]!);
    await waitUntil(() => bob.client.state === 'online', 'bob');
    // The same key again before the server noticed the first go (a restart after a crash): the
    // same name, not alice2.
    const newer = startClient(t, server.address.port, 'alice', ids[0]!, kept);
    await waitUntil(() => newer.client.state === 'online', 'the second alice');
    assert.equal(newer.client.name, 'alice');
    assert.deepEqual(newer.renames, []);
    await waitUntil(() => older.client.state === 'stopped', 'the older connection to stop');
    // The older one does not reconnect (no tug of war): a line from bob reaches the newer alice.
    bob.client.send('alice', 'to whichever alice is here');
    await waitUntil(() => newer.messages.some((m) => m.text === 'to whichever alice is here'), 'the line at the newer alice');
    assert.equal(older.client.state, 'stopped');
    assert.deepEqual(server.peerNames.sort(), ['alice', 'bob']);
  });

  it('stops, saying why, when its key holds its share of names and its own name is taken', async (t) => {
    const server = new ChatServer({ port: 0, limits: { maxNamesPerKey: 1 } });
    await server.listen();
    t.after(() => server.close());
    const first = startClient(t, server.address.port, 'alice', ids[0]!);
    await waitUntil(() => first.client.state === 'online', 'the first alice');
    // Another key that already holds a name: "alice" is taken, and "alice2" would be its second.
    const own = startClient(t, server.address.port, 'bob', ids[1]!);
    await waitUntil(() => own.client.state === 'online', 'bob');
    await own.client.stop();
    const second = startClient(t, server.address.port, 'alice', ids[1]!);
    const reasons: string[] = [];
    second.client.on('state', (s) => reasons.push(s.reason ?? ''));
    await waitUntil(() => second.client.state === 'stopped', 'the client to stop');
    assert.deepEqual(second.renames, []);
    assert.match(reasons.at(-1) ?? '', /your key holds 1 name on this server/);
  });

  it('reconnects after the server comes back, and delivers what was typed while offline', async (t) => {
    const server = await startServer(t);
    const port = server.address.port;
    const alice = startClient(t, port, 'alice', ids[0]!);
    const bob = startClient(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.client.peers().length === 2 && bob.client.peers().length === 2, 'both online');
    await server.close();
    await waitUntil(() => alice.client.state !== 'online' && bob.client.state !== 'online', 'both offline');
    assert.equal(alice.client.sendRoom('sent while offline').status, 'queued');
    assert.equal(alice.client.queuedCount, 1);

    let flushed = 0;
    alice.client.on('flushed', ({ count }) => (flushed += count));
    const again = await startServer(t, port);
    await waitUntil(() => alice.client.state === 'online' && bob.client.state === 'online', 'both back', 15_000);
    assert.equal(again.peerNames.length, 2, 're-joined under the same names');
    assert.equal(bob.client.name, 'bob');
    await waitUntil(() => flushed === 1, 'the queued message to be sent');
    assert.equal(alice.client.queuedCount, 0);
    await waitUntil(() => alice.client.peer('bob') !== undefined, 'alice to see bob again');
    alice.client.sendRoom('after the restart');
    await waitUntil(() => bob.messages.some((m) => m.text === 'after the restart'), 'bob to receive after the restart');
    assert.ok(alice.states.includes('offline'));
  });

  it('says at start which messages an earlier run held, so none waits unannounced', async (t) => {
    const state = ClientState.inMemory();
    state.hold({ id: 'h1', from: 'alice', to: 'bob', text: 'held last time', ts: 1 });
    state.hold({ id: 'h2', from: 'alice', to: 'bob', text: 'and this', ts: 2 });
    const client = new ChatClient({ host: '127.0.0.1', port: 1, name: 'bob', identity: ids[1]!, state, backoff: { initialMs: 10_000 } });
    const errors: Array<{ code: string; message: string }> = [];
    client.on('error', (e) => errors.push(e));
    client.start();
    t.after(() => client.stop());
    const held = errors.filter((e) => e.code === 'CHAT_ERR_PEER_KEY_CHANGED');
    assert.equal(held.length, 1);
    assert.match(held[0]!.message, /2 messages from alice are held: .*:verify alice \(or :discard alice\)/);
  });

  it('refuses to queue without bound while offline', async (t) => {
    const server = await startServer(t);
    const port = server.address.port;
    // A state that has been to this server (its sessions are kept): what is sent while it is down is queued.
    const state = ClientState.inMemory();
    const first = new ChatClient({ host: '127.0.0.1', port, name: 'alone', identity: ids[2]!, state });
    first.start();
    await waitUntil(() => first.state === 'online', 'online once');
    await first.stop();
    await server.close();
    const client = new ChatClient({ host: '127.0.0.1', port, name: 'alone', identity: ids[2]!, maxQueued: 2, state, backoff: { initialMs: 10_000 } });
    client.on('error', () => {});
    client.start();
    t.after(() => client.stop());
    client.sendRoom('1');
    client.sendRoom('2');
    assert.throws(() => client.sendRoom('3'), /already waiting/);
  });

  it('queues nothing for a server never reached, and says so', async (t) => {
    const client = new ChatClient({ host: '127.0.0.1', port: 1, name: 'alone', identity: ids[2]!, backoff: { initialMs: 10_000 } });
    const offline: Array<{ reached?: boolean }> = [];
    client.on('error', () => {});
    client.on('state', (s) => s.state === 'offline' && offline.push(s));
    client.start();
    t.after(() => client.stop());
    await waitUntil(() => offline.length > 0, 'the first refused attempt');
    assert.equal(offline[0]!.reached, false);
    assert.throws(
      () => client.sendRoom('into the void'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CHAT_ERR_NOT_CONNECTED');
        assert.match(error.message, /nothing is queued for a server never reached/);
        return true;
      },
    );
    assert.equal(client.queuedCount, 0);
  });

  it('keeps each line typed while the server was down once in its history, across a client restart', async (t) => {
    const dir = makeTempDir(t);
    const base = join(dir, 'alice-state');
    // On disk, so bob stays registered across the restart whichever of the two reconnects first.
    const dataDir = join(dir, 'server-data');
    const server = new ChatServer({ port: 0, dataDir });
    await server.listen();
    const port = server.address.port;
    const bob = startClient(t, port, 'bob', ids[1]!);
    const state = ClientState.open(base, ids[0]!);
    const alice = new ChatClient({ host: '127.0.0.1', port, name: 'alice', identity: ids[0]!, state, backoff: { initialMs: 50, maxMs: 200 } });
    alice.start();
    t.after(() => alice.stop());
    await waitUntil(() => alice.state === 'online' && alice.peer('bob') !== undefined, 'alice online with bob');
    await server.close();
    await waitUntil(() => alice.state !== 'online', 'alice offline');
    for (const text of ['one', 'two', 'three']) assert.equal(alice.send('bob', text).status, 'queued');
    const again = new ChatServer({ port, dataDir });
    await again.listen();
    t.after(() => again.close());
    await waitUntil(() => ['one', 'two', 'three'].every((text) => bob.messages.some((m) => m.text === text)), 'bob to get the three');
    await alice.stop();
    const reopened = ClientState.open(base, ids[0]!);
    const texts = reopened.history().flatMap((record) => (record.kind === 'out' ? [record.text] : []));
    assert.deepEqual(texts, ['one', 'two', 'three'], 'each line once');
    assert.equal(reopened.search('o').filter((record) => record.kind === 'out').length, 2, ':search finds each once');
  });

  it('closes fast once clients hang up on the shutdown notice, queues what is typed meanwhile, and delivers it once back', async (t) => {
    const dataDir = mkdtempSync(joinPath(tmpdir(), 'tui-chat-store-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = new ChatServer({ port: 0, shutdownDrainMs: 5000, dataDir });
    const { port } = await server.listen();
    const alice = startClient(t, port, 'alice', ids[0]!);
    const bob = startClient(t, port, 'bob', ids[1]!);
    await waitUntil(() => alice.client.state === 'online' && bob.client.state === 'online' && alice.client.peers().length === 2, 'both online');
    for (let i = 0; i < 20; i++) alice.client.sendRoom(`before ${i}`);
    await waitUntil(() => bob.messages.length === 20, 'bob to have every message alice sent');
    const started = Date.now();
    // Both clients hang up on the notice, so the drain ends well before its 5 s.
    await server.close('restarting');
    assert.ok(Date.now() - started < 4000, `closed in ${Date.now() - started} ms`);
    await waitUntil(() => alice.client.state !== 'online', 'alice to notice');
    assert.equal(alice.client.sendRoom('while away').status, 'queued');
    await waitUntil(() => bob.messages.length === 20, 'bob to have every message alice sent before the notice');

    const flushed: number[] = [];
    alice.client.on('flushed', ({ count }) => flushed.push(count));
    const again = new ChatServer({ port, dataDir });
    await again.listen();
    t.after(() => again.close());
    // Whoever comes back first, bob gets it: the restarted server remembers him (same data dir)
    // and stores it for him if alice is back before him.
    await waitUntil(() => flushed.length > 0, 'the queued message to be sent after the restart', 15_000);
    assert.deepEqual(flushed, [1]);
    await waitUntil(() => bob.messages.some((m) => m.text === 'while away'), 'bob to get what alice typed while away', 15_000);
    assert.equal(bob.messages.filter((m) => m.text.startsWith('before')).length, 20, 'nothing sent before the notice was delivered twice');
    assert.equal(bob.messages.filter((m) => m.text === 'while away').length, 1);
  });

  it('tries the next server of the cluster when one is down', async (t) => {
    const up = await startServer(t);
    const down = new ChatServer({ port: 0 });
    const { port: downPort } = await down.listen();
    await down.close();
    const client = new ChatClient({
      host: '127.0.0.1',
      port: downPort,
      alternates: [{ host: '127.0.0.1', port: up.address.port }],
      name: 'carol',
      identity: ids[2]!,
      backoff: { initialMs: 20, maxMs: 50 },
    });
    client.start();
    t.after(() => client.stop());
    await waitUntil(() => client.state === 'online', 'carol online on the other server');
    assert.deepEqual(up.peerNames, ['carol']);
  });
});

describe('ChatClient and a changed server certificate', () => {
  it('refuses the wrong certificate without a word sent, says so once, and connects when the right server is back', async (t) => {
    const dir = makeTempDir(t);
    const [right, wrong] = await Promise.all([loadOrCreateServerCertificate(join(dir, 'right')), loadOrCreateServerCertificate(join(dir, 'wrong'))]);
    const impostor = new ChatServer({ port: 0, tls: wrong.certificate });
    const { port } = await impostor.listen();
    const knownServers = KnownServers.inMemory();
    await knownServers.pin(`127.0.0.1:${port}`, right.certificate.fingerprint);
    const client = new ChatClient({
      host: '127.0.0.1',
      port,
      name: 'alice',
      identity: ids[0]!,
      backoff: { initialMs: 20, maxMs: 100 },
      openStream: (host, p) => openTlsStream(host, p, { knownServers }),
    });
    const errors: string[] = [];
    const offline: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    client.on('state', (s) => s.state === 'offline' && offline.push(s.reason ?? ''));
    client.start();
    t.after(() => client.stop());
    await waitUntil(() => offline.length >= 3, 'several refused attempts');
    assert.ok(
      offline.every((reason) => /CHANGED/.test(reason)),
      'each says why',
    );
    assert.deepEqual(errors, [], 'no error event per retry: the state says it');
    assert.deepEqual(impostor.peerNames, [], 'nothing was sent to the impostor');
    await impostor.close();
    const honest = new ChatServer({ port, tls: right.certificate });
    await honest.listen();
    t.after(() => honest.close());
    await waitUntil(() => client.state === 'online', 'the client back on the right server', 15_000);
  });
});
