// `tui-chat serve`: runs the relay daemon in the foreground until SIGINT/SIGTERM.
// Its flags are in serve-flags.ts.
import { openFilesLimit, openFilesWarning } from './open-files-limit.js';
import { ChatError } from '../core/errors.js';
import { type LogLevel, createLineLogger } from '../core/logger.js';
import { ChatServer } from '../server/chat-server.js';
import type { ServerLimits } from '../server/server-limits.js';
import { SERVE_FLAGS, type ServeFlags, limitsFrom } from './serve-flags.js';
import { DEFAULT_HOST } from '../core/network-defaults.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
import { resolveFfmpeg } from '../server/video/ffmpeg-path.js';
import { parseFlags } from './arg-parser.js';
import { flagsFromConfigFile } from './config-file.js';
import type { CliCommand } from './cli-command.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from '../core/errors.js';
import { formatFingerprint } from '../core/fingerprint.js';
import { defaultServerDataDir, defaultServerDir } from '../client/config-paths.js';
import { loadOrCreateServerCertificate } from '../server/server-certificate.js';
import { clusterOptionsFromFlags } from './cluster-flags.js';
import type { ClusterOptions } from '../server/cluster/cluster-options.js';
import { parseHostPort } from './address.js';
import type { Server } from 'node:http';
import type { ServerGauges } from '../server/metrics/server-metrics.js';

export { SERVE_FLAGS } from './serve-flags.js';

export const command: CliCommand = {
  synopsis: 'tui-chat serve [options]  |  tui-chat serve names [--data-dir DIR | --cluster URL --cluster-name N]  |  tui-chat serve release-name NAME [same]',
  flags: SERVE_FLAGS,
  run: runServe,
};

export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = await resolveFlags(argv);
  const dataDir = flags['data-dir'].startsWith('$') ? defaultServerDataDir(io.env) : flags['data-dir'];
  if (positionals[0] === 'names' || positionals[0] === 'release-name') {
    return runNameAdmin(positionals, dataDir, limitsFrom(flags), io, await clusterOptionsFromFlags(flags));
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments (got "${positionals[0]}")`);
  const level = LOG_LEVELS.find((known) => known === flags['log-level']);
  if (level === undefined) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const cluster = await clusterOptionsFromFlags(flags);
  const logger = createLineLogger((line) => io.stderr.write(line), level);

  try {
    const ffmpeg = resolveFfmpeg({ explicitPath: flags.ffmpeg, env: io.env });
    logger.log('info', 'ffmpeg.found', { path: ffmpeg.path, source: ffmpeg.source });
  } catch (error) {
    // Chat works without ffmpeg; only video needs it, so say so and carry on.
    if (!(error instanceof ChatError)) throw error;
    logger.log('warn', 'ffmpeg.missing', { reason: error.message });
  }

  let tls: { keyPem: string; certPem: string } | undefined;
  let fingerprint: string | undefined;
  if (flags.plaintext) {
    io.stderr.write(
      'WARNING: --plaintext: TLS is OFF. Anyone on the network path can see who talks to whom and alter the traffic;\n' +
        'message contents stay end-to-end encrypted. Use this for tests and debugging only.\n',
    );
  } else {
    const tlsDirFlag = flags['tls-dir'];
    const tlsDir = tlsDirFlag.startsWith('$') ? defaultServerDir(io.env) : tlsDirFlag;
    const { certificate, created } = await loadOrCreateServerCertificate(tlsDir);
    if (created) logger.log('info', 'tls.certificate_created', { dir: tlsDir });
    tls = { keyPem: certificate.keyPem, certPem: certificate.certPem };
    fingerprint = certificate.fingerprint;
  }

  const metrics = flags.metrics === undefined ? undefined : await prometheusMetrics(flags.metrics, () => server.gauges());
  const server: ChatServer = new ChatServer({
    host: flags.host,
    port: flags.port,
    videosDir: flags.videos,
    logger,
    limits: limitsFrom(flags),
    shutdownDrainMs: flags['shutdown-drain-ms'],
    ...(cluster === undefined ? { dataDir } : {}),
    ...(flags.ffmpeg === undefined ? {} : { ffmpegPath: flags.ffmpeg }),
    ...(tls === undefined ? {} : { tls }),
    ...(cluster === undefined ? {} : { cluster }),
    ...(metrics === undefined ? {} : { metrics: metrics.sink }),
  });
  const address = await server.listen();
  const openFiles = openFilesWarning(flags['max-clients'], openFilesLimit());
  if (openFiles !== undefined) logger.log('warn', 'server.open_files_low', { message: openFiles });
  if (metrics !== undefined) {
    const endpoint = await metrics.start();
    io.stdout.write(`metrics on http://${endpoint.address}:${endpoint.port}/metrics\n`);
  }
  if (server.clusterNodeId !== undefined) io.stdout.write(`cluster node ${server.clusterNodeId} on ${flags.cluster}\n`);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`tui-chat listening on ${shown}:${address.port}${tls === undefined ? ' (PLAINTEXT, no TLS)' : ' (TLS)'}\n`);
  if (fingerprint !== undefined) {
    // Clients pin this on first connect; tell users to compare it (or pass it with --server-fingerprint).
    io.stdout.write(`certificate fingerprint ${formatFingerprint(fingerprint)}\n`);
  }

  // SIGHUP: read the config file and flags again and apply what can change without a restart.
  const stopReloading = io.onReloadSignal(() => {
    void resolveFlags(argv).then(
      ({ flags: next }) => {
        const needRestart = RESTART_ONLY.filter((key) => String(next[key]) !== String(flags[key]));
        if (needRestart.length > 0) logger.log('warn', 'server.reload_needs_restart', { changed: needRestart.join(',') });
        server.reload({ limits: limitsFrom(next), videosDir: next.videos });
        void server.sweepExpired();
      },
      (error: unknown) => logger.log('warn', 'server.reload_failed', { reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown' }),
    );
  });
  const signal = await new Promise<string>((resolve) => {
    const remove = io.onShutdownSignal((name) => {
      remove();
      resolve(name);
    });
  });
  logger.log('info', 'server.signal', { signal });
  stopReloading();
  await server.close('the server is shutting down');
  await metrics?.stop();
  logger.log('info', 'server.stopped');
  return 0;
}

/**
 * The Prometheus sink and its endpoint for --metrics HOST:PORT (or PORT, on 127.0.0.1); prom-client
 * is loaded only here, so a server without --metrics never loads it.
 */
async function prometheusMetrics(where: string, gauges: () => ServerGauges) {
  const { host, port } = /^\d+$/.test(where) ? { host: DEFAULT_HOST, port: Number(where) } : parseHostPort(where, 9464);
  const [{ PrometheusMetrics }, { startMetricsEndpoint }] = await Promise.all([
    import('../server/metrics/prometheus-metrics.js'),
    import('../server/metrics/metrics-endpoint.js'),
  ]);
  const sink = new PrometheusMetrics(gauges);
  let endpoint: Server | undefined;
  return {
    sink,
    start: async () => {
      const started = await startMetricsEndpoint(host, port, sink);
      endpoint = started.server;
      return started.address;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (endpoint === undefined) return resolve();
        endpoint.closeAllConnections();
        endpoint.close(() => resolve());
      }),
  };
}

/** Options a SIGHUP cannot change: the address, TLS, clustering and metrics need a restart. */
const RESTART_ONLY = ['host', 'port', 'data-dir', 'tls-dir', 'plaintext', 'cluster', 'cluster-name', 'metrics', 'log-level', 'ffmpeg'] as const;

/** The command line's flags over those of --config FILE, if any. */
async function resolveFlags(argv: readonly string[]): Promise<{ flags: ServeFlags; positionals: readonly string[] }> {
  const first = parseFlags(argv, SERVE_FLAGS);
  if (first.flags.config === undefined) return first;
  const fromFile = await flagsFromConfigFile(first.flags.config, SERVE_FLAGS);
  return parseFlags([...fromFile, ...argv], SERVE_FLAGS);
}

/**
 * `serve names` lists registrations; `serve release-name NAME` frees a name (and drops what waits
 * for it). LMDB lets this run beside a live server on the same folder; the server reads
 * registrations from the store, so a released name is free at once.
 */
async function runNameAdmin(
  positionals: readonly string[],
  dataDir: string,
  limits: ServerLimits,
  io: CliIo,
  cluster: ClusterOptions | undefined,
): Promise<number> {
  const { DurableStore } = await import('../server/store/durable-store.js');
  const { LmdbKeyValue } = await import('../server/store/key-value.js');
  // On a cluster, the store is the broker's (JetStream), reached as a node would but without joining.
  const bus = cluster === undefined ? undefined : await connectBusOnly(cluster);
  const kv = bus === undefined ? await LmdbKeyValue.open(dataDir) : await bus.openStore();
  const store = new DurableStore(kv, limits);
  const where = cluster === undefined ? dataDir : `cluster ${cluster.name}`;
  try {
    if (positionals[0] === 'names') {
      for (const registration of store.registrations()) {
        const waiting = store.waiting(registration.name).length;
        io.stdout.write(
          `${registration.name}  ${formatFingerprint(registration.fingerprint)}  last seen ${new Date(registration.lastSeenAt).toISOString()}  ${waiting} waiting\n`,
        );
      }
      return 0;
    }
    const name = positionals[1];
    if (name === undefined || positionals.length > 2) throw new UsageError('usage: tui-chat serve release-name NAME [--data-dir DIR]');
    if (!(await store.release(name))) {
      io.stderr.write(`${name} is not registered on this server (${where})\n`);
      return 1;
    }
    io.stdout.write(`released ${name}: anyone may register it now\n`);
    return 0;
  } finally {
    await store.close();
    await bus?.close();
  }
}

/** A broker link with no part in the cluster's chat: for reading and changing its store. */
async function connectBusOnly(options: ClusterOptions) {
  const { NatsBus } = await import('../server/cluster/nats-bus.js');
  const bus = new NatsBus(
    options,
    createLineLogger(() => {}, 'error'),
  );
  await bus.start({ linkChanged() {}, presence() {}, room: () => [], direct: () => false, undelivered() {}, receipts() {}, holds: () => false });
  return bus;
}
