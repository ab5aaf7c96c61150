import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DoubleRatchet, MAX_SKIPPED_KEYS, type RatchetHeader, exportX25519, generateX25519, importX25519, x25519 } from '../../src/core/double-ratchet.js';
import { ErrorCode } from '../../src/core/errors.js';
import { initiateSession, responderSecret } from '../../src/core/session-start.js';

/** Alice starts a session from Bob's signed (and one-time) prekey; Bob starts his side from her first header. */
function pair(withOneTime = true): [DoubleRatchet, DoubleRatchet] {
  const aliceSpk = generateX25519();
  const bobSpk = generateX25519();
  const bobOpk = generateX25519();
  const alice = initiateSession(
    { name: 'alice', spk: aliceSpk },
    { name: 'bob', spk: bobSpk.publicRaw, ...(withOneTime ? { opk: { id: 'o1', key: bobOpk.publicRaw } } : {}) },
  );
  const secret = responderSecret(
    { name: 'bob', spk: bobSpk, ...(withOneTime ? { opk: bobOpk } : {}) },
    { name: 'alice', spk: aliceSpk.publicRaw, base: Buffer.from(alice.sessionId, 'base64') },
  );
  return [alice, DoubleRatchet.asResponder(secret, bobSpk, alice.sessionId)];
}

interface Sealed {
  readonly header: RatchetHeader;
  readonly iv: Buffer;
  readonly ct: Buffer;
}

function send(from: DoubleRatchet, text: string): Sealed {
  const { header, messageKey } = from.nextSendingKey();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', messageKey, iv);
  const ct = Buffer.concat([cipher.update(text), cipher.final(), cipher.getAuthTag()]);
  return { header, iv, ct };
}

function receive(to: DoubleRatchet, sealed: Sealed): string {
  const { messageKey, commit } = to.receivingKey(sealed.header);
  const decipher = createDecipheriv('aes-256-gcm', messageKey, sealed.iv);
  decipher.setAuthTag(sealed.ct.subarray(sealed.ct.length - 16));
  const text = Buffer.concat([decipher.update(sealed.ct.subarray(0, sealed.ct.length - 16)), decipher.final()]).toString();
  commit();
  return text;
}

describe('X25519 key pairs', () => {
  it('take the raw public key node:crypto exports (computed as a Diffie-Hellman with the base point), fresh or imported', () => {
    for (let i = 0; i < 200; i++) {
      const pair = generateX25519();
      const exported = createPublicKey(pair.privateKey).export({ type: 'spki', format: 'der' }).subarray(12);
      assert.deepEqual(pair.publicRaw, exported);
      assert.deepEqual(importX25519(exportX25519(pair)).publicRaw, exported);
    }
  });
});

describe('DoubleRatchet', () => {
  it("starts from the initiator's first message, with or without a one-time prekey; then both may send at once", () => {
    for (const withOneTime of [true, false]) {
      const [alice, bob] = pair(withOneTime);
      assert.equal(bob.canSend, false, 'the responder waits for the first message');
      assert.throws(() => send(bob, 'too early'), { code: ErrorCode.ENVELOPE_INVALID });
      const first = send(alice, 'alice first');
      assert.equal(first.header.sid, alice.sessionId);
      assert.notEqual(first.header.init, undefined, 'the start travels with every message until an answer');
      assert.equal(receive(bob, first), 'alice first');
      const fromBob = send(bob, 'bob');
      const fromAlice = send(alice, 'alice at the same time');
      assert.equal(receive(alice, fromBob), 'bob');
      assert.equal(receive(bob, fromAlice), 'alice at the same time');
      assert.equal(send(alice, 'answered').header.init, undefined, 'once answered, the start is left out');
    }
  });

  it('gives different secrets to a responder who uses the wrong one-time prekey', () => {
    const aliceSpk = generateX25519();
    const bobSpk = generateX25519();
    const alice = initiateSession({ name: 'alice', spk: aliceSpk }, { name: 'bob', spk: bobSpk.publicRaw, opk: { id: 'o1', key: generateX25519().publicRaw } });
    const wrong = responderSecret(
      { name: 'bob', spk: bobSpk, opk: generateX25519() },
      { name: 'alice', spk: aliceSpk.publicRaw, base: Buffer.from(alice.sessionId, 'base64') },
    );
    assert.throws(() => receive(DoubleRatchet.asResponder(wrong, bobSpk, alice.sessionId), send(alice, 'secret')));
  });

  it('turns to a fresh DH key on every turn of the conversation', () => {
    const [alice, bob] = pair();
    const keys = new Set<string>();
    for (let turn = 0; turn < 4; turn++) {
      const a = send(alice, `a${turn}`);
      keys.add(a.header.dh);
      receive(bob, a);
      const b = send(bob, `b${turn}`);
      keys.add(b.header.dh);
      receive(alice, b);
    }
    assert.equal(keys.size, 8, 'a new ratchet key each turn, each side');
  });

  it('decrypts out-of-order messages from stored keys, once', () => {
    const [alice, bob] = pair();
    const messages = ['m0', 'm1', 'm2', 'm3'].map((text) => send(alice, text));
    assert.equal(receive(bob, messages[3]!), 'm3');
    assert.equal(receive(bob, messages[1]!), 'm1');
    assert.equal(receive(bob, messages[0]!), 'm0');
    assert.equal(receive(bob, messages[2]!), 'm2');
    assert.throws(() => receive(bob, messages[2]!), { code: ErrorCode.ENVELOPE_INVALID }, 'a replay finds no key');
  });

  it('keeps messages from before a DH turn readable after it', () => {
    const [alice, bob] = pair();
    const late = send(alice, 'sent before the turn');
    receive(bob, send(alice, 'first'));
    receive(alice, send(bob, 'reply'));
    receive(bob, send(alice, 'after the turn'));
    assert.equal(receive(bob, late), 'sent before the turn');
  });

  it('refuses a header that would need more than the skipped-key bound', () => {
    const [alice, bob] = pair();
    const first = send(alice, 'first');
    receive(bob, first);
    const far: RatchetHeader = { ...first.header, n: MAX_SKIPPED_KEYS + 5 };
    assert.throws(() => bob.receivingKey(far), { code: ErrorCode.ENVELOPE_INVALID });
  });

  it('does not advance on a forged header that fails to decrypt', () => {
    const [alice, bob] = pair();
    const real = send(alice, 'real');
    const forged: Sealed = { ...real, ct: randomBytes(real.ct.length) };
    assert.throws(() => receive(bob, forged));
    assert.equal(receive(bob, real), 'real', 'the real message still opens');
  });

  it('refuses an all-zero Diffie-Hellman result (a low-order public key)', () => {
    assert.throws(() => x25519(generateX25519().privateKey, Buffer.alloc(32)), { code: ErrorCode.ENVELOPE_INVALID });
  });

  it('gives a third party with its own prekey nothing', () => {
    const [alice] = pair();
    const eveSpk = generateX25519();
    const eve = DoubleRatchet.asResponder(
      responderSecret({ name: 'bob', spk: eveSpk }, { name: 'alice', spk: generateX25519().publicRaw, base: Buffer.from(alice.sessionId, 'base64') }),
      eveSpk,
      alice.sessionId,
    );
    assert.throws(() => receive(eve, send(alice, 'secret')));
  });
});
