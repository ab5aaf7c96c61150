// Passphrase protection of the identity file: PKCS#8 EncryptedPrivateKeyInfo with PBES2, PBKDF2-
// HMAC-SHA256 at 600,000 iterations (OWASP's 2023 figure for PBKDF2-SHA256) and AES-256-CBC. The
// format is the standard one (openssl pkcs8 reads it); only the iteration count is ours. Node's
// own export writes 2,048 iterations and cannot be told otherwise, so the structure is built here
// from node:crypto primitives. Reading stays with OpenSSL (createPrivateKey with the passphrase).
import { type KeyObject, createCipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DerTag, der, derChildren, derSequence, derToNumber, derUnsigned } from '../core/der.js';

/** PBKDF2-HMAC-SHA256 iterations for a new or upgraded key file (~0.3 s to unlock on this machine). */
export const KEY_FILE_PBKDF2_ITERATIONS = 600_000;

const pbkdf2Async = promisify(pbkdf2);

const OID = {
  pbes2: Buffer.from('06092a864886f70d01050d', 'hex'),
  pbkdf2: Buffer.from('06092a864886f70d01050c', 'hex'),
  hmacWithSha256: Buffer.from('06082a864886f70d0209', 'hex'),
  aes256Cbc: Buffer.from('060960864801650304012a', 'hex'),
} as const;

/** The private key as an encrypted PKCS#8 PEM, under the passphrase. */
export async function encryptPrivateKey(privateKey: KeyObject, passphrase: string, iterations = KEY_FILE_PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = await pbkdf2Async(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const plain = privateKey.export({ type: 'pkcs8', format: 'der' });
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = derSequence(
    OID.pbes2,
    derSequence(
      derSequence(
        OID.pbkdf2,
        derSequence(der(DerTag.OCTET_STRING, salt), derUnsigned(iterations), derSequence(OID.hmacWithSha256, der(DerTag.NULL, Buffer.alloc(0)))),
      ),
      derSequence(OID.aes256Cbc, der(DerTag.OCTET_STRING, iv)),
    ),
  );
  const body = derSequence(algorithm, der(DerTag.OCTET_STRING, encrypted)).toString('base64');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body.replace(/.{1,64}/g, '$&\n')}-----END ENCRYPTED PRIVATE KEY-----\n`;
}

/**
 * How strongly an encrypted PKCS#8 PEM is protected: PBKDF2's iteration count and hash, or
 * undefined when the file uses another scheme (then it is upgraded on the next unlock).
 */
export function keyFileStrength(pem: string): { readonly iterations: number; readonly prf: 'sha1' | 'sha256' | 'other' } | undefined {
  try {
    const base64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const [info] = derChildren(Buffer.from(base64, 'base64'));
    const [algorithm] = derChildren(info!.content);
    const [scheme, params] = derChildren(algorithm!.content);
    if (!der(scheme!.tag, scheme!.content).equals(OID.pbes2)) return undefined;
    const [kdf] = derChildren(params!.content);
    const [kdfOid, kdfParams] = derChildren(kdf!.content);
    if (!der(kdfOid!.tag, kdfOid!.content).equals(OID.pbkdf2)) return undefined;
    const fields = derChildren(kdfParams!.content);
    const iterations = derToNumber(fields[1]!.content);
    const prfField = fields.find((field, i) => i >= 2 && field.tag === DerTag.SEQUENCE);
    if (prfField === undefined) return { iterations, prf: 'sha1' };
    const [prfOid] = derChildren(prfField.content);
    return { iterations, prf: der(prfOid!.tag, prfOid!.content).equals(OID.hmacWithSha256) ? 'sha256' : 'other' };
  } catch {
    return undefined;
  }
}

/** True when the file should be re-encrypted with today's strength on its next unlock. */
export function isWeaklyProtected(pem: string): boolean {
  const strength = keyFileStrength(pem);
  return strength === undefined || strength.prf !== 'sha256' || strength.iterations < KEY_FILE_PBKDF2_ITERATIONS;
}
