// A user's long-term RSA identity: key pair, public encodings and fingerprint. All RSA work here
// uses node:crypto (OpenSSL): ~100x faster than pure-JS node-forge on this machine (see the brief).
import { type KeyObject, constants, createPrivateKey, createPublicKey, generateKeyPair, sign, verify } from 'node:crypto';
import { promisify } from 'node:util';
import { LRUCache } from 'lru-cache';
import { CryptoError, ErrorCode } from './errors.js';
import { fingerprintOf } from './fingerprint.js';

/** 3072-bit RSA matches 128-bit security (NIST SP 800-57), the level of AES-256-GCM's use here. */
export const IDENTITY_KEY_BITS = 3072;
/** Peers' keys below this are refused: 2048 is the smallest size still considered safe. */
export const MIN_PEER_KEY_BITS = 2048;
/** Bigger keys only cost every recipient more CPU per verify; 4096 is the largest we accept. */
export const MAX_PEER_KEY_BITS = 4096;
/**
 * The only public exponent accepted. Verifying costs one modular exponentiation by e: with e = 65537
 * that is 17 multiplications, with an e as long as the modulus ~140x more (measured: 15 connections
 * replaying such a hello held the server at 99% CPU). Every key tui-chat makes uses 65537.
 */
export const PEER_KEY_EXPONENT = 65537n;
/** SPKI DER of the largest accepted key (4096 bits, e = 65537) is 550 bytes; a little slack. */
const MAX_PEER_KEY_DER_BYTES = 600;

const generateKeyPairAsync = promisify(generateKeyPair);

export interface Identity {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SPKI DER of the public key: what the fingerprint is computed over. */
  readonly publicKeyDer: Buffer;
  readonly publicKeyBase64: string;
  readonly fingerprint: string;
}

export interface PublicIdentity {
  readonly publicKey: KeyObject;
  readonly publicKeyBase64: string;
  readonly fingerprint: string;
}

export async function generateIdentity(bits: number = IDENTITY_KEY_BITS): Promise<Identity> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  return identityFromPrivateKey(privateKey);
}

export function identityFromPrivateKey(privateKey: KeyObject): Identity {
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new CryptoError(ErrorCode.KEY_FILE, 'identity key must be an RSA private key');
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey,
    publicKey,
    publicKeyDer,
    publicKeyBase64: publicKeyDer.toString('base64'),
    fingerprint: fingerprintOf(publicKeyDer),
  };
}

export function identityFromPem(pem: string | Buffer, passphrase?: string): Identity {
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
  } catch (cause) {
    throw new CryptoError(ErrorCode.KEY_FILE, 'identity file does not hold a readable private key', { cause });
  }
  return identityFromPrivateKey(key);
}

/** PKCS#8 PEM of the private key, for the 0600 identity file. */
export function exportPrivateKeyPem(identity: Identity): string {
  return identity.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Parses a peer's announced public key (SPKI DER, base64) and checks it is RSA of a sane size.
 * Throws CryptoError; callers turn that into a protocol error for the peer.
 */
/**
 * Keys already parsed, by their encoding: the same key comes again with every announce of its
 * user (a rotated prekey, back from away, each room joined), and parsing and re-encoding an RSA
 * key costs ~0.1 ms. Bounded; only keys that parsed are kept, so junk cannot fill it.
 */
const PARSED_KEYS_KEPT = 4096;
const parsedKeys = new LRUCache<string, PublicIdentity>({ max: PARSED_KEYS_KEPT });

export function parsePeerPublicKey(publicKeyBase64: string): PublicIdentity {
  let parsed = parsedKeys.get(publicKeyBase64);
  if (parsed === undefined) {
    parsed = parseKey(publicKeyBase64);
    parsedKeys.set(publicKeyBase64, parsed);
  }
  return parsed;
}

function parseKey(publicKeyBase64: string): PublicIdentity {
  let publicKey: KeyObject;
  const der = Buffer.from(publicKeyBase64, 'base64');
  // An SPKI RSA key of 4096 bits with e = 65537 is 550 bytes: refuse anything larger before parsing.
  if (der.length > MAX_PEER_KEY_DER_BYTES) throw new CryptoError(ErrorCode.ENVELOPE_INVALID, 'public key is too long');
  try {
    publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new CryptoError(ErrorCode.ENVELOPE_INVALID, 'public key is not a valid SPKI key', { cause });
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_PEER_KEY_BITS || bits > MAX_PEER_KEY_BITS) {
    throw new CryptoError(ErrorCode.ENVELOPE_INVALID, `public key must be RSA of ${MIN_PEER_KEY_BITS}-${MAX_PEER_KEY_BITS} bits`);
  }
  if (publicKey.asymmetricKeyDetails?.publicExponent !== PEER_KEY_EXPONENT) {
    throw new CryptoError(ErrorCode.ENVELOPE_INVALID, `public key must use the exponent ${PEER_KEY_EXPONENT}`);
  }
  // Re-encode rather than trusting the peer's bytes, so the fingerprint is of the canonical form.
  const canonical = publicKey.export({ type: 'spki', format: 'der' });
  return { publicKey, publicKeyBase64: canonical.toString('base64'), fingerprint: fingerprintOf(canonical) };
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } as const;

export function signBytes(privateKey: KeyObject, data: Buffer): Buffer {
  return sign('sha256', data, { key: privateKey, ...PSS });
}

export function verifyBytes(publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', data, { key: publicKey, ...PSS }, signature);
  } catch {
    // A malformed signature is just a failed verification, never an exception for the caller.
    return false;
  }
}
