import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeEnvelopeJson } from '../../src/core/envelope-json.js';
import { envelope } from '../../src/core/field-readers.js';

const base64 = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((bytes) => Buffer.from(bytes).toString('base64'));
const base64url = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((bytes) => Buffer.from(bytes).toString('base64url'));
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** Envelopes as a client may send them: every optional part there or not. */
const rawEnvelope = fc.record(
  {
    id: base64url(16, 16),
    ts: count,
    chain: base64url(1, 9),
    seq: count,
    ratchet: fc.record(
      {
        sid: base64(16, 16),
        init: fc.record({ spk: base64(32, 32), to: base64(32, 32), opk: base64url(1, 16) }, { requiredKeys: ['spk', 'to'] }),
        dh: base64(32, 32),
        pn: count,
        n: count,
      },
      { requiredKeys: ['sid', 'dh', 'pn', 'n'] },
    ),
    senderKey: fc.record({ id: base64url(1, 16), n: count }),
    iv: base64(12, 12),
    ct: base64(0, 300),
    sig: base64(1, 384),
    batch: fc.record({ i: fc.integer({ min: 0, max: 1 }), n: fc.integer({ min: 2, max: 64 }), path: fc.array(base64(32, 32), { maxLength: 6 }) }),
  },
  { requiredKeys: ['id', 'ts', 'chain', 'seq', 'iv', 'ct', 'sig'] },
);

describe('encodeEnvelopeJson', () => {
  it('writes what JSON.stringify writes for any envelope the codec decoded', () => {
    fc.assert(
      fc.property(rawEnvelope, (raw) => {
        // In any order the client chose: the codec decides the order, and the text follows it.
        const decoded = envelope(JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(raw).reverse()))));
        assert.equal(encodeEnvelopeJson(decoded), JSON.stringify(decoded));
      }),
      { numRuns: 500 },
    );
  });
});
