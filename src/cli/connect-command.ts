// `tui-chat connect HOST:PORT`: loads (or creates) the identity, then runs the --json line mode
// or the full-screen TUI over one ChatSession.
import { existsSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ChatClient } from '../client/chat-client.js';
import { ClientState } from '../client/state/client-state.js';
import type { JournalDamage } from '../client/state/sealed-files.js';
import { ChatSession } from '../client/chat-session.js';
import { configDir, defaultClientStateDir, defaultIdentityPath, defaultKnownPeersPath, defaultKnownServersPath } from '../client/config-paths.js';
import { KnownServers } from '../client/known-servers.js';
import { NoticeBoard } from '../client/notice-board.js';
import { normalizeFingerprint, openTcpStream, openTlsStream } from '../client/tls-transport.js';
import type { Duplex } from 'node:stream';
import { UPGRADED_NOTICE, findRetirementChain, loadOrCreateIdentity } from '../client/identity-store.js';
import { runJsonLineMode } from '../client/json-line-mode.js';
import { FileShelf } from '../client/files/file-shelf.js';
import { KnownPeers } from '../client/known-peers.js';
import { UsageError } from '../core/errors.js';
import { formatFingerprint } from '../core/fingerprint.js';
import { NAME_RULE, isValidName } from '../core/names.js';
import { DEFAULT_PORT } from '../core/network-defaults.js';
import { type HostPort, parseHostPort } from './address.js';
import { type FlagTable, type FlagValues, parseFlags } from './arg-parser.js';
import type { CliCommand } from './cli-command.js';
import { passphraseSource, wrongPassphraseNotice } from './passphrase.js';
import type { CliIo } from './cli-io.js';
import { tightenPrivateDir } from '../storage/private-file.js';
import { tightenedNotice } from './notices.js';

export const CONNECT_FLAGS = {
  name: { kind: 'string', value: 'NAME', default: '$USER', description: `name to join as (${NAME_RULE})` },
  json: { kind: 'boolean', description: 'no TUI: commands on stdin, one JSON event per line on stdout' },
  identity: { kind: 'string', value: 'FILE', default: '$XDG_CONFIG_HOME/tui-chat/identity.pem', description: 'identity key (created, mode 0600, if missing)' },
  'passphrase-file': { kind: 'string', value: 'FILE', description: 'first line of FILE unlocks a protected identity (else you are asked)' },
  'known-peers': {
    kind: 'string',
    value: 'FILE',
    default: '$XDG_CONFIG_HOME/tui-chat/known_peers.json',
    description: 'first-seen peer fingerprints (trust on first use)',
  },
  'data-dir': {
    kind: 'string',
    value: 'DIR',
    default: '$XDG_DATA_HOME/tui-chat/client',
    description: 'where sessions, unsent messages and history are kept, encrypted under your identity key',
  },
  'history-days': { kind: 'integer', value: 'D', min: 1, default: 90, description: 'days of history kept on this device' },
  'no-bell': { kind: 'boolean', description: 'do not ring the terminal bell on a DM or a line naming you (they are still highlighted)' },
  'server-fingerprint': { kind: 'string', value: 'HEX', description: 'the server certificate fingerprint to require (as `tui-chat serve` prints it)' },
  'known-servers': {
    kind: 'string',
    value: 'FILE',
    default: '$XDG_CONFIG_HOME/tui-chat/known_servers.json',
    description: 'pinned server certificates (trust on first use)',
  },
  plaintext: { kind: 'boolean', description: 'no TLS, to a server started with --plaintext (tests and debugging only)' },
  player: { kind: 'string', value: 'KIND', default: 'terminal', description: 'where :play shows video: terminal or ffplay' },
  ffplay: { kind: 'string', value: 'PATH', description: 'ffplay binary (default: ffplay on PATH)' },
  help: { kind: 'boolean', description: 'show this help' },
} as const satisfies FlagTable;

type ConnectFlags = FlagValues<typeof CONNECT_FLAGS>;

export const command: CliCommand = { synopsis: 'tui-chat connect HOST[:PORT][,HOST[:PORT]...] [options]', flags: CONNECT_FLAGS, run: runConnect };

export async function runConnect(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags(argv, CONNECT_FLAGS);
  if (positionals.length !== 1) throw new UsageError('connect needs exactly one HOST:PORT (or several of one cluster, comma-separated)');
  // HOST:PORT,HOST:PORT...: the nodes of one cluster, tried in turn when a connection is lost.
  const [{ host, port }, ...alternates] = positionals[0]!.split(',').map((part) => parseHostPort(part.trim(), DEFAULT_PORT)) as [HostPort, ...HostPort[]];
  const name = flags.name === '$USER' ? (io.env['USER'] ?? 'user') : flags.name;
  if (!isValidName(name)) throw new UsageError(`"${name}" is not a valid name: use ${NAME_RULE}`);
  const player = flags.player;
  if (player !== 'terminal' && player !== 'ffplay') throw new UsageError('--player must be terminal or ffplay');

  const identityPath = flags.identity.startsWith('$') ? defaultIdentityPath(io.env) : flags.identity;
  const knownPath = flags['known-peers'].startsWith('$') ? defaultKnownPeersPath(io.env) : flags['known-peers'];

  const tightened = await tightenPrivateDir(configDir(io.env));
  const passphraseFile = flags['passphrase-file'];
  const loaded = await loadOrCreateIdentity(identityPath, {
    passphrase: passphraseSource(passphraseFile, io, `passphrase for ${identityPath}: `),
    protectNew: passphraseFile !== undefined,
    onWrongPassphrase: wrongPassphraseNotice(io),
  });
  const notices = new NoticeBoard();
  if (tightened !== undefined) notices.post(tightenedNotice(configDir(io.env), tightened));
  if (loaded.created) {
    notices.post(`created your identity key ${loaded.path}, fingerprint ${formatFingerprint(loaded.identity.fingerprint)}`);
  }
  if (loaded.upgraded) notices.post(UPGRADED_NOTICE(loaded.path));
  const knownPeers = await KnownPeers.load(knownPath);
  const retirements = await findRetirementChain(loaded.path, loaded.identity);
  const openStream = await chooseTransport(flags, io, notices);
  // One state per server, name and key: sessions there go on across reconnects and restarts.
  const stateDir = flags['data-dir'].startsWith('$') ? defaultClientStateDir(io.env) : flags['data-dir'];
  const stateId = stateIdOf(stateDir, `${host}:${port}`, name, loaded.identity.fingerprint);
  const state = ClientState.open(join(stateDir, stateId), loaded.identity, { historyRetentionMs: flags['history-days'] * 86_400_000 });
  if (state.historyDamage !== undefined) notices.post(historyDamageNotice(state.historyDamage));
  // Files sent and received there, sealed like the state (client/files/file-shelf.ts).
  const files = FileShelf.open(join(stateDir, stateId), loaded.identity);
  const sessionOptions = {
    host,
    port,
    name,
    identity: loaded.identity,
    knownPeers,
    openStream,
    state,
    files,
    ...(retirements.length === 0 ? {} : { retirements }),
  };
  if (flags.json) {
    notices.subscribe((text) => io.stderr.write(`${text}\n`));
    const session = new ChatSession(sessionOptions);
    session.on('ready', () => session.resendUnsettled());
    return runJsonLineMode(session, io.stdin, io.stdout);
  }
  // Loaded only here: blessed must never be imported by the daemon or the line mode.
  const { runTui } = await import('../tui/tui-app.js');
  const client = new ChatClient({ ...sessionOptions, alternates });
  return runTui({
    client,
    serverLabel: `${host}:${port}`,
    defaultPlayer: player,
    bell: !flags['no-bell'],
    notices,
    ...(flags.ffplay === undefined ? {} : { ffplayPath: flags.ffplay }),
  });
}

/** TLS with pinning by default; plain TCP with --plaintext, said loudly on stderr. */
async function chooseTransport(flags: ConnectFlags, io: CliIo, notices: NoticeBoard): Promise<(host: string, port: number) => Promise<Duplex>> {
  if (flags.plaintext) {
    io.stderr.write('WARNING: --plaintext: TLS is OFF for this connection (tests and debugging only).\n');
    return openTcpStream;
  }
  const expected = flags['server-fingerprint'];
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(normalizeFingerprint(expected))) {
    throw new UsageError('--server-fingerprint must be 64 hex digits (spaces and colons allowed)');
  }
  const knownServersFlag = flags['known-servers'];
  const knownServers = await KnownServers.load(knownServersFlag.startsWith('$') ? defaultKnownServersPath(io.env) : knownServersFlag);
  return (host, port) =>
    openTlsStream(host, port, {
      knownServers,
      ...(expected === undefined ? {} : { expectedFingerprint: expected }),
      onFirstUse: (address, fingerprint) => {
        const others = knownServers.otherAddressesWith(fingerprint, address);
        const same = others.length > 0 ? `; the same certificate is pinned for ${others.join(', ')}` : '';
        notices.post(
          `first connection to ${address}: pinned its certificate ${formatFingerprint(fingerprint)} ` +
            '(compare it with the fingerprint the server printed at start). ' +
            `The pin is for this host name: reaching the server by another name or address pins again${same}`,
        );
      },
      onReplaced: (address, was, now) =>
        notices.post(
          `replaced the pinned certificate of ${address}: was ${formatFingerprint(was)}, now ${formatFingerprint(now)} (as --server-fingerprint said)`,
        ),
    });
}

/** Said once, when a damaged history was read past: what was lost, and where the file as it was is. */
function historyDamageNotice(damage: JournalDamage): string {
  const what = damage.records === 1 ? 'a damaged record' : `${damage.records} damaged records`;
  return `your message history had ${what} (${damage.bytes} bytes): skipped, the rest kept. The file as it was is ${damage.keptAt}`;
}

/**
 * One state per server and name: not per key, so `keys rotate` can move it to a new key in place.
 * A state named the older way (with the key's fingerprint) is renamed to this name on first use.
 */
function stateIdOf(dir: string, server: string, name: string, fingerprint: string): string {
  const id = createHash('sha256').update(`${server}\u0000${name.toLowerCase()}`).digest('hex').slice(0, 24);
  const legacy = createHash('sha256').update(`${server}\u0000${name.toLowerCase()}\u0000${fingerprint}`).digest('hex').slice(0, 24);
  const suffixes = ['.state', '.keys', '.history'];
  if (!suffixes.some((suffix) => existsSync(join(dir, id + suffix)))) {
    for (const suffix of suffixes) if (existsSync(join(dir, legacy + suffix))) renameSync(join(dir, legacy + suffix), join(dir, id + suffix));
  }
  return id;
}
