import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it, type TestContext } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { encodeFrame } from '../../src/core/frame-encoder.js';
import { FrameType } from '../../src/core/frame-types.js';
import type { Identity } from '../../src/core/identity.js';
import { createLineLogger } from '../../src/core/logger.js';
import { PROTOCOL_VERSION } from '../../src/core/messages.js';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { buildHello } from '../../src/core/prekey.js';
import { ChatServer } from '../../src/server/chat-server.js';
import type { ServerLimits } from '../../src/server/server-limits.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';

const hello = (identity: Identity, name: string) => buildHello(identity, name, generateX25519());

let alice: Identity;
let bob: Identity;
let carol: Identity;

before(async () => {
  [alice, bob, carol] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

async function startServer(t: TestContext, limits: Partial<ServerLimits> = {}): Promise<{ server: ChatServer; port: number; logs: string[] }> {
  const logs: string[] = [];
  const server = new ChatServer({ port: 0, limits, logger: createLineLogger((line) => logs.push(line), 'debug') });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port, logs };
}

/** A fake envelope: the server cannot read envelopes, so routing tests need no real crypto. */
function envelope(id: string) {
  return { id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(24).toString('base64'), sig: 'c2ln' };
}

/** Proves the room still works: alice's room message reaches bob. */
async function assertRoomStillWorks(port: number, id: string): Promise<void> {
  const a = await RawClient.join(port, `ok-a-${id}`, alice);
  const b = await RawClient.join(port, `ok-b-${id}`, bob);
  a.send({ type: 'send', to: null, envelope: envelope(id) });
  const delivered = await b.next('message');
  assert.equal(delivered.envelope.id, id);
  a.close();
  b.close();
}

describe('ChatServer join handshake', () => {
  it('welcomes a client that signs the challenge and announces it to the others', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const join = await a.next('join');
    assert.equal(join.peer.name, 'bob');
    assert.equal(join.peer.fingerprint, bob.fingerprint);
    b.close();
    assert.equal((await a.nextGone()).name, 'bob');
    a.close();
  });

  it('relays an away message to everyone, lists it for who joins later, and forgets it when its owner leaves', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    await a.next('join');
    b.send({ type: 'away', message: 'at lunch\u001b[31m' });
    assert.deepEqual(await a.next('away'), { type: 'away', name: 'bob', message: 'at lunch' }, 'escape sequences dropped');
    assert.equal((await b.next('away')).name, 'bob', 'the sender hears it too');
    const c = await RawClient.join(port, 'carol', carol);
    assert.equal(c.welcome?.peers.find((p) => p.name === 'bob')?.away, 'at lunch');
    b.send({ type: 'away', message: '' });
    assert.deepEqual(await c.next('away'), { type: 'away', name: 'bob', message: '' });
    b.send({ type: 'away', message: 'x'.repeat(121) });
    assert.equal((await b.next('error')).code, ErrorCode.INVALID_MESSAGE, 'a message over MAX_AWAY_CHARS is refused');
    for (const client of [a, b, c]) client.close();
  });

  it('lists everyone online in the welcome', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const c = await RawClient.open(port);
    c.send({ ...hello(carol, 'carol') });
    const { nonce } = await c.next('challenge');
    const { signJoinChallenge } = await import('../../src/core/join-proof.js');
    c.send({ type: 'auth', signature: signJoinChallenge(carol.privateKey, Buffer.from(nonce, 'base64'), 'carol', carol.publicKeyDer).toString('base64') });
    const welcome = await c.next('welcome');
    assert.deepEqual(
      welcome.peers.map((p) => p.name),
      ['alice', 'carol'],
    );
    a.close();
    c.close();
  });

  it('refuses a client that signs with a key other than the one it announced', async (t) => {
    const { port, server } = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ ...hello(alice, 'mallory') });
    const { nonce } = await c.next('challenge');
    const { signJoinChallenge } = await import('../../src/core/join-proof.js');
    c.send({ type: 'auth', signature: signJoinChallenge(bob.privateKey, Buffer.from(nonce, 'base64'), 'mallory', alice.publicKeyDer).toString('base64') });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.AUTH_FAILED);
    assert.equal(error.fatal, true);
    await c.waitClosed();
    assert.deepEqual(server.peerNames, []);
  });

  it('refuses a taken name without dropping the connection, so the client can pick another', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const c = await RawClient.open(port);
    c.send({ ...hello(bob, 'ALICE') });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.NAME_TAKEN);
    assert.equal(error.fatal, false);
    c.send({ ...hello(bob, 'bob') });
    await c.next('challenge');
    a.close();
    c.close();
  });

  it('refuses an invalid name with a clear reason', async (t) => {
    const { port } = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ ...hello(bob, 'evil\u001b[2J') });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.NAME_INVALID);
    assert.match(error.message, /1-32 characters/);
    c.close();
  });

  it('refuses another protocol version with an error that names both versions', async (t) => {
    const { port } = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ ...hello(bob, 'future'), version: PROTOCOL_VERSION + 1 });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.VERSION_MISMATCH);
    assert.match(error.message, new RegExp(`${PROTOCOL_VERSION}.*${PROTOCOL_VERSION + 1}`));
    await c.waitClosed();
  });

  it('refuses a prekey not signed by the announced identity key', async (t) => {
    const { port } = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ ...hello(alice, 'mallory'), prekeySig: hello(bob, 'mallory').prekeySig });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.INVALID_MESSAGE);
    assert.match(error.message, /prekey/);
    await c.waitClosed();
  });

  it('refuses a public key that is not a usable RSA key', async (t) => {
    const { port } = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ ...hello(bob, 'x'), publicKey: Buffer.from('not a key').toString('base64') });
    assert.equal((await c.next('error')).code, ErrorCode.INVALID_MESSAGE);
    await c.waitClosed();
  });

  it('drops a client that does not finish joining within the handshake timeout', async (t) => {
    const { port } = await startServer(t, { handshakeTimeoutMs: 200 });
    const c = await RawClient.open(port);
    assert.equal((await c.next('error')).code, ErrorCode.HANDSHAKE_TIMEOUT);
    await c.waitClosed();
  });

  it('refuses connections over the client limit and serves again once one leaves', async (t) => {
    const { port } = await startServer(t, { maxClients: 2 });
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const c = await RawClient.open(port);
    assert.equal((await c.next('error')).code, ErrorCode.SERVER_FULL);
    await c.waitClosed();
    b.close();
    await a.nextGone();
    const again = await RawClient.join(port, 'carol', carol);
    again.close();
    a.close();
  });
});

describe('ChatServer routing', () => {
  it('fans a room message out to every member, and acks the sender with who got it', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const c = await RawClient.join(port, 'carol', carol);
    a.send({ type: 'send', to: null, envelope: envelope('room1') });
    const forBob = await b.next('message');
    const forCarol = await c.next('message');
    assert.equal(forBob.envelope.id, 'room1');
    assert.equal(forCarol.envelope.id, 'room1');
    assert.equal(forBob.from, 'alice');
    assert.equal(forBob.to, null);
    const ack = await a.next('ack');
    assert.deepEqual({ sent: [...ack.sent].sort(), stored: ack.stored, refused: ack.refused }, { sent: ['bob', 'carol'], stored: [], refused: [] });
    for (const client of [a, b, c]) client.close();
  });

  it('tells the sender when each recipient has kept it (receipts), batched', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    a.send({ type: 'send', to: null, envelope: envelope('room2') });
    await b.next('message');
    await a.next('ack');
    b.send({ type: 'received', ids: ['room2'] });
    const receipts = await a.next('receipts');
    assert.deepEqual(receipts.receipts, [{ id: 'room2', name: 'bob', state: 'delivered' }]);
    a.close();
    b.close();
  });

  it('delivers a DM to its recipient only', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const c = await RawClient.join(port, 'carol', carol);
    a.send({ type: 'send', to: 'bob', envelope: envelope('dm1') });
    assert.equal((await b.next('message')).to, 'bob');
    assert.deepEqual((await a.next('ack')).sent, ['bob']);
    a.send({ type: 'send', to: null, envelope: envelope('marker') });
    assert.equal((await c.next('message')).envelope.id, 'marker', 'carol saw the later room message and nothing before it');
    for (const client of [a, b, c]) client.close();
  });

  it('refuses a DM to nobody, and to yourself, per recipient in the ack', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    a.send({ type: 'send', to: 'nobody', envelope: envelope('dm2') });
    const ack = await a.next('ack');
    assert.equal(ack.id, 'dm2');
    assert.equal(ack.refused[0]?.name, 'nobody');
    assert.equal(ack.refused[0]?.code, ErrorCode.NO_SUCH_PEER);
    a.send({ type: 'send', to: 'ALICE', envelope: envelope('dm3') });
    assert.match((await a.next('ack')).refused[0]?.reason ?? '', /that is you/);
    a.close();
  });

  it('refuses to route for a client that has not joined', async (t) => {
    const { port } = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ type: 'send', to: null, envelope: envelope('x') });
    assert.equal((await c.next('error')).code, ErrorCode.UNEXPECTED_MESSAGE);
    await c.waitClosed();
  });

  it('answers ping with pong', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    a.send({ type: 'ping', nonce: 42 });
    assert.equal((await a.next('pong')).nonce, 42);
    a.close();
  });
});

describe('ChatServer under hostile input', () => {
  const HOSTILE: ReadonlyArray<[string, () => Buffer, ErrorCode]> = [
    ['announces a frame over the limit', () => Buffer.from([0x7f, 0xff, 0xff, 0xff, FrameType.CONTROL]), ErrorCode.FRAME_TOO_LARGE],
    ['sends a media frame, which clients may not', () => encodeFrame(FrameType.MEDIA, Buffer.alloc(4)), ErrorCode.UNKNOWN_FRAME_TYPE],
    ['sends an unknown frame type', () => Buffer.from([0, 0, 0, 2, 0x42, 0x7b, 0x7d]), ErrorCode.UNKNOWN_FRAME_TYPE],
    ['sends invalid JSON', () => encodeFrame(FrameType.CONTROL, Buffer.from('{"type": hello')), ErrorCode.INVALID_JSON],
    ['sends an unknown message type', () => encodeFrame(FrameType.CONTROL, Buffer.from('{"type":"rm -rf"}')), ErrorCode.UNKNOWN_MESSAGE],
    ['sends a message with wrong field types', () => encodeFrame(FrameType.CONTROL, Buffer.from('{"type":"hello","version":"1"}')), ErrorCode.INVALID_MESSAGE],
    ['sends garbage bytes', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), ErrorCode.UNKNOWN_FRAME_TYPE],
  ];
  for (const [what, bytes, code] of HOSTILE) {
    it(`drops a client that ${what}, with ${code}, while others carry on`, async (t) => {
      const { port, server } = await startServer(t, { maxControlFrameBytes: 64 * 1024 });
      const a = await RawClient.join(port, 'alice', alice);
      const hostile = await RawClient.open(port);
      hostile.sendBytes(bytes());
      const error = await hostile.next('error');
      assert.equal(error.code, code);
      assert.equal(error.fatal, true);
      await hostile.waitClosed();
      assert.deepEqual(server.peerNames, ['alice']);
      await assertRoomStillWorks(port, 'after-hostile');
      a.close();
    });
  }

  it('survives arbitrary bytes from arbitrary connections (property test over real sockets)', async (t) => {
    const { default: fc } = await import('fast-check');
    const { port } = await startServer(t, { maxClientsPerAddress: 1000 });
    const a = await RawClient.join(port, 'alice', alice);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }), async (chunks) => {
        const hostile = await RawClient.open(port);
        for (const chunk of chunks) hostile.sendBytes(Buffer.from(chunk));
        hostile.socket.end();
        await hostile.waitClosed();
      }),
      { numRuns: 60 },
    );
    a.send({ type: 'ping', nonce: 77 });
    assert.equal((await a.next('pong')).nonce, 77, 'the server still serves the well-behaved client');
    await assertRoomStillWorks(port, 'after-fuzz');
    a.close();
  });

  it('drops a joined client that turns hostile and tells the others it left', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const m = await RawClient.join(port, 'mallory', bob);
    m.sendBytes(randomBytes(64));
    await m.waitClosed();
    assert.equal((await a.nextGone()).name, 'mallory');
    a.close();
  });

  it('forgets a client that vanishes mid-frame and tells the others', async (t) => {
    const { port } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    b.sendBytes(encodeFrame(FrameType.CONTROL, Buffer.from('{"type":"ping","nonce":1}')).subarray(0, 9));
    b.socket.destroy();
    assert.equal((await a.nextGone()).name, 'bob');
    await assertRoomStillWorks(port, 'after-vanish');
    a.close();
  });

  it('drops a client that stops reading instead of queueing for it without bound', async (t) => {
    const maxQueueBytes = 256 * 1024;
    // Flood control off: this test floods on purpose, to fill the slow reader's queue.
    const { port, logs } = await startServer(t, { maxQueueBytes, messagesPerSecond: 1e6, messageBurst: 1e6, bytesPerSecond: 1 << 30, byteBurst: 1 << 30 });
    const sender = await RawClient.join(port, 'alice', alice);
    const slow = await RawClient.join(port, 'slow', bob);
    const reader = await RawClient.join(port, 'reader', carol);
    slow.socket.pause(); // stops reading: its kernel buffers fill, then the server's queue
    const big = randomBytes(30_000).toString('base64');
    let sent = 0;
    // Keep sending until the server gives up on the slow reader (bounded: at most 2,000 messages).
    while (!logs.some((line) => line.includes('client.slow_reader')) && sent < 2000) {
      sender.send({ type: 'send', to: null, envelope: { ...envelope(`flood${sent}`), ct: big } });
      sent++;
      // Paced by the reader, not the clock: once it has every message so far, the server has
      // handled them all, so the slow reader's queue grew by each one whatever the machine's load.
      if (sent % 20 === 0) await waitUntil(() => reader.received.filter((m) => m.type === 'message').length >= sent, 'the reader to keep up');
    }
    await waitUntil(() => logs.some((line) => line.includes('client.slow_reader')), 'the slow reader to be dropped');
    assert.ok(sent < 2000, 'the slow reader was dropped before the flood ended');
    await waitUntil(() => reader.received.filter((m) => m.type === 'message').length === sent, 'the reader to get every message');
    assert.equal((await reader.nextGone()).name, 'slow', 'the others hear the slow reader went');
    for (const client of [sender, slow, reader]) client.close();
  });

  it('sends every client a shutdown notice when closed', async (t) => {
    const server = new ChatServer({ port: 0 });
    const { port } = await server.listen();
    const a = await RawClient.join(port, 'alice', alice);
    await server.close('maintenance');
    assert.equal((await a.next('shutdown')).reason, 'maintenance');
    await a.waitClosed();
    t.diagnostic('server closed cleanly');
  });

  it('never writes envelope contents or keys to its log', async (t) => {
    const { port, logs } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const env = envelope('secretid');
    a.send({ type: 'send', to: 'bob', envelope: env });
    await b.next('message');
    a.sendBytes(Buffer.from('garbage!'));
    await a.waitClosed();
    const all = logs.join('');
    assert.ok(all.includes('client.joined'), 'the log is being written');
    for (const secret of [env.ct, 'd3JhcHBlZGtleQ==', alice.publicKeyBase64, 'garbage!']) assert.ok(!all.includes(secret));
    b.close();
  });
});

describe('ChatServer flood control and timeouts', () => {
  it('lets a paste of 20 lines through at once with the default limits', async (t) => {
    const { port, logs } = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    for (let i = 0; i < 20; i++) a.send({ type: 'send', to: null, envelope: envelope(`paste${i}`) });
    await waitUntil(() => b.received.filter((m) => m.type === 'message').length === 20, 'the 20 lines');
    assert.ok(!logs.some((line) => line.includes('client.throttled')), 'nobody was throttled');
    a.close();
    b.close();
  });

  it('slows a flooding client down instead of kicking it, and delivers everything it sent', async (t) => {
    const { port, logs } = await startServer(t, { messagesPerSecond: 50, messageBurst: 10 });
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const started = Date.now();
    for (let i = 0; i < 60; i++) a.send({ type: 'send', to: null, envelope: envelope(`flood${i}`) });
    await waitUntil(() => b.received.filter((m) => m.type === 'message').length === 60, 'all 60 messages');
    // 50 messages over the burst at 50 a second: about a second, however fast the machine.
    assert.ok(Date.now() - started >= 700, `took ${Date.now() - started} ms`);
    assert.ok(logs.some((line) => line.includes('client.throttled') && line.includes('name=alice')));
    a.send({ type: 'ping', nonce: 9 });
    assert.equal((await a.next('pong')).nonce, 9, 'still connected');
    a.close();
    b.close();
  });

  it('handles a batch of DMs as one message of flood control, each DM acked and delivered in order', async (t) => {
    const { port, logs } = await startServer(t, { messagesPerSecond: 1, messageBurst: 6 });
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    const sends = Array.from({ length: 20 }, (_, i) => ({ type: 'send' as const, to: 'bob', envelope: envelope(`batched${i}`) }));
    a.send({ type: 'send-batch', sends });
    await waitUntil(() => b.received.filter((m) => m.type === 'message').length === 20, 'the 20 DMs');
    assert.deepEqual(
      b.received.flatMap((m) => (m.type === 'message' ? [m.envelope.id] : [])),
      sends.map((send) => send.envelope.id),
      'in order',
    );
    await waitUntil(() => a.received.filter((m) => m.type === 'ack').length === 20, 'an ack for each');
    assert.ok(!logs.some((line) => line.includes('client.throttled') && line.includes('name=alice')), 'one frame, not 20 messages of flood control');
    a.close();
    b.close();
  });

  it('gives a connection that hangs up and comes back no fresh burst, under another name too', async (t) => {
    // A slow refill (2 a second), so what a connection starts with is plain to see.
    const { server, port, logs } = await startServer(t, { messagesPerSecond: 2, messageBurst: 12 });
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    for (let i = 0; i < 10; i++) a.send({ type: 'send', to: null, envelope: envelope(`burst${i}`) });
    await waitUntil(() => b.received.filter((m) => m.type === 'message').length === 10, 'the burst');
    a.close();
    // The server has closed her connection (and kept what it had left) once only bob's is open.
    await waitUntil(() => server.connectionCount === 1, 'alice gone');
    // Another name from the same address: it starts where alice left off (about empty), so even
    // its join waits for the refill; with a fresh burst of 12 it would not wait at all.
    const again = await RawClient.join(port, 'mallet', carol);
    const port2 = again.socket.localPort;
    assert.ok(
      logs.some((line) => line.includes('client.throttled') && line.includes(`:${port2} `)),
      `the new connection was made to wait (${logs.filter((line) => line.includes('throttled')).join(' | ')})`,
    );
    again.close();
    b.close();
  });

  it('drops a joined client that stays silent past the idle timeout', async (t) => {
    const { port } = await startServer(t, { idleTimeoutMs: 300 });
    const a = await RawClient.join(port, 'alice', alice);
    assert.equal((await a.next('error')).code, ErrorCode.IDLE_TIMEOUT);
    await a.waitClosed();
  });

  it('refuses more connections from one address than allowed', async (t) => {
    const { port } = await startServer(t, { maxClientsPerAddress: 2 });
    const a = await RawClient.open(port);
    const b = await RawClient.open(port);
    const c = await RawClient.open(port);
    assert.equal((await c.next('error')).code, ErrorCode.TOO_MANY_FROM_ADDRESS);
    await c.waitClosed();
    a.close();
    b.close();
  });
});
