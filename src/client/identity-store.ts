// Loads the user's identity key from disk, creating it on first run. The private key never leaves
// this machine: only the public key and fingerprint are ever sent.
import { readFile } from 'node:fs/promises';
import { ChatError, ErrorCode } from '../core/errors.js';
import { type Identity, exportPrivateKeyPem, generateIdentity, identityFromPem } from '../core/identity.js';
import { assertPrivateFileMode, writePrivateFile } from '../storage/private-file.js';

export interface LoadedIdentity {
  readonly identity: Identity;
  readonly path: string;
  /** True when this call generated the key (first run). */
  readonly created: boolean;
}

export async function loadOrCreateIdentity(path: string): Promise<LoadedIdentity> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ChatError(ErrorCode.KEY_FILE, `cannot read identity file ${path}: ${(error as Error).message}`, { cause: error });
    }
    const identity = await generateIdentity();
    await writePrivateFile(path, exportPrivateKeyPem(identity));
    return { identity, path, created: true };
  }
  await assertPrivateFileMode(path);
  return { identity: identityFromPem(pem), path, created: false };
}
