// `tui-chat keys`: look after the identity key. show (default), export (the public key), rotate
// (a new key; peers will see the change), protect / unprotect (a passphrase on the file).
import { createPublicKey } from 'node:crypto';
import { defaultIdentityPath } from '../client/config-paths.js';
import { UPGRADED_NOTICE, loadOrCreateIdentity, rotateIdentity, saveIdentity } from '../client/identity-store.js';
import { UsageError } from '../core/errors.js';
import { formatFingerprint } from '../core/fingerprint.js';
import { type FlagSpec, parseArgs } from './arg-parser.js';
import type { CliIo } from './cli-io.js';
import { passphraseSource } from './passphrase.js';

export const KEYS_SYNOPSIS = 'tui-chat keys [show|export|rotate|protect|unprotect] [options]';
export const KEYS_SUMMARY = 'Show, export, rotate or passphrase-protect your identity key.';

export const KEYS_FLAGS: readonly FlagSpec[] = [
  { name: 'identity', kind: 'string', value: 'FILE', default: '$XDG_CONFIG_HOME/tui-chat/identity.pem', description: 'identity key (created, mode 0600, if missing)' },
  { name: 'passphrase-file', kind: 'string', value: 'FILE', description: 'first line of FILE is the passphrase (else you are asked)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

const ACTIONS = ['show', 'export', 'rotate', 'protect', 'unprotect'] as const;
type Action = (typeof ACTIONS)[number];

export async function runKeys(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, KEYS_FLAGS);
  const action = (positionals[0] ?? 'show') as Action;
  if (!ACTIONS.includes(action) || positionals.length > 1) throw new UsageError(`keys takes one of ${ACTIONS.join(', ')}`);
  const identityFlag = flags['identity'] as string;
  const path = identityFlag.startsWith('$') ? defaultIdentityPath(io.env) : identityFlag;
  const passphrase = passphraseSource(flags['passphrase-file'] as string | undefined, io, `passphrase for ${path}: `);
  const loaded = await loadOrCreateIdentity(path, { passphrase });
  const { identity } = loaded;
  if (loaded.upgraded) io.stderr.write(`${UPGRADED_NOTICE(path)}\n`);

  switch (action) {
    case 'show': {
      const bits = identity.privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
      io.stdout.write(
        `identity    ${path}${loaded.created ? ' (just created)' : ''}\n` +
          `key         RSA ${bits}, ${loaded.encrypted ? 'protected by a passphrase' : 'not passphrase-protected (tui-chat keys protect)'}\n` +
          `fingerprint ${formatFingerprint(identity.fingerprint)}\n`,
      );
      return 0;
    }
    case 'export':
      io.stdout.write(createPublicKey(identity.privateKey).export({ type: 'spki', format: 'pem' }).toString());
      return 0;
    case 'rotate': {
      const { identity: fresh, oldPath } = await rotateIdentity(path, loaded.encrypted ? await passphrase() : undefined);
      io.stdout.write(
        `new fingerprint ${formatFingerprint(fresh.fingerprint)}\nold key kept in ${oldPath}\n` +
          'Peers will see your key change and ask you to compare safety numbers again.\n',
      );
      return 0;
    }
    case 'protect':
      await saveIdentity(path, identity, await passphrase());
      io.stdout.write(`${path} is now protected by a passphrase\n`);
      return 0;
    case 'unprotect':
      await saveIdentity(path, identity);
      io.stdout.write(`${path} is no longer passphrase-protected\n`);
      return 0;
  }
}
