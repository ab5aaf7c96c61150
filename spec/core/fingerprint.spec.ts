import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { fingerprintOf, formatFingerprint, shortFingerprint } from '../../src/core/fingerprint.js';

describe('fingerprint', () => {
  it('is the SHA-256 of the key bytes, shown in groups of four, short form the first four groups', () => {
    const der = Buffer.from('spki');
    const hex = createHash('sha256').update(der).digest('hex');
    assert.equal(fingerprintOf(der), hex);
    assert.equal(formatFingerprint('abcd1234ef56'), 'abcd 1234 ef56');
    assert.equal(shortFingerprint(hex), formatFingerprint(hex.slice(0, 16)));
    assert.equal(shortFingerprint(hex).split(' ').length, 4);
  });
});
