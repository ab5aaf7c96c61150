import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CryptoError, ErrorCode } from '../../src/core/errors.js';
import { type SealedMessage, openEnvelope, sealEnvelope } from '../../src/core/envelope.js';
import type { Identity } from '../../src/core/identity.js';
import type { Envelope } from '../../src/core/messages.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
let bob: Identity;
let carol: Identity;

before(async () => {
  [alice, bob, carol] = await Promise.all([testIdentity(0), testIdentity(1), testIdentity(2)]);
});

function sealFromAlice(to: string | null, recipients: Array<[string, Identity]>, text = 'meet at noon'): SealedMessage {
  return sealEnvelope({
    senderName: 'alice',
    senderKey: alice.privateKey,
    chain: 'chain1',
    seq: 0,
    to,
    recipients: recipients.map(([name, id]) => ({ name, publicKey: id.publicKey })),
    plaintext: Buffer.from(text),
  });
}

function openAs(name: string, who: Identity, sealed: SealedMessage, overrides: Partial<{ from: string; to: string | null; envelope: Envelope; key: string }> = {}): string {
  return openEnvelope({
    from: overrides.from ?? 'alice',
    to: overrides.to ?? null,
    envelope: overrides.envelope ?? sealed.envelope,
    senderPublicKey: alice.publicKey,
    key: { wrapped: overrides.key ?? sealed.keys[name]!, recipientKey: who.privateKey },
  }).toString();
}

function isInvalid(error: unknown): boolean {
  return error instanceof CryptoError && error.code === ErrorCode.ENVELOPE_INVALID;
}

/** Flips one bit in the middle of a base64 field. */
function flip(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[bytes.length >> 1]! ^= 0x01;
  return bytes.toString('base64');
}

describe('envelopes', () => {
  it('round-trips a direct message for its recipient', () => {
    const sealed = sealFromAlice('bob', [['bob', bob]]);
    assert.equal(openAs('bob', bob, sealed, { to: 'bob' }), 'meet at noon');
  });

  it('round-trips a room message for every member, each with its own wrapped key', () => {
    const sealed = sealFromAlice(null, [['bob', bob], ['carol', carol]]);
    assert.equal(openAs('bob', bob, sealed, { to: null }), 'meet at noon');
    assert.equal(openAs('carol', carol, sealed, { to: null }), 'meet at noon');
    assert.notEqual(sealed.keys['bob'], sealed.keys['carol']);
  });

  it('does not carry the plaintext anywhere in the envelope', () => {
    const sealed = sealFromAlice('bob', [['bob', bob]], 'the plaintext marker 12345');
    assert.ok(!JSON.stringify(sealed).includes('12345'));
  });

  it('uses a fresh id, key and nonce for every message', () => {
    const a = sealFromAlice('bob', [['bob', bob]]);
    const b = sealFromAlice('bob', [['bob', bob]]);
    assert.notEqual(a.envelope.id, b.envelope.id);
    assert.notEqual(a.envelope.iv, b.envelope.iv);
    assert.notEqual(a.envelope.ct, b.envelope.ct);
  });

  const TAMPERS: ReadonlyArray<[string, (s: SealedMessage) => Partial<{ from: string; to: string | null; envelope: Envelope; key: string }>]> = [
    ['a flipped ciphertext bit', (s) => ({ envelope: { ...s.envelope, ct: flip(s.envelope.ct) } })],
    ['a flipped nonce bit', (s) => ({ envelope: { ...s.envelope, iv: flip(s.envelope.iv) } })],
    ['a changed timestamp', (s) => ({ envelope: { ...s.envelope, ts: s.envelope.ts + 1 } })],
    ['a changed message id', (s) => ({ envelope: { ...s.envelope, id: 'AAAAAAAAAAAAAAAAAAAAAA' } })],
    ['a changed sequence number', (s) => ({ envelope: { ...s.envelope, seq: s.envelope.seq + 1 } })],
    ['a changed chain', (s) => ({ envelope: { ...s.envelope, chain: 'other' } })],
    ['a flipped signature bit', (s) => ({ envelope: { ...s.envelope, sig: flip(s.envelope.sig) } })],
    ['an empty signature', (s) => ({ envelope: { ...s.envelope, sig: '' } })],
    ['a different claimed sender', () => ({ from: 'mallory' })],
    ['a DM re-addressed as a room message', () => ({ to: null })],
    ['a DM re-addressed to someone else', () => ({ to: 'carol' })],
    ['a flipped wrapped-key bit', (s) => ({ key: flip(s.keys['bob']!) })],
    ['a ciphertext cut short', (s) => ({ envelope: { ...s.envelope, ct: Buffer.from(s.envelope.ct, 'base64').subarray(0, 4).toString('base64') } })],
  ];
  for (const [what, tamper] of TAMPERS) {
    it(`rejects ${what} with the same uninformative error`, () => {
      const sealed = sealFromAlice('bob', [['bob', bob]]);
      assert.throws(() => openAs('bob', bob, sealed, { to: 'bob', ...tamper(sealed) }), isInvalid);
    });
  }

  it('rejects a wrapped key the server substituted for one of its own making', () => {
    const sealed = sealFromAlice('bob', [['bob', bob]]);
    const forged = sealEnvelope({ senderName: 'x', senderKey: carol.privateKey, chain: 'c', seq: 0, to: 'bob', recipients: [{ name: 'bob', publicKey: bob.publicKey }], plaintext: Buffer.from('evil') });
    assert.throws(() => openAs('bob', bob, sealed, { to: 'bob', key: forged.keys['bob']! }), isInvalid);
  });

  it('does not let a third party decrypt with its own key', () => {
    const sealed = sealFromAlice('bob', [['bob', bob]]);
    assert.throws(() => openAs('bob', carol, sealed, { to: 'bob' }), isInvalid);
  });

  it('rejects a message signed by someone other than the claimed sender', () => {
    const sealed = sealEnvelope({ senderName: 'alice', senderKey: carol.privateKey, chain: 'c', seq: 0, to: 'bob', recipients: [{ name: 'bob', publicKey: bob.publicKey }], plaintext: Buffer.from('hi') });
    assert.throws(() => openAs('bob', bob, sealed, { to: 'bob' }), isInvalid);
  });
});

describe('envelope opener under arbitrary input', () => {
  it('throws only CryptoError, whatever the envelope, wrapped key and addressing', async () => {
    const { default: fc } = await import('fast-check');
    const base64 = fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64'));
    fc.assert(
      fc.property(
        fc.record({ id: fc.string({ maxLength: 30 }), ts: fc.nat(), chain: fc.string({ maxLength: 12 }), seq: fc.nat(), iv: base64, ct: base64, sig: base64 }),
        base64,
        fc.option(fc.string({ maxLength: 10 }), { nil: null }),
        (envelope, wrappedKey, to) => {
          try {
            openEnvelope({ from: 'alice', to, envelope, senderPublicKey: alice.publicKey, key: { wrapped: wrappedKey, recipientKey: bob.privateKey } });
            assert.fail('an arbitrary envelope opened');
          } catch (error) {
            assert.ok(error instanceof CryptoError && error.code === ErrorCode.ENVELOPE_INVALID, String(error));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
