// Keys and hellos a hostile client would send: an RSA public key with an exponent of its choosing
// (a huge one makes every signature check ~140x dearer) and a correctly signed low-order prekey.
import { randomBytes } from 'node:crypto';
import { DerTag, der, derSequence, derUnsigned } from '../../src/core/der.js';
import type { Identity } from '../../src/core/identity.js';
import type { HelloMessage, PeerSummary } from '../../src/core/messages.js';
import { PROTOCOL_VERSION } from '../../src/core/messages.js';
import { signPrekey } from '../../src/core/prekey.js';

const RSA_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

/** SPKI DER (base64) of an RSA key with the modulus of `identity` and the exponent given. */
export function rsaKeyWithExponent(identity: Identity, exponent: Buffer): string {
  const jwk = identity.publicKey.export({ format: 'jwk' });
  const modulus = Buffer.from(jwk.n!, 'base64url');
  const rsaPublicKey = derSequence(derUnsigned(modulus), derUnsigned(exponent));
  const bitString = der(DerTag.BIT_STRING, Buffer.concat([Buffer.from([0]), rsaPublicKey]));
  return derSequence(RSA_ALGORITHM, bitString).toString('base64');
}

/** An odd exponent as long as a 3072-bit modulus: what the CPU attack used. */
export function hugeExponent(): Buffer {
  const e = randomBytes(384);
  e[0] = (e[0]! & 0x7f) | 0x40;
  e[383]! |= 1;
  return e;
}

/** A hello whose X25519 prekey is all zeros (a low-order point), signed correctly by `identity`. */
export function lowOrderHello(identity: Identity, name: string): HelloMessage {
  const zeros = Buffer.alloc(32);
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    name,
    publicKey: identity.publicKeyBase64,
    prekey: zeros.toString('base64'),
    prekeySig: signPrekey(identity.privateKey, name, zeros).toString('base64'),
  };
}

/** The same low-order prekey as a peer summary the server would list (see lowOrderHello). */
export function lowOrderSummary(identity: Identity, name: string): PeerSummary {
  const { publicKey, prekey, prekeySig } = lowOrderHello(identity, name);
  return { name, publicKey, prekey, prekeySig, fingerprint: identity.fingerprint, joinedAt: 1 };
}
