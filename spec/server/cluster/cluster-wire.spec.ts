// Decoding what other nodes (or anything else on the broker) publish: good messages round-trip,
// bad ones become ProtocolErrors, never crashes or half-trusted objects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../src/core/errors.js';
import {
  decodeDirectBatch,
  decodeDirectReceipt,
  decodeNameClaim,
  decodePresence,
  decodeRoomBatch,
  decodeRoomReceipt,
  encodeBusMessage,
  encodeDirectBatch,
  encodeRoomBatch,
} from '../../../src/server/cluster/cluster-wire.js';

const peer = { name: 'alice', publicKey: 'AAAA', prekey: 'BBBB', prekeySig: 'CCCC', fingerprint: 'ab'.repeat(32), joinedAt: 5 };
const envelope = { id: 'e1', ts: 1, chain: 'c', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'AAAA', sig: 'c2ln' };
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('cluster wire', () => {
  it('round-trips every presence message', () => {
    const messages = [
      { kind: 'join', node: 'n1', version: 1, peer },
      { kind: 'leave', node: 'n1', version: 2, name: 'alice' },
      { kind: 'heartbeat', node: 'n1', version: 2 },
      { kind: 'snapshot', node: 'n1', version: 2, peers: [peer], final: true },
      { kind: 'sync', node: 'n1' },
      { kind: 'sync', node: 'n1', target: 'n2' },
      { kind: 'bye', node: 'n1' },
    ] as const;
    for (const message of messages) assert.deepEqual(decodePresence(encodeBusMessage(message)), message);
  });

  it('round-trips relays, notices and claims', () => {
    const room = { from: 'alice', id: 'e1', envelopeJson: JSON.stringify(envelope), recipients: { n2: { bob: '' }, n3: { carol: '', dave: '' } } };
    const decoded = decodeRoomBatch(encodeRoomBatch('n1', [room]));
    assert.equal(decoded.rejected, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded.relays)), [{ node: 'n1', ...room }]);
    const receipt = { node: 'n2', missed: [{ id: 'e1', names: ['bob'] }] };
    assert.deepEqual(decodeRoomReceipt(encodeBusMessage(receipt)), receipt);
    assert.deepEqual(decodeNameClaim(encodeBusMessage({ node: 'n1' })), { node: 'n1' });
    assert.deepEqual(decodeDirectReceipt(encodeBusMessage({ failed: [3, 9] })), { failed: [3, 9] });
  });

  it('round-trips a binary DM batch, the envelope text byte for byte', () => {
    const envelopeJson = JSON.stringify({ ...envelope, ct: 'ünïcode is fine in JSON text' });
    const relays = [
      { n: 7, from: 'alice', to: 'bob', id: 'e1', envelopeJson },
      { n: 8, from: 'alice', to: 'carol', id: 'e2', envelopeJson: '{}' },
    ];
    const { relays: decoded, rejected } = decodeDirectBatch(encodeDirectBatch('n1', relays));
    assert.equal(rejected, 0);
    assert.deepEqual(
      decoded,
      relays.map((relay) => ({ node: 'n1', ...relay })),
    );
  });

  it('drops the bad relays of a DM batch (invalid names, not an object) and keeps the rest', () => {
    const relays = [
      { n: 1, from: 'alice', to: 'bob', id: 'a', envelopeJson: '{}' },
      { n: 2, from: 'evil\u001b[2J', to: 'bob', id: 'b', envelopeJson: '{}' },
      { n: 3, from: 'alice', to: 'bob', id: 'c', envelopeJson: '"not an object"' },
      { n: 4, from: 'alice', to: 'carol', id: 'd', envelopeJson: '{}' },
    ];
    const batch = decodeDirectBatch(encodeDirectBatch('n1', relays));
    assert.deepEqual(
      batch.relays.map((relay) => relay.n),
      [1, 4],
    );
    assert.equal(batch.rejected, 2);
  });

  it('keeps the good relays of a room batch and counts the bad ones', () => {
    const good = { from: 'alice', id: 'e1', envelopeJson: '{}', recipients: { n2: { bob: '' } } };
    const batch = decodeRoomBatch(
      encodeRoomBatch('n1', [good, { ...good, recipients: { 'x y': { bob: '' } } }, { ...good, recipients: { n2: { '-dash': '' } } }, good]),
    );
    assert.equal(batch.relays.length, 2);
    assert.equal(batch.rejected, 2);
  });

  const BAD: ReadonlyArray<[string, () => unknown]> = [
    ['bytes that are not JSON', () => decodePresence(bytes('\u0000garbage'))],
    ['a JSON array', () => decodePresence(bytes([1, 2]))],
    ['an unknown kind', () => decodePresence(bytes({ kind: 'explode', node: 'n1' }))],
    ['a node id that is not a subject token', () => decodePresence(bytes({ kind: 'bye', node: 'a.b' }))],
    ['a join without a peer', () => decodePresence(bytes({ kind: 'join', node: 'n1', version: 1 }))],
    ['a join for a name no client could hold', () => decodePresence(bytes({ kind: 'join', node: 'n1', version: 1, peer: { ...peer, name: 'evil\u001b[2J' } }))],
    [
      'a snapshot listing an invalid name',
      () => decodePresence(bytes({ kind: 'snapshot', node: 'n1', version: 1, peers: [{ ...peer, name: ' ' }], final: true })),
    ],
    ['a leave for an invalid name', () => decodePresence(bytes({ kind: 'leave', node: 'n1', version: 1, name: '-dash' }))],
    ['a negative version', () => decodePresence(bytes({ kind: 'heartbeat', node: 'n1', version: -1 }))],
    ['a snapshot whose peers is not a list', () => decodePresence(bytes({ kind: 'snapshot', node: 'n1', version: 1, peers: {}, final: true }))],
    ['a room batch in JSON (not the binary format)', () => decodeRoomBatch(bytes({ relays: [] }))],
    [
      'a truncated room batch',
      () => decodeRoomBatch(Buffer.from(encodeRoomBatch('n1', [{ from: 'a', id: 'e', envelopeJson: '{}', recipients: { n2: { bob: '' } } }])).subarray(0, 15)),
    ],
    ['a DM batch in JSON (not the binary format)', () => decodeDirectBatch(bytes({ relays: [] }))],
    [
      'a truncated DM batch',
      () => decodeDirectBatch(Buffer.from(encodeDirectBatch('n1', [{ n: 1, from: 'alice', to: 'bob', id: 'a', envelopeJson: '{}' }])).subarray(0, 20)),
    ],
    [
      'a DM batch with bytes after its last relay',
      () =>
        decodeDirectBatch(
          Buffer.concat([Buffer.from(encodeDirectBatch('n1', [{ n: 1, from: 'alice', to: 'bob', id: 'a', envelopeJson: '{}' }])), Buffer.from('x')]),
        ),
    ],
    ['a DM batch from a bad node id', () => decodeDirectBatch(encodeDirectBatch('a.b', []))],
    [
      'a DM batch claiming more relays than it holds',
      () => decodeDirectBatch(Buffer.from(encodeDirectBatch('n1', [{ n: 1, from: 'alice', to: 'bob', id: 'a', envelopeJson: '{}' }])).fill(0xff, 7, 11)),
    ],
    ['a receipt naming something other than hand-off numbers', () => decodeDirectReceipt(bytes({ failed: ['x'] }))],
    ['a room receipt whose missed entries are not lists of names', () => decodeRoomReceipt(bytes({ node: 'n2', missed: [{ id: 'e1', names: 'bob' }] }))],
  ];
  for (const [what, decode] of BAD) {
    it(`refuses ${what}`, () => {
      assert.throws(decode, ProtocolError);
    });
  }
});
