// A client's per-connection X25519 prekey, signed by its identity key so that the server cannot
// substitute its own (which would let it sit in the middle of every direct message).
import type { KeyRetirement } from './key-retirement.js';
import type { KeyObject } from 'node:crypto';
import { type X25519KeyPair, generateX25519, x25519 } from './double-ratchet.js';
import { type Identity, signBytes, verifyBytes } from './identity.js';
import { type HelloMessage, PROTOCOL_VERSION } from './messages.js';
import { lengthPrefixed } from './signed-bytes.js';

const PREKEY_CONTEXT = 'tui-chat/prekey/v1';

export function signPrekey(identityKey: KeyObject, name: string, prekeyRaw: Buffer): Buffer {
  return signBytes(identityKey, lengthPrefixed([PREKEY_CONTEXT, name.toLowerCase(), prekeyRaw]));
}

export function verifyPrekey(identityPublicKey: KeyObject, name: string, prekeyRaw: Buffer, signature: Buffer): boolean {
  return prekeyRaw.length === 32 && verifyBytes(identityPublicKey, lengthPrefixed([PREKEY_CONTEXT, name.toLowerCase(), prekeyRaw]), signature);
}

/** Probes prekeys for low order; any key works, since every X25519 scalar is a multiple of 8. */
let probe: X25519KeyPair | undefined;

/**
 * False for a prekey no session can start from: not 32 bytes, or a low-order point (all zeros, and
 * the few others) whose Diffie-Hellman output is all zeros for every private key. RFC 7748 section
 * 6.1 says to refuse such outputs; refusing the key itself at join keeps it from failing every
 * sender's room re-key later.
 */
export function isUsablePrekey(prekeyRaw: Buffer): boolean {
  probe ??= generateX25519();
  try {
    x25519(probe.privateKey, prekeyRaw);
    return true;
  } catch {
    return false;
  }
}

/** The hello a client opens with: protocol version, name, identity key, and its signed prekey. */
export function buildHello(identity: Identity, name: string, prekey: X25519KeyPair, retirements: readonly KeyRetirement[] = []): HelloMessage {
  const retirement = retirements.at(-1);
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    name,
    publicKey: identity.publicKeyBase64,
    prekey: prekey.publicRaw.toString('base64'),
    prekeySig: signPrekey(identity.privateKey, name, prekey.publicRaw).toString('base64'),
    ...(retirement === undefined ? {} : { retirement }),
    ...(retirements.length > 1 ? { retirements } : {}),
  };
}
