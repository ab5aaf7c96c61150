// ChatSession against a hostile server or member: what it refuses, and that one bad peer never
// stops the room for the others. The server here is scripted (spec/helpers/scripted-server.ts).
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type ChatMessageEvent, ChatSession, type SessionEvents } from '../../src/client/chat-session.js';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { ErrorCode } from '../../src/core/errors.js';
import { encodeFrame } from '../../src/core/frame-encoder.js';
import { FrameType } from '../../src/core/frame-types.js';
import type { Identity } from '../../src/core/identity.js';
import type { PeerSummary } from '../../src/core/messages.js';
import { signPrekey } from '../../src/core/prekey.js';
import { waitUntil, withTimeout } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';
import { peerSummary, playPeer, startScriptedServer } from '../helpers/scripted-server.js';

let alice: Identity;
let bob: Identity;
let mallory: Identity;

before(async () => {
  [alice, bob, mallory] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

/** bob's session on the scripted server, recording every event. */
function session(t: TestContext, port: number, options: { joinTimeoutMs?: number } = {}) {
  const chat = new ChatSession({ host: '127.0.0.1', port, name: 'bob', identity: bob, ...options });
  const events: Array<{ type: string; payload: unknown }> = [];
  for (const type of ['ready', 'join', 'message', 'error', 'disconnected'] as const) {
    chat.on(type, (payload: SessionEvents[typeof type]) => events.push({ type, payload }));
  }
  t.after(() => chat.close());
  const errors = () => events.filter((e) => e.type === 'error').map((e) => e.payload as SessionEvents['error']);
  const messages = () => events.filter((e) => e.type === 'message').map((e) => e.payload as ChatMessageEvent);
  return { chat, events, errors, messages };
}

/** A member whose X25519 prekey is all zeros (low order), correctly signed by its key. */
function lowOrderMember(name: string, identity: Identity): PeerSummary {
  const zeros = Buffer.alloc(32);
  return {
    name,
    publicKey: identity.publicKeyBase64,
    prekey: zeros.toString('base64'),
    prekeySig: signPrekey(identity.privateKey, name, zeros).toString('base64'),
    fingerprint: identity.fingerprint,
    joinedAt: 1,
  };
}

describe('ChatSession against a hostile member', () => {
  it('leaves out a member with a low-order prekey, says so, and the room still reaches everyone else', async (t) => {
    const server = await startScriptedServer(t, [peerSummary(['alice', alice]), lowOrderMember('mallory', mallory), peerSummary(['bob', bob])]);
    const { chat, errors } = session(t, server.port);
    await chat.connect();
    assert.ok(
      errors().some((e) => e.code === ErrorCode.PEER_PREKEY_INVALID && e.peer === 'mallory'),
      'the user is told about mallory',
    );
    const sent = chat.sendRoom('hello room');
    assert.deepEqual(sent.withheld, ['mallory']);
    await waitUntil(() => server.received.some((m) => m.type === 'send' && m.to === null), 'the room message');
    assert.ok(
      server.received.some((m) => m.type === 'send' && m.to === 'alice'),
      'alice got the sender key',
    );
    assert.throws(() => chat.sendDirect('mallory', 'hi'), { code: ErrorCode.PEER_PREKEY_INVALID });
  });

  it('keeps its sender-key memory within budget under junk grants, and still reads an honest member', async (t) => {
    const alicePrekey = generateX25519();
    const malloryPrekey = generateX25519();
    let honest: ReturnType<typeof playPeer> | undefined;
    const server = await startScriptedServer(
      t,
      [
        ['alice', alice, alicePrekey],
        ['mallory', mallory, malloryPrekey],
        ['bob', bob],
      ],
      (hello) => {
        honest = playPeer('alice', alice, alicePrekey, hello);
        const junk = playPeer('mallory', mallory, malloryPrekey, hello);
        const script = [honest.handover()];
        // 60 fresh chains from mallory, each used at n = 1,999: 1,999 held keys a chain if unbounded.
        for (let i = 0; i < 60; i++) {
          junk.rotate();
          script.push(junk.handover(), junk.room(`junk ${i}`, i, 1999));
        }
        script.push(honest.room('still readable', 0));
        return script;
      },
    );
    const { chat, messages } = session(t, server.port);
    await chat.connect();
    await waitUntil(() => messages().some((m) => m.text === 'still readable'), "alice's message after the junk", 30_000);
    const stats = chat.roomKeyStats;
    assert.ok(stats.chains <= 4 + 1, `at most 4 chains for mallory plus alice's one (got ${stats.chains})`);
    assert.ok(stats.skippedKeys <= 2000, `mallory holds at most 2,000 skipped keys (got ${stats.skippedKeys})`);
  });
});

describe('ChatSession against a hostile server', () => {
  it('refuses an entry under its own name with another key, and never shows messages "from itself"', async (t) => {
    const malloryPrekey = generateX25519();
    // The server lists itself (mallory's key) as "bob", then sends a room message as "bob".
    const server = await startScriptedServer(
      t,
      [
        ['alice', alice],
        ['bob', mallory, malloryPrekey],
      ],
      (hello) => {
        const forger = playPeer('bob', mallory, malloryPrekey, hello);
        return [forger.handover(), forger.room('I am you', 0)];
      },
    );
    const { chat, errors, messages } = session(t, server.port);
    await chat.connect();
    await waitUntil(() => errors().filter((e) => e.code !== ErrorCode.IMPERSONATION).length >= 1, 'the forged deliveries to be refused');
    assert.ok(errors().some((e) => e.code === ErrorCode.IMPERSONATION));
    assert.deepEqual(messages(), []);
    assert.equal(chat.peer('bob'), undefined, 'the forged entry is not listed');
  });

  it('hangs up on a welcome under a name it did not ask for', async (t) => {
    const server = await startScriptedServer(t, [['alice', alice]], () => [], { welcomeName: 'alice' });
    const { chat, errors } = session(t, server.port);
    await assert.rejects(chat.connect());
    assert.ok(errors().some((e) => e.code === ErrorCode.INVALID_MESSAGE && e.fatal));
  });

  it('cleans or refuses every server string before it can reach a terminal', async (t) => {
    const server = await startScriptedServer(t, [['bob', bob]], () => [
      { type: 'error', code: 'CHAT_ERR_X', message: 'red \u001b[31m\u009b5m blink \u009d0;title\u0007 done', fatal: false },
    ]);
    const { chat, errors, events } = session(t, server.port);
    await chat.connect();
    await waitUntil(() => errors().length === 1, 'the error');
    assert.equal(errors()[0]!.message, 'red  blink  done');
    // An error code or an ack name with control bytes is a broken server: it is hung up on.
    server.send(
      Buffer.from(encodeFrame(FrameType.CONTROL, Buffer.from(JSON.stringify({ type: 'ack', id: 'abc', delivered: 0, missing: ['\u009b2Jx'], unkeyed: [] })))),
    );
    await waitUntil(() => events.some((e) => e.type === 'disconnected'), 'the session to hang up');
  });

  it('gives up on a server that never lets it join', async (t) => {
    const server = await startScriptedServer(t, [], () => [], { silent: true });
    const { chat } = session(t, server.port, { joinTimeoutMs: 300 });
    await assert.rejects(withTimeout(chat.connect(), 'the join to time out', 5000), { code: ErrorCode.NOT_CONNECTED });
  });

  it('takes a welcome listing 900 peers (over 1 MiB), and holds media frames to the announced limit', async (t) => {
    const peers = Array.from({ length: 900 }, (_, i) => peerSummary([`p${i}`, mallory]));
    const server = await startScriptedServer(t, [...peers, peerSummary(['bob', bob])], () => [], { maxMediaFrameBytes: 64 * 1024 });
    const { chat, events } = session(t, server.port);
    await chat.connect();
    assert.equal(chat.peers().length, 901);
    server.send(encodeFrame(FrameType.MEDIA, Buffer.alloc(100 * 1024)));
    await waitUntil(() => events.some((e) => e.type === 'disconnected'), 'the oversize media frame to end the session');
  });
});

describe('ChatSession verification', () => {
  it('confirms only the key whose safety number was shown', async (t) => {
    const server = await startScriptedServer(t, [
      ['alice', alice],
      ['bob', bob],
    ]);
    const { chat } = session(t, server.port);
    await chat.connect();
    assert.throws(() => chat.verify('alice'), { code: ErrorCode.PEER_KEY_CHANGED }, 'no number shown yet');
    chat.safetyNumberWith('alice');
    // The server swaps alice's key between the number being shown and the confirm.
    server.send({ type: 'join', peer: peerSummary(['alice', mallory]) });
    await waitUntil(() => chat.peer('alice')?.fingerprint === mallory.fingerprint, 'the swapped key');
    assert.throws(() => chat.verify('alice'), { code: ErrorCode.PEER_KEY_CHANGED });
    assert.equal(chat.peer('alice')?.verified, false);
  });
});
