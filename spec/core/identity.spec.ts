import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { CryptoError, ErrorCode } from '../../src/core/errors.js';
import { type Identity, parsePeerPublicKey } from '../../src/core/identity.js';
import { hugeExponent, rsaKeyWithExponent } from '../helpers/hostile-keys.js';
import { testIdentity } from '../helpers/identities.js';

let alice: Identity;
before(async () => {
  alice = await testIdentity(0);
});

describe('parsePeerPublicKey', () => {
  it('accepts an RSA-3072 key with the exponent 65537 and fingerprints its canonical form', () => {
    const parsed = parsePeerPublicKey(alice.publicKeyBase64);
    assert.equal(parsed.fingerprint, alice.fingerprint);
  });

  it('parses a key once: the same key announced again is the same parsed key', () => {
    assert.equal(parsePeerPublicKey(alice.publicKeyBase64), parsePeerPublicKey(alice.publicKeyBase64));
  });

  it('refuses a key whose exponent is as long as its modulus (each check would cost ~140x more)', () => {
    assert.throws(
      () => parsePeerPublicKey(rsaKeyWithExponent(alice, hugeExponent())),
      (error: unknown) => error instanceof CryptoError && error.code === ErrorCode.ENVELOPE_INVALID && /65537|too long/.test(error.message),
    );
  });

  it('refuses a real key pair made with another exponent', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    assert.throws(() => parsePeerPublicKey(spki), /exponent 65537/);
  });

  it('refuses a key smaller than 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => parsePeerPublicKey(publicKey.export({ type: 'spki', format: 'der' }).toString('base64')), /2048-4096/);
  });
});
