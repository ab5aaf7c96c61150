// Loads the user's identity key from disk, creating it on first run; optionally encrypted with a
// passphrase (PKCS#8, PBES2: PBKDF2-HMAC-SHA256 at 600,000 iterations + AES-256-CBC; see
// key-file-protection.ts). A file protected more weakly (an older tui-chat wrote 2,048
// iterations) is re-encrypted at today's strength when it is next unlocked. The private key never
// leaves this machine: only the public key and fingerprint are ever sent.
import { readFile, readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type KeyRetirement, retireKey } from '../core/key-retirement.js';
import { MAX_RETIREMENT_CHAIN } from '../core/message-codec.js';
import { ChatError, ErrorCode } from '../core/errors.js';
import { type Identity, exportPrivateKeyPem, generateIdentity, identityFromPem } from '../core/identity.js';
import { assertPrivateFileMode, writePrivateFile } from '../storage/private-file.js';
import { KEY_FILE_PBKDF2_ITERATIONS, encryptPrivateKey, isWeaklyProtected } from './key-file-protection.js';

export interface LoadedIdentity {
  readonly identity: Identity;
  readonly path: string;
  /** True when this call generated the key (first run). */
  readonly created: boolean;
  /** True when the file on disk is passphrase-protected. */
  readonly encrypted: boolean;
  /** True when this call re-encrypted a weakly protected file at today's strength. */
  readonly upgraded: boolean;
}

export const UPGRADED_NOTICE = (path: string): string =>
  `re-encrypted ${path} with today's passphrase protection (PBKDF2-SHA256, ${KEY_FILE_PBKDF2_ITERATIONS.toLocaleString('en')} iterations)`;

/**
 * Asked only when the file is encrypted (or a new key is to be protected). `retry`, when the source
 * can ask again (a prompt, not a file), forgets the answer so the next call asks anew.
 */
export type PassphraseSource = (() => Promise<string>) & { readonly retry?: () => void };

/** Wrong passphrases allowed at a prompt before giving up, as ssh does. */
export const PASSPHRASE_ATTEMPTS = 3;

const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----/;

export interface IdentityOptions {
  /** Unlocks an encrypted file (and protects a new one when protectNew is set). */
  readonly passphrase?: PassphraseSource;
  /** Encrypt a newly created key with the passphrase. Default false: protecting is opt-in. */
  readonly protectNew?: boolean;
  /** Told after a wrong passphrase at a prompt, with the tries left. */
  readonly onWrongPassphrase?: (triesLeft: number) => void;
}

export async function loadOrCreateIdentity(path: string, options: IdentityOptions = {}): Promise<LoadedIdentity> {
  const { passphrase } = options;
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ChatError(ErrorCode.KEY_FILE, `cannot read identity file ${path}: ${(error as Error).message}`, { cause: error });
    }
    const identity = await generateIdentity();
    const protect = options.protectNew === true && passphrase !== undefined;
    await saveIdentity(path, identity, protect ? await passphrase() : undefined);
    return { identity, path, created: true, encrypted: protect, upgraded: false };
  }
  await assertPrivateFileMode(path);
  if (!ENCRYPTED_PEM.test(pem)) return { identity: identityFromPem(pem), path, created: false, encrypted: false, upgraded: false };
  if (passphrase === undefined) {
    throw new ChatError(ErrorCode.KEY_FILE, `${path} is protected by a passphrase: give it with --passphrase-file FILE (or run in a terminal to be asked)`);
  }
  let secret = await passphrase();
  let identity: Identity | undefined;
  for (let attempt = 1; identity === undefined; attempt++) {
    try {
      identity = identityFromPem(pem, secret);
    } catch (error) {
      if (passphrase.retry === undefined || attempt >= PASSPHRASE_ATTEMPTS)
        throw new ChatError(ErrorCode.KEY_FILE, `wrong passphrase for ${path}`, { cause: error });
      options.onWrongPassphrase?.(PASSPHRASE_ATTEMPTS - attempt);
      passphrase.retry();
      secret = await passphrase();
    }
  }
  const upgraded = isWeaklyProtected(pem);
  if (upgraded) await writePrivateFile(path, await encryptPrivateKey(identity.privateKey, secret));
  return { identity, path, created: false, encrypted: true, upgraded };
}

/** Writes the key (0600, atomically), encrypted when a passphrase is given. */
export async function saveIdentity(path: string, identity: Identity, passphrase?: string): Promise<void> {
  if (passphrase !== undefined && passphrase.length < 8) {
    throw new ChatError(ErrorCode.KEY_FILE, 'a passphrase needs at least 8 characters');
  }
  const pem = passphrase === undefined ? exportPrivateKeyPem(identity) : await encryptPrivateKey(identity.privateKey, passphrase);
  await writePrivateFile(path, pem);
}

export interface Rotation {
  readonly identity: Identity;
  /** The statement "old retired for new", signed by both keys, for peers (keys verify-retirement). */
  readonly statementPath: string;
  /** Where the old key was kept, or undefined when it was deleted. */
  readonly oldPath: string | undefined;
}

/**
 * Replaces the identity with a new key (protected, with `passphrase`, when the old one was) and writes a
 * retirement statement signed by both keys beside it. The old key is kept (as PATH.old-TIMESTAMP,
 * 0600) only protected: a passphrase-protected file as it was; an unprotected one only with
 * `keepOld`, encrypted with the passphrase. Otherwise it is deleted: a retired key lying around
 * unprotected is a key someone can still sign with.
 */
export async function rotateIdentity(
  path: string,
  current: LoadedIdentity,
  options: { readonly passphrase?: string; readonly keepOld?: boolean; readonly next?: Identity } = {},
  now: Date = new Date(),
): Promise<Rotation> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  // Made by the caller when it must prepare something under the new key first (the client's state).
  const identity = options.next ?? (await generateIdentity());
  const statementPath = `${path}.retired-${stamp}.json`;
  await writePrivateFile(statementPath, `${JSON.stringify(retireKey(current.identity, identity, now), null, 2)}\n`);
  let oldPath: string | undefined = `${path}.old-${stamp}`;
  if (current.encrypted) {
    await rename(path, oldPath);
  } else if (options.keepOld === true) {
    if (options.passphrase === undefined)
      throw new ChatError(ErrorCode.KEY_FILE, 'keeping the old key needs a passphrase to protect it (--passphrase-file, or run in a terminal)');
    await saveIdentity(oldPath, current.identity, options.passphrase);
  } else {
    oldPath = undefined;
  }
  // The new key is protected as the old one was.
  await saveIdentity(path, identity, current.encrypted ? options.passphrase : undefined);
  return { identity, statementPath, oldPath };
}

/**
 * The retirement statements `keys rotate` left beside the key file that lead to this key, oldest
 * first (at most MAX_RETIREMENT_CHAIN): sent at join, so a server that bound our name to an older
 * key moves it to this one, even after several rotations it never saw.
 */
export async function findRetirementChain(path: string, identity: Identity): Promise<KeyRetirement[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.retired-`;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.startsWith(prefix) && name.endsWith('.json'));
  } catch {
    return [];
  }
  const byNewKey = new Map<string, KeyRetirement>();
  for (const name of names) {
    try {
      const statement = JSON.parse(await readFile(join(dir, name), 'utf8')) as KeyRetirement;
      byNewKey.set(statement.new, statement);
    } catch {
      // Not ours to judge here: a damaged statement is simply not sent.
    }
  }
  const chain: KeyRetirement[] = [];
  let key = identity.publicKeyBase64;
  for (let statement = byNewKey.get(key); statement !== undefined && chain.length < MAX_RETIREMENT_CHAIN; statement = byNewKey.get(key)) {
    chain.unshift(statement);
    key = statement.old;
  }
  return chain;
}
