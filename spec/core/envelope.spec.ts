import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { type MessageKeySource, type SealInput, openEnvelope, sealEnvelope, sealEnvelopes } from '../../src/core/envelope.js';
import { MAX_BATCH_LEAVES } from '../../src/core/batch-signature.js';
import { CryptoError, ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import type { Envelope } from '../../src/core/messages.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
let carol: Identity;

before(async () => {
  [alice, carol] = await Promise.all([testIdentity(0), testIdentity(2)]);
});

/** The message key a ratchet or sender-key chain would give; fixed here, the envelope is the subject. */
const KEY = Buffer.alloc(32, 0x42);
const DM_KEY: MessageKeySource = {
  ratchet: { header: { sid: generateX25519().publicRaw.toString('base64'), dh: generateX25519().publicRaw.toString('base64'), pn: 0, n: 3 }, messageKey: KEY },
};
const ROOM_KEY: MessageKeySource = { roomKey: { header: { id: 'chain-id', n: 5 }, messageKey: KEY } };

function seal(to: string | null, text = 'meet at noon', signer: Identity = alice): Envelope {
  return sealEnvelope({
    senderName: 'alice',
    senderKey: signer.privateKey,
    chain: 'chain1',
    seq: 0,
    to,
    plaintext: Buffer.from(text),
    ...(to === null ? ROOM_KEY : DM_KEY),
  });
}

function open(envelope: Envelope, overrides: Partial<{ from: string; to: string | null; messageKey: Buffer }> = {}, to: string | null = 'bob'): string {
  return openEnvelope({
    from: overrides.from ?? 'alice',
    to: 'to' in overrides ? (overrides.to ?? null) : to,
    envelope,
    senderPublicKey: alice.publicKey,
    messageKey: overrides.messageKey ?? KEY,
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
  it('round-trips a direct message (ratchet header) and a room message (sender-key header)', () => {
    const dm = seal('bob');
    assert.deepEqual(dm.ratchet, { ...('ratchet' in DM_KEY ? DM_KEY.ratchet.header : {}) });
    assert.equal(open(dm), 'meet at noon');
    const room = seal(null);
    assert.deepEqual(room.senderKey, { id: 'chain-id', n: 5 });
    assert.equal(open(room, {}, null), 'meet at noon');
  });

  it('does not carry the plaintext anywhere in the envelope', () => {
    assert.ok(!JSON.stringify(seal('bob', 'the plaintext marker 12345')).includes('12345'));
  });

  it('uses a fresh id and nonce for every message', () => {
    const a = seal('bob');
    const b = seal('bob');
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.ct, b.ct);
  });

  const TAMPERS: ReadonlyArray<[string, (e: Envelope) => [Envelope, Partial<{ from: string; to: string | null; messageKey: Buffer }>]]> = [
    ['a flipped ciphertext bit', (e) => [{ ...e, ct: flip(e.ct) }, {}]],
    ['a flipped nonce bit', (e) => [{ ...e, iv: flip(e.iv) }, {}]],
    ['a changed timestamp', (e) => [{ ...e, ts: e.ts + 1 }, {}]],
    ['a changed message id', (e) => [{ ...e, id: 'AAAAAAAAAAAAAAAAAAAAAA' }, {}]],
    ['a changed sequence number', (e) => [{ ...e, seq: e.seq + 1 }, {}]],
    ['a changed chain', (e) => [{ ...e, chain: 'other' }, {}]],
    ['a changed ratchet header', (e) => [{ ...e, ratchet: { ...e.ratchet!, n: e.ratchet!.n + 1 } }, {}]],
    ['a ratchet header removed', (e) => [{ ...e, ratchet: undefined }, {}]],
    ['a flipped signature bit', (e) => [{ ...e, sig: flip(e.sig) }, {}]],
    ['an empty signature', (e) => [{ ...e, sig: '' }, {}]],
    ['a different claimed sender', (e) => [e, { from: 'mallory' }]],
    ['a DM re-addressed as a room message', (e) => [e, { to: null }]],
    ['a DM re-addressed to someone else', (e) => [e, { to: 'carol' }]],
    ['the wrong message key', (e) => [e, { messageKey: Buffer.alloc(32, 1) }]],
    ['a ciphertext cut short', (e) => [{ ...e, ct: Buffer.from(e.ct, 'base64').subarray(0, 4).toString('base64') }, {}]],
  ];
  for (const [what, tamper] of TAMPERS) {
    it(`rejects ${what} with the same uninformative error`, () => {
      const [envelope, overrides] = tamper(seal('bob'));
      assert.throws(() => open(envelope, overrides), isInvalid);
    });
  }

  it('rejects a room message whose sender-key header was changed', () => {
    const room = seal(null);
    assert.throws(() => open({ ...room, senderKey: { id: 'chain-id', n: 6 } }, {}, null), isInvalid);
  });

  it('rejects a message signed by someone other than the claimed sender', () => {
    assert.throws(() => open(seal('bob', 'hi', carol)), isInvalid);
  });
});

describe('envelopes sealed as a batch (one signature for many)', () => {
  const input = (to: string, text: string, signer: Identity = alice): SealInput => ({
    senderName: 'alice',
    senderKey: signer.privateKey,
    chain: 'chain1',
    seq: 0,
    to,
    plaintext: Buffer.from(text),
    ...DM_KEY,
  });
  const names = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

  it('each member opens its own envelope; the batch shares one signature per MAX_BATCH_LEAVES', () => {
    const to = names(MAX_BATCH_LEAVES + 3);
    const sealed = sealEnvelopes(to.map((name) => input(name, `for ${name}`)));
    for (const [i, name] of to.entries()) assert.equal(open(sealed[i]!, {}, name), `for ${name}`);
    assert.equal(new Set(sealed.map((e) => e.sig)).size, 2);
    assert.equal(sealed[0]!.batch?.n, MAX_BATCH_LEAVES);
    assert.equal(sealed.at(-1)!.batch?.n, 3);
  });

  it('a lone envelope is signed as one, without a proof', () => {
    const [only] = sealEnvelopes([input('bob', 'hi')]);
    assert.equal(only!.batch, undefined);
    assert.equal(open(only!), 'hi');
  });

  it('an envelope moved to another member, given another place, or signed by someone else does not open', () => {
    const sealed = sealEnvelopes(names(5).map((name) => input(name, 'key')));
    const first = sealed[0]!;
    assert.throws(() => open(first, {}, 'm1'), isInvalid);
    assert.throws(() => open({ ...first, batch: { ...first.batch!, i: 1 } }, {}, 'm0'), isInvalid);
    assert.throws(() => open({ ...first, batch: { ...first.batch!, path: first.batch!.path.slice(1) } }, {}, 'm0'), isInvalid);
    // Another member's signature and proof on this envelope: its bytes are not that leaf.
    assert.throws(() => open({ ...first, sig: sealed[1]!.sig, batch: sealed[1]!.batch! }, {}, 'm0'), isInvalid);
    const forged = sealEnvelopes(names(5).map((name) => input(name, 'key', carol)));
    assert.throws(() => open(forged[0]!, {}, 'm0'), isInvalid);
    // Without its proof, the batch's signature is not a signature of the envelope.
    const { batch: _, ...bare } = first;
    assert.throws(() => open(bare, {}, 'm0'), isInvalid);
  });
});

describe('envelope opener under arbitrary input', () => {
  it('throws only CryptoError, whatever the envelope, key and addressing', () => {
    const base64 = fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64'));
    fc.assert(
      fc.property(
        fc.record({ id: fc.string({ maxLength: 30 }), ts: fc.nat(), chain: fc.string({ maxLength: 12 }), seq: fc.nat(), iv: base64, ct: base64, sig: base64 }),
        fc.uint8Array({ minLength: 0, maxLength: 40 }),
        fc.option(fc.string({ maxLength: 10 }), { nil: null }),
        (envelope, key, to) => {
          try {
            openEnvelope({ from: 'alice', to, envelope, senderPublicKey: alice.publicKey, messageKey: Buffer.from(key) });
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
