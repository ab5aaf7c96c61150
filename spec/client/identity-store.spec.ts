import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultIdentityPath } from '../../src/client/config-paths.js';
import { loadOrCreateIdentity } from '../../src/client/identity-store.js';
import { ErrorCode } from '../../src/core/errors.js';
import { IDENTITY_KEY_BITS } from '../../src/core/identity.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('identity store', () => {
  it('creates a 3072-bit key on first run in a 0600 file inside a 0700 folder, then loads the same key', async (t) => {
    const path = join(makeTempDir(t), 'tui-chat', 'identity.pem');
    const created = await loadOrCreateIdentity(path);
    assert.equal(created.created, true);
    assert.equal(created.identity.privateKey.asymmetricKeyDetails?.modulusLength, IDENTITY_KEY_BITS);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    assert.match(readFileSync(path, 'utf8'), /BEGIN PRIVATE KEY/);
    const loaded = await loadOrCreateIdentity(path);
    assert.equal(loaded.created, false);
    assert.equal(loaded.identity.fingerprint, created.identity.fingerprint);
  });

  it('refuses a key file that others can read, saying how to fix it', async (t) => {
    const path = join(makeTempDir(t), 'identity.pem');
    await loadOrCreateIdentity(path);
    chmodSync(path, 0o644);
    await assert.rejects(
      loadOrCreateIdentity(path),
      (error: Error & { code?: string }) => error.code === ErrorCode.KEY_FILE && /chmod 600/.test(error.message),
    );
  });

  it('refuses a file that is not a private key', async (t) => {
    const path = join(makeTempDir(t), 'identity.pem');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'not a key', { mode: 0o600 });
    await assert.rejects(loadOrCreateIdentity(path), { code: ErrorCode.KEY_FILE });
  });

  it('lives under $XDG_CONFIG_HOME/tui-chat, or ~/.config/tui-chat without it', () => {
    assert.equal(defaultIdentityPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' }), '/x/cfg/tui-chat/identity.pem');
    assert.equal(defaultIdentityPath({ HOME: '/home/u' }), '/home/u/.config/tui-chat/identity.pem');
    assert.equal(defaultIdentityPath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' }), '/home/u/.config/tui-chat/identity.pem');
  });
});

describe('identity store passphrase prompts', () => {
  it('asks again after a wrong passphrase, up to three times, when the source can ask again', async (t) => {
    const path = join(makeTempDir(t), 'identity.pem');
    await loadOrCreateIdentity(path, { passphrase: async () => 'correct horse battery', protectNew: true });
    const answers = ['wrong one', 'wrong two', 'correct horse battery'];
    let asked = 0;
    const prompt = Object.assign(async () => answers[asked]!, { retry: () => asked++ });
    const told: number[] = [];
    const loaded = await loadOrCreateIdentity(path, { passphrase: prompt, onWrongPassphrase: (left) => told.push(left) });
    assert.equal(loaded.encrypted, true);
    assert.deepEqual(told, [2, 1]);
    const never = Object.assign(async () => 'wrong always', { retry: () => {} });
    await assert.rejects(loadOrCreateIdentity(path, { passphrase: never }), { code: ErrorCode.KEY_FILE, message: /wrong passphrase/ });
  });

  it('does not ask a passphrase file again: a wrong one fails at once', async (t) => {
    const path = join(makeTempDir(t), 'identity.pem');
    await loadOrCreateIdentity(path, { passphrase: async () => 'correct horse battery', protectNew: true });
    let calls = 0;
    await assert.rejects(
      loadOrCreateIdentity(path, {
        passphrase: async () => {
          calls++;
          return 'wrong';
        },
      }),
      { code: ErrorCode.KEY_FILE },
    );
    assert.equal(calls, 1);
  });
});
