// Key fingerprints: SHA-256 over the SPKI DER of a public key, shown in groups people can compare.
import { createHash } from 'node:crypto';

/** Lowercase hex SHA-256 of the public key's SPKI DER encoding (64 characters). */
export function fingerprintOf(publicKeyDer: Buffer): string {
  return createHash('sha256').update(publicKeyDer).digest('hex');
}

/** "ab12 cd34 ..." in groups of four hex digits, as read aloud when comparing out of band. */
export function formatFingerprint(fingerprint: string): string {
  return (fingerprint.match(/.{1,4}/g) ?? []).join(' ');
}

/** The first four groups: enough to spot a change at a glance, not enough to verify with. */
export function shortFingerprint(fingerprint: string): string {
  return formatFingerprint(fingerprint.slice(0, 16));
}
