// `tui-chat serve`'s clustering flags: their table (for parsing and --help) and the ClusterOptions
// they make. docs/SCALING.md explains each one.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { type BrokerCredentials, CLUSTER_NAME_PATTERN, type ClusterOptions, DEFAULT_CLUSTER_OPTIONS } from '../server/cluster/cluster-options.js';
import { assertPrivateFileMode } from '../storage/private-file.js';
import type { FlagTable, FlagValues } from './arg-parser.js';

const C = DEFAULT_CLUSTER_OPTIONS;

export const CLUSTER_FLAGS = {
  cluster: {
    kind: 'string',
    value: 'URL',
    description: 'join the nodes on this NATS broker (nats://host:4222, tls://host:4222; JetStream on) to serve one chat',
  },
  'cluster-name': { kind: 'string', value: 'NAME', default: C.name, description: 'nodes with the same name on a broker form one chat' },
  'cluster-ca': {
    kind: 'string',
    value: 'FILE',
    description: "PEM certificate to trust for the broker's TLS (a broker with its own certificate); requires TLS",
  },
  'cluster-auth-file': { kind: 'string', value: 'FILE', description: 'broker credentials, mode 0600: one line, USER:PASSWORD or a token' },
  'cluster-heartbeat-ms': { kind: 'integer', value: 'MS', min: 50, default: C.heartbeatMs, description: 'how often this node tells the cluster it is alive' },
  'cluster-lease-ms': {
    kind: 'integer',
    value: 'MS',
    min: 100,
    default: C.leaseMs,
    description: "a node silent this long is presumed dead; its users leave everyone's peer list",
  },
  'cluster-timeout-ms': {
    kind: 'integer',
    value: 'MS',
    min: 50,
    default: C.requestTimeoutMs,
    description: 'wait for another node (a DM receipt, a name probe) before reporting failure',
  },
} as const satisfies FlagTable;

/** The cluster options the flags ask for, or undefined without --cluster. Throws UsageError. */
export async function clusterOptionsFromFlags(flags: FlagValues<typeof CLUSTER_FLAGS>): Promise<ClusterOptions | undefined> {
  const url = flags.cluster;
  if (url === undefined) return undefined;
  for (const part of url.split(',')) {
    const scheme = /^([a-z]+):\/\//.exec(part.trim())?.[1];
    if (scheme === 'redis') throw new UsageError('--cluster: tui-chat clusters over NATS, not Redis (docs/SCALING.md says why); give nats://host:4222');
    if (scheme !== 'nats' && scheme !== 'tls') throw new UsageError(`--cluster must be a nats:// or tls:// URL (or several, comma-separated), not "${part}"`);
    // Anyone on the machine can read a command line: secrets go in a 0600 file instead.
    if (part.includes('@'))
      throw new UsageError('--cluster: put broker credentials in --cluster-auth-file, not in the URL (command lines are visible to every user)');
  }
  const name = flags['cluster-name'];
  if (!CLUSTER_NAME_PATTERN.test(name)) throw new UsageError('--cluster-name must be 1-64 letters, digits, _ or -');
  const heartbeatMs = flags['cluster-heartbeat-ms'];
  const leaseMs = flags['cluster-lease-ms'];
  // A lease shorter than two heartbeats would declare live nodes dead after one late heartbeat.
  if (leaseMs < 2 * heartbeatMs) throw new UsageError('--cluster-lease-ms must be at least twice --cluster-heartbeat-ms');
  const caPath = flags['cluster-ca'];
  const authPath = flags['cluster-auth-file'];
  const brokerCaPem = caPath === undefined ? undefined : await readFlagFile('--cluster-ca', caPath);
  const credentials = authPath === undefined ? undefined : await readCredentials(authPath);
  return {
    url,
    name,
    heartbeatMs,
    leaseMs,
    requestTimeoutMs: flags['cluster-timeout-ms'],
    ...(brokerCaPem === undefined ? {} : { brokerCaPem }),
    ...(credentials === undefined ? {} : { credentials }),
  };
}

async function readCredentials(path: string): Promise<BrokerCredentials> {
  const text = await readFlagFile('--cluster-auth-file', path);
  await assertPrivateFileMode(path);
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (line === undefined) throw new UsageError(`--cluster-auth-file: ${path} is empty`);
  const colon = line.indexOf(':');
  return colon === -1 ? { token: line } : { user: line.slice(0, colon), pass: line.slice(colon + 1) };
}

async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
