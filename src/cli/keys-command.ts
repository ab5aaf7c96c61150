// `tui-chat keys`: look after the identity key. show (default), export (the public key), rotate
// (a new key; peers will see the change), protect / unprotect (a passphrase on the file).
import { createPublicKey } from 'node:crypto';
import { configDir, defaultClientStateDir, defaultIdentityPath } from '../client/config-paths.js';
import { snapshotForNewIdentity } from '../client/state/client-state.js';
import { commitRekey, prepareRekey } from '../client/state/state-rekey.js';
import { generateIdentity } from '../core/identity.js';
import { UPGRADED_NOTICE, loadOrCreateIdentity, rotateIdentity, saveIdentity } from '../client/identity-store.js';
import { readFile } from 'node:fs/promises';
import { ChatError, ErrorCode, UsageError } from '../core/errors.js';
import { verifyRetirement } from '../core/key-retirement.js';
import { formatFingerprint } from '../core/fingerprint.js';
import { type FlagTable, parseFlags } from './arg-parser.js';
import type { CliCommand } from './cli-command.js';
import type { CliIo } from './cli-io.js';
import { tightenPrivateDir } from '../storage/private-file.js';
import { tightenedNotice } from './notices.js';
import { passphraseSource, wrongPassphraseNotice } from './passphrase.js';

export const KEYS_FLAGS = {
  identity: { kind: 'string', value: 'FILE', default: '$XDG_CONFIG_HOME/tui-chat/identity.pem', description: 'identity key (created, mode 0600, if missing)' },
  'passphrase-file': { kind: 'string', value: 'FILE', description: 'first line of FILE is the passphrase (else you are asked)' },
  'keep-old': { kind: 'boolean', description: 'rotate: keep an unprotected old key, encrypted with the passphrase (a protected one is always kept)' },
  'data-dir': {
    kind: 'string',
    value: 'DIR',
    default: '$XDG_DATA_HOME/tui-chat/client',
    description: "rotate: the client's sessions and history there move to the new key (as connect's --data-dir)",
  },
  help: { kind: 'boolean', description: 'show this help' },
} as const satisfies FlagTable;

export const command: CliCommand = {
  synopsis: 'tui-chat keys [show|export|rotate|protect|unprotect|verify-retirement FILE] [options]',
  flags: KEYS_FLAGS,
  run: runKeys,
};

const ACTIONS = ['show', 'export', 'rotate', 'protect', 'unprotect', 'verify-retirement'] as const;
type Action = (typeof ACTIONS)[number];

export async function runKeys(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags(argv, KEYS_FLAGS);
  const action = (positionals[0] ?? 'show') as Action;
  if (!ACTIONS.includes(action)) throw new UsageError(`keys takes one of ${ACTIONS.join(', ')}`);
  if (action === 'verify-retirement') {
    if (positionals.length !== 2) throw new UsageError('keys verify-retirement needs the statement FILE');
    return verifyRetirementFile(positionals[1]!, io);
  }
  if (positionals.length > 1) throw new UsageError(`keys ${action} takes no further arguments`);
  const path = flags.identity.startsWith('$') ? defaultIdentityPath(io.env) : flags.identity;
  const tightened = await tightenPrivateDir(configDir(io.env));
  if (tightened !== undefined) io.stderr.write(`${tightenedNotice(configDir(io.env), tightened)}\n`);
  const passphrase = passphraseSource(flags['passphrase-file'], io, `passphrase for ${path}: `);
  const loaded = await loadOrCreateIdentity(path, { passphrase, onWrongPassphrase: wrongPassphraseNotice(io) });
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
      const keepOld = flags['keep-old'];
      const secret = loaded.encrypted || keepOld ? await passphrase() : undefined;
      // Sessions and history are sealed under the key: written again under the new one first, put
      // in place once the new key is saved (a crash between leaves nothing unreadable).
      const next = await generateIdentity();
      const stateDir = flags['data-dir'].startsWith('$') ? defaultClientStateDir(io.env) : flags['data-dir'];
      const prepared = prepareRekey(stateDir, identity, next, snapshotForNewIdentity);
      const rotation = await rotateIdentity(path, loaded, { ...(secret === undefined ? {} : { passphrase: secret }), keepOld, next });
      commitRekey(prepared);
      io.stdout.write(
        `new fingerprint ${formatFingerprint(rotation.identity.fingerprint)}\n` +
          (prepared.files.length === 0 ? '' : `your sessions and history (${prepared.files.length} files in ${stateDir}) moved to the new key\n`) +
          (rotation.oldPath === undefined
            ? 'old key deleted (it was not passphrase-protected; --keep-old keeps it, encrypted)\n'
            : `old key kept, protected, in ${rotation.oldPath}\n`) +
          `retirement statement ${rotation.statementPath}\n` +
          'Peers will see your key change and ask you to compare safety numbers again. Send them the statement:\n' +
          '`tui-chat keys verify-retirement FILE` shows them that your old key signed the new one.\n',
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

async function verifyRetirementFile(file: string, io: CliIo): Promise<number> {
  let statement: unknown;
  try {
    statement = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ChatError(ErrorCode.KEY_FILE, `cannot read ${file}: ${(error as Error).message}`);
  }
  const { oldFingerprint, newFingerprint, at } = verifyRetirement(statement);
  io.stdout.write(
    `valid: the key ${formatFingerprint(oldFingerprint)}\nwas retired on ${at} in favour of\n        ${formatFingerprint(newFingerprint)}\n` +
      '(signed by both keys). Check that the old fingerprint is the one you knew for this person.\n',
  );
  return 0;
}
