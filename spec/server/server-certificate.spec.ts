import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { fingerprintOf } from '../../src/core/fingerprint.js';
import { loadOrCreateServerCertificate } from '../../src/server/server-certificate.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('server certificate', () => {
  it('is created on first start as a self-signed certificate for its own key, the key file 0600', async (t) => {
    const dir = join(makeTempDir(t), 'server');
    const { certificate, created } = await loadOrCreateServerCertificate(dir);
    assert.equal(created, true);
    assert.equal(statSync(join(dir, 'tls-key.pem')).mode & 0o777, 0o600);
    const x509 = new X509Certificate(certificate.certPem);
    assert.ok(x509.checkPrivateKey(createPrivateKey(certificate.keyPem)), 'the certificate is for this key');
    assert.ok(x509.verify(x509.publicKey), 'self-signed');
    assert.match(x509.subject, /CN=tui-chat server/);
    assert.equal(certificate.fingerprint, fingerprintOf(x509.raw));
    assert.ok(new Date(x509.validTo) > new Date(Date.now() + 5 * 365 * 24 * 3600_000));
  });

  it('is loaded, not remade, on later starts', async (t) => {
    const dir = makeTempDir(t);
    const first = await loadOrCreateServerCertificate(dir);
    const second = await loadOrCreateServerCertificate(dir);
    assert.equal(second.created, false);
    assert.equal(second.certificate.fingerprint, first.certificate.fingerprint);
  });

  it('refuses a key file others can read', async (t) => {
    const dir = makeTempDir(t);
    await loadOrCreateServerCertificate(dir);
    chmodSync(join(dir, 'tls-key.pem'), 0o644);
    await assert.rejects(loadOrCreateServerCertificate(dir), { code: ErrorCode.KEY_FILE });
  });
});
