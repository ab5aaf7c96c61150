// `tui-chat serve`: runs the relay daemon in the foreground until SIGINT/SIGTERM.
import { ChatError } from '../core/errors.js';
import { type LogLevel, createLineLogger } from '../core/logger.js';
import { ChatServer, DEFAULT_HOST, DEFAULT_PORT } from '../server/chat-server.js';
import { DEFAULT_SERVER_LIMITS } from '../server/server-limits.js';
import { MAX_FRAME_BYTES_CEILING } from '../core/frame-types.js';
import { resolveFfmpeg } from '../video/ffmpeg-path.js';
import { type FlagSpec, parseArgs } from './arg-parser.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from '../core/errors.js';
import { formatFingerprint } from '../core/fingerprint.js';
import { defaultServerDir } from '../client/config-paths.js';
import { loadOrCreateServerCertificate } from '../server/server-certificate.js';
import { CLUSTER_FLAGS, clusterOptionsFromFlags } from './cluster-flags.js';

export const SERVE_SYNOPSIS = 'tui-chat serve [options]';
export const SERVE_SUMMARY = 'Run the relay daemon over TLS (headless; logs to stderr).';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const L = DEFAULT_SERVER_LIMITS;

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'host', kind: 'string', value: 'HOST', default: DEFAULT_HOST, description: 'interface to listen on (0.0.0.0 for every interface)' },
  { name: 'port', kind: 'integer', value: 'PORT', default: DEFAULT_PORT, description: 'TCP port (0 picks a free one)' },
  { name: 'videos', kind: 'string', value: 'DIR', default: 'videos', description: 'folder of videos clients may play' },
  { name: 'ffmpeg', kind: 'string', value: 'PATH', description: 'ffmpeg binary (else $TUI_CHAT_FFMPEG, ffmpeg-static, @ffmpeg-installer/ffmpeg, PATH)' },
  { name: 'max-frame-bytes', kind: 'integer', value: 'N', min: 1024, max: MAX_FRAME_BYTES_CEILING, default: L.maxControlFrameBytes, description: 'largest control frame a client may send' },
  { name: 'max-media-frame-bytes', kind: 'integer', value: 'N', min: 1024, max: MAX_FRAME_BYTES_CEILING, default: L.maxMediaFrameBytes, description: 'largest media frame sent to a client' },
  { name: 'handshake-timeout-ms', kind: 'integer', value: 'MS', min: 1, default: L.handshakeTimeoutMs, description: 'time allowed from connect to joined' },
  { name: 'max-queue-bytes', kind: 'integer', value: 'N', min: 1024, default: L.maxQueueBytes, description: 'unsent bytes per client before it is dropped as a slow reader' },
  { name: 'max-clients', kind: 'integer', value: 'N', min: 1, default: L.maxClients, description: 'connections at once' },
  { name: 'max-clients-per-address', kind: 'integer', value: 'N', min: 1, default: L.maxClientsPerAddress, description: 'connections at once from one IP address' },
  { name: 'rate-messages', kind: 'integer', value: 'N', min: 1, default: L.messagesPerSecond, description: 'messages a second per client before the server stops reading from it for a while' },
  { name: 'rate-burst', kind: 'integer', value: 'N', min: 1, default: L.messageBurst, description: 'messages a client may send at once above that rate' },
  { name: 'rate-bytes', kind: 'integer', value: 'N', min: 1024, default: L.bytesPerSecond, description: 'bytes a second per client, likewise' },
  { name: 'rate-burst-bytes', kind: 'integer', value: 'N', min: 1024, default: L.byteBurst, description: 'bytes a client may send at once above that rate' },
  { name: 'idle-timeout-ms', kind: 'integer', value: 'MS', min: 1000, default: L.idleTimeoutMs, description: 'drop a joined client silent this long (clients ping every 30 s)' },
  { name: 'max-streams', kind: 'integer', value: 'N', min: 0, default: L.maxStreams, description: 'video streams at once (one ffmpeg each)' },
  ...CLUSTER_FLAGS,
  { name: 'log-level', kind: 'string', value: 'LEVEL', default: 'info', description: 'debug, info, warn or error' },
  { name: 'tls-dir', kind: 'string', value: 'DIR', default: '$XDG_CONFIG_HOME/tui-chat/server', description: 'where the TLS key (0600) and self-signed certificate live; made on first start' },
  { name: 'plaintext', kind: 'boolean', description: 'no TLS (tests and debugging only: the network can read and alter the traffic)' },
  { name: 'help', kind: 'boolean', description: 'show this help' },
];

export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, SERVE_FLAGS);
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got "${positionals[0]}")`);
  const level = flags['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const cluster = await clusterOptionsFromFlags(flags);
  const logger = createLineLogger((line) => io.stderr.write(line), level);

  try {
    const ffmpeg = resolveFfmpeg({ explicitPath: flags['ffmpeg'] as string | undefined, env: io.env });
    logger.log('info', 'ffmpeg.found', { path: ffmpeg.path, source: ffmpeg.source });
  } catch (error) {
    // Chat works without ffmpeg; only video needs it, so say so and carry on.
    if (!(error instanceof ChatError)) throw error;
    logger.log('warn', 'ffmpeg.missing', { reason: error.message });
  }

  let tls: { keyPem: string; certPem: string } | undefined;
  let fingerprint: string | undefined;
  if (flags['plaintext'] === true) {
    io.stderr.write('WARNING: --plaintext: TLS is OFF. Anyone on the network path can see who talks to whom and alter the traffic;\nmessage contents stay end-to-end encrypted. Use this for tests and debugging only.\n');
  } else {
    const tlsDirFlag = flags['tls-dir'] as string;
    const tlsDir = tlsDirFlag.startsWith('$') ? defaultServerDir(io.env) : tlsDirFlag;
    const { certificate, created } = await loadOrCreateServerCertificate(tlsDir);
    if (created) logger.log('info', 'tls.certificate_created', { dir: tlsDir });
    tls = { keyPem: certificate.keyPem, certPem: certificate.certPem };
    fingerprint = certificate.fingerprint;
  }

  const server = new ChatServer({
    host: flags['host'] as string,
    port: flags['port'] as number,
    videosDir: flags['videos'] as string,
    logger,
    limits: {
      maxControlFrameBytes: flags['max-frame-bytes'] as number,
      maxMediaFrameBytes: flags['max-media-frame-bytes'] as number,
      handshakeTimeoutMs: flags['handshake-timeout-ms'] as number,
      maxQueueBytes: flags['max-queue-bytes'] as number,
      maxClients: flags['max-clients'] as number,
      maxStreams: flags['max-streams'] as number,
      maxClientsPerAddress: flags['max-clients-per-address'] as number,
      messagesPerSecond: flags['rate-messages'] as number,
      messageBurst: flags['rate-burst'] as number,
      bytesPerSecond: flags['rate-bytes'] as number,
      byteBurst: flags['rate-burst-bytes'] as number,
      idleTimeoutMs: flags['idle-timeout-ms'] as number,
    },
    ...(flags['ffmpeg'] === undefined ? {} : { ffmpegPath: flags['ffmpeg'] as string }),
    ...(tls === undefined ? {} : { tls }),
    ...(cluster === undefined ? {} : { cluster }),
  });
  const address = await server.listen();
  if (server.clusterNodeId !== undefined) io.stdout.write(`cluster node ${server.clusterNodeId} on ${flags['cluster'] as string}\n`);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`tui-chat listening on ${shown}:${address.port}${tls === undefined ? ' (PLAINTEXT, no TLS)' : ' (TLS)'}\n`);
  if (fingerprint !== undefined) {
    // Clients pin this on first connect; tell users to compare it (or pass it with --server-fingerprint).
    io.stdout.write(`certificate fingerprint ${formatFingerprint(fingerprint)}\n`);
  }

  const signal = await new Promise<string>((resolve) => {
    const remove = io.onShutdownSignal((name) => {
      remove();
      resolve(name);
    });
  });
  logger.log('info', 'server.signal', { signal });
  await server.close('the server is shutting down');
  logger.log('info', 'server.stopped');
  return 0;
}
