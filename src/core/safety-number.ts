// Safety numbers: one number for a pair of users, computed from both identity keys the same way
// on both sides, to compare out of band (read aloud, side by side). Shaped like Signal's: each
// side's half is an iterated SHA-512 over its key and name, the halves are sorted, and the result
// is 60 digits in groups of five.
import { createHash } from 'node:crypto';

const VERSION = Buffer.from([0, 0]);
/** Iterations make a collision search ~5,000 times as costly; ~5 ms here for both halves. */
const ITERATIONS = 5200;
const CHUNKS_PER_HALF = 6;

export interface SafetyParty {
  readonly name: string;
  /** SPKI DER of the identity key. */
  readonly publicKeyDer: Buffer;
}

function half(party: SafetyParty): string {
  const key = party.publicKeyDer;
  let digest = createHash('sha512')
    .update(Buffer.concat([VERSION, key, Buffer.from(party.name.toLowerCase(), 'utf8')]))
    .digest();
  for (let i = 1; i < ITERATIONS; i++)
    digest = createHash('sha512')
      .update(Buffer.concat([digest, key]))
      .digest();
  let digits = '';
  for (let chunk = 0; chunk < CHUNKS_PER_HALF; chunk++) {
    // 5 bytes (40 bits) per chunk, reduced to 5 decimal digits.
    const value = digest.readUIntBE(chunk * 5, 5) % 100_000;
    digits += String(value).padStart(5, '0');
  }
  return digits;
}

/** 60 digits as twelve groups of five; the same whichever party computes it. */
export function safetyNumber(a: SafetyParty, b: SafetyParty): string {
  const halves = [half(a), half(b)].sort();
  return (halves.join('').match(/.{5}/g) ?? []).join(' ');
}
