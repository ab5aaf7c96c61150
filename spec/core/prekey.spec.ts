import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import type { Identity } from '../../src/core/identity.js';
import { buildHello, isUsablePrekey, signPrekey, verifyPrekey } from '../../src/core/prekey.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
before(async () => {
  alice = await testIdentity(0);
});

/** The X25519 points of order 1, 2, 4 and 8 (as 32-byte little-endian u-coordinates). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('prekeys', () => {
  it('verify for the name they were signed for (in any case), and not for another', () => {
    const prekey = generateX25519().publicRaw;
    const signature = signPrekey(alice.privateKey, 'Alice', prekey);
    assert.equal(verifyPrekey(alice.publicKey, 'alice', prekey, signature), true);
    assert.equal(verifyPrekey(alice.publicKey, 'bob', prekey, signature), false);
    assert.equal(verifyPrekey(alice.publicKey, 'alice', prekey.subarray(1), signature), false, 'not 32 bytes');
  });

  it('refuse the low-order points, whose Diffie-Hellman output is all zeros for every key', () => {
    for (const hex of LOW_ORDER) assert.equal(isUsablePrekey(Buffer.from(hex, 'hex')), false, hex);
    assert.equal(isUsablePrekey(generateX25519().publicRaw), true);
    assert.equal(isUsablePrekey(Buffer.alloc(31, 9)), false);
  });

  it('go into the hello signed', () => {
    const pair = generateX25519();
    const hello = buildHello(alice, 'alice', pair);
    assert.equal(verifyPrekey(alice.publicKey, 'alice', Buffer.from(hello.prekey, 'base64'), Buffer.from(hello.prekeySig, 'base64')), true);
  });
});
