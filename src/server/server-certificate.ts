// The server's TLS identity: a self-signed certificate made on first start and kept beside the
// server's config (key file 0600). Clients pin its fingerprint on first use, like ssh host keys,
// so no certificate authority is involved. node-forge builds the X.509 certificate (node:crypto
// has no API for that); the key pair itself comes from node:crypto, ~100x faster than forge's.
import { X509Certificate, generateKeyPair, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { assertPrivateFileMode, writePrivateFile } from '../storage/private-file.js';
import { ChatError, ErrorCode } from '../core/errors.js';
import { fingerprintOf } from '../core/fingerprint.js';

export interface ServerCertificate {
  readonly keyPem: string;
  readonly certPem: string;
  /** SHA-256 of the certificate's DER, lowercase hex (as fingerprintOf): what clients pin. */
  readonly fingerprint: string;
}

/** 2048-bit RSA: the TLS key only authenticates the handshake (TLS 1.3 gives forward secrecy). */
const TLS_KEY_BITS = 2048;
const VALIDITY_YEARS = 10;
const KEY_FILE = 'tls-key.pem';
const CERT_FILE = 'tls-cert.pem';

const generateKeyPairAsync = promisify(generateKeyPair);

function certificateFingerprint(certPem: string): string {
  return fingerprintOf(new X509Certificate(certPem).raw);
}

export async function loadOrCreateServerCertificate(dir: string): Promise<{ certificate: ServerCertificate; created: boolean }> {
  const keyPath = join(dir, KEY_FILE);
  const certPath = join(dir, CERT_FILE);
  try {
    const [keyPem, certPem] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    await assertPrivateFileMode(keyPath);
    return { certificate: { keyPem, certPem, fingerprint: certificateFingerprint(certPem) }, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof ChatError) throw error;
      throw new ChatError(ErrorCode.KEY_FILE, `cannot read the server certificate in ${dir}: ${(error as Error).message}`);
    }
  }
  const certificate = await createSelfSignedCertificate();
  await writePrivateFile(keyPath, certificate.keyPem);
  await writePrivateFile(certPath, certificate.certPem);
  return { certificate, created: true };
}

export async function createSelfSignedCertificate(now: Date = new Date()): Promise<ServerCertificate> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: TLS_KEY_BITS });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // A positive serial (leading 01) of 128 random bits, as RFC 5280 asks.
  cert.serialNumber = `01${randomBytes(16).toString('hex')}`;
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600_000);
  cert.validity.notAfter = new Date(now.getTime() + VALIDITY_YEARS * 365 * 24 * 3600_000);
  const name = [{ name: 'commonName', value: 'tui-chat server' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { keyPem, certPem, fingerprint: certificateFingerprint(certPem) };
}
