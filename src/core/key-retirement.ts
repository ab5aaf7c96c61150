// A key retirement statement: "the key OLD is retired in favour of NEW", signed by both keys, made
// by `tui-chat keys rotate`. A user hands it to peers (any channel); they check it with
// `tui-chat keys verify-retirement FILE` before accepting the new key, so a rotation does not
// look like an impostor. The old key signing proves its holder made the change; the new key
// signing proves the new key's holder agreed.
import { CryptoError, ErrorCode } from './errors.js';
import { type Identity, type PublicIdentity, parsePeerPublicKey, signBytes, verifyBytes } from './identity.js';
import { lengthPrefixed } from './signed-bytes.js';

const CONTEXT = 'tui-chat/key-retirement/v1';

export interface KeyRetirement {
  readonly version: 1;
  /** SPKI DER, base64, of the retired key and of its successor. */
  readonly old: string;
  readonly new: string;
  /** When the key was retired (ISO 8601). */
  readonly at: string;
  /** RSA-PSS signatures over the fields above, base64. */
  readonly oldSignature: string;
  readonly newSignature: string;
}

function signedBytes(oldKey: string, newKey: string, at: string): Buffer {
  return lengthPrefixed([CONTEXT, Buffer.from(oldKey, 'base64'), Buffer.from(newKey, 'base64'), at]);
}

export function retireKey(retired: Identity, successor: Identity, at: Date = new Date()): KeyRetirement {
  const when = at.toISOString();
  const bytes = signedBytes(retired.publicKeyBase64, successor.publicKeyBase64, when);
  return {
    version: 1,
    old: retired.publicKeyBase64,
    new: successor.publicKeyBase64,
    at: when,
    oldSignature: signBytes(retired.privateKey, bytes).toString('base64'),
    newSignature: signBytes(successor.privateKey, bytes).toString('base64'),
  };
}

/** Checks both signatures; returns the two fingerprints and the date, or throws CryptoError. */
export function verifyRetirement(value: unknown): { readonly oldFingerprint: string; readonly newFingerprint: string; readonly at: string } {
  const bad = () => new CryptoError(ErrorCode.ENVELOPE_INVALID, 'not a valid key retirement statement');
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const fields = ['old', 'new', 'at', 'oldSignature', 'newSignature'] as const;
  if (obj['version'] !== 1 || fields.some((field) => typeof obj[field] !== 'string')) throw bad();
  const [oldKey, newKey, at, oldSignature, newSignature] = fields.map((field) => obj[field] as string) as [string, string, string, string, string];
  let retired: PublicIdentity;
  let successor: PublicIdentity;
  try {
    retired = parsePeerPublicKey(oldKey);
    successor = parsePeerPublicKey(newKey);
  } catch {
    throw bad();
  }
  const bytes = signedBytes(oldKey, newKey, at);
  if (
    !verifyBytes(retired.publicKey, bytes, Buffer.from(oldSignature, 'base64')) ||
    !verifyBytes(successor.publicKey, bytes, Buffer.from(newSignature, 'base64'))
  ) {
    throw bad();
  }
  return { oldFingerprint: retired.fingerprint, newFingerprint: successor.fingerprint, at };
}
