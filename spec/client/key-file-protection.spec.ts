import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadOrCreateIdentity } from '../../src/client/identity-store.js';
import { KEY_FILE_PBKDF2_ITERATIONS, encryptPrivateKey, isWeaklyProtected, keyFileStrength } from '../../src/client/key-file-protection.js';
import type { Identity } from '../../src/core/identity.js';
import { testIdentity } from '../helpers/identities.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let alice: Identity;
before(async () => {
  alice = await testIdentity(0);
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('key file protection', () => {
  it('writes PBES2 with PBKDF2-HMAC-SHA256 at 600,000 iterations, which OpenSSL reads back', async () => {
    const pem = await encryptPrivateKey(alice.privateKey, 'correct horse battery');
    assert.deepEqual(keyFileStrength(pem), { iterations: KEY_FILE_PBKDF2_ITERATIONS, prf: 'sha256' });
    const back = createPrivateKey({ key: pem, format: 'pem', passphrase: 'correct horse battery' });
    assert.ok(back.export({ type: 'pkcs8', format: 'der' }).equals(alice.privateKey.export({ type: 'pkcs8', format: 'der' })));
    assert.throws(() => createPrivateKey({ key: pem, format: 'pem', passphrase: 'wrong passphrase' }));
  });

  it('is read by the openssl command as a standard PKCS#8 file', { skip: !hasOpenssl() && 'no openssl command here' }, async (t) => {
    const path = join(makeTempDir(t), 'key.pem');
    writeFileSync(path, await encryptPrivateKey(alice.privateKey, 'correct horse battery'), { mode: 0o600 });
    const text = execFileSync('openssl', ['pkcs8', '-in', path, '-passin', 'pass:correct horse battery', '-nocrypt', '-topk8'], { encoding: 'utf8' });
    assert.match(text, /BEGIN PRIVATE KEY/);
  });

  it('sees the 2,048 iterations Node writes by default as weak', () => {
    const old = alice.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse battery' }).toString();
    assert.equal(keyFileStrength(old)?.iterations, 2048);
    assert.equal(isWeaklyProtected(old), true);
  });

  it("re-encrypts a weakly protected identity file at today's strength when it is unlocked", async (t) => {
    const path = join(makeTempDir(t), 'identity.pem');
    writeFileSync(path, alice.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse battery' }).toString(), {
      mode: 0o600,
    });
    const first = await loadOrCreateIdentity(path, { passphrase: async () => 'correct horse battery' });
    assert.equal(first.upgraded, true);
    assert.equal(first.identity.fingerprint, alice.fingerprint);
    assert.equal(keyFileStrength(readFileSync(path, 'utf8'))?.iterations, KEY_FILE_PBKDF2_ITERATIONS);
    const second = await loadOrCreateIdentity(path, { passphrase: async () => 'correct horse battery' });
    assert.equal(second.upgraded, false);
    assert.equal(second.identity.fingerprint, alice.fingerprint);
  });
});
