// `tui-chat top [HOST:PORT]`: the live dashboard of a running server, read from the metrics
// endpoint that `serve --metrics HOST:PORT` opens.
import { DEFAULT_HOST } from '../core/network-defaults.js';
import { UsageError } from '../core/errors.js';
import { parseHostPort } from './address.js';
import { type FlagTable, parseFlags } from './arg-parser.js';
import type { CliCommand } from './cli-command.js';
import type { CliIo } from './cli-io.js';

/** The port Prometheus exporters of this kind customarily use; `serve --metrics 9464` matches it. */
export const DEFAULT_METRICS_PORT = 9464;

export const TOP_FLAGS = {
  'interval-ms': { kind: 'integer', value: 'MS', min: 100, default: 1000, description: 'time between two reads of the metrics' },
  help: { kind: 'boolean', description: 'show this help' },
} as const satisfies FlagTable;

export const command: CliCommand = {
  synopsis: `tui-chat top [HOST:PORT] (default ${DEFAULT_HOST}:${DEFAULT_METRICS_PORT})`,
  flags: TOP_FLAGS,
  run: runTopCommand,
};

async function runTopCommand(argv: readonly string[], _io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags(argv, TOP_FLAGS);
  if (positionals.length > 1) throw new UsageError('top takes at most one HOST:PORT');
  const where = positionals[0] ?? `${DEFAULT_HOST}:${DEFAULT_METRICS_PORT}`;
  const { host, port } = /^\d+$/.test(where) ? { host: DEFAULT_HOST, port: Number(where) } : parseHostPort(where, DEFAULT_METRICS_PORT);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  // Loaded only here: blessed must never be imported by the daemon.
  const { runTop } = await import('../tui/top/top-dashboard.js');
  return runTop({ url, intervalMs: flags['interval-ms'] });
}
