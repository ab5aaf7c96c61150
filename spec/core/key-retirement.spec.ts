import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { retireKey, verifyRetirement } from '../../src/core/key-retirement.js';
import { testIdentity } from '../helpers/identities.js';

let old: Identity;
let fresh: Identity;
before(async () => {
  [old, fresh] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

describe('key retirement statements', () => {
  it('name both keys and the date, signed by both', () => {
    const statement = retireKey(old, fresh, new Date('2026-11-26T10:00:00Z'));
    assert.deepEqual(verifyRetirement(JSON.parse(JSON.stringify(statement))), {
      oldFingerprint: old.fingerprint,
      newFingerprint: fresh.fingerprint,
      at: '2026-11-26T10:00:00.000Z',
    });
  });

  it('are refused when any field was changed', () => {
    const statement = retireKey(old, fresh);
    for (const changed of [
      { ...statement, new: old.publicKeyBase64 },
      { ...statement, at: '2020-01-01T00:00:00.000Z' },
      { ...statement, oldSignature: statement.newSignature },
      { ...statement, version: 2 },
      null,
    ]) {
      assert.throws(() => verifyRetirement(changed), { code: ErrorCode.ENVELOPE_INVALID });
    }
  });
});
