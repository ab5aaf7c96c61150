// Deliveries per second and latency through one node vs three clustered nodes, with the same
// clients (spread round-robin over the nodes) and the same load as the relay bench. Also the CPU
// each process spent per 1,000 deliveries, which is what says how throughput grows with nodes
// when each node has a machine of its own (here every process shares one machine's cores).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ChildProcess } from 'node:child_process';
import { generateIdentity } from '../src/core/identity.js';
import { NatsBroker } from '../spec/helpers/nats-broker.js';
import { SERVE_READY, startProcess, stopProcess } from './bench-process.js';
import { type BenchClient, type Mode, UNLIMITED, createTracker, joinChatClient, percentile } from './relay-bench.js';

export interface ClusterBenchResult {
  readonly layout: string;
  readonly nodes: number;
  readonly clients: number;
  readonly mode: Mode;
  readonly perSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
  /** CPU ms per 1,000 deliveries: all node processes together, the broker, the load generator. */
  readonly nodeCpuPer1k: number;
  readonly brokerCpuPer1k: number;
  readonly generatorCpuPer1k: number;
}

interface Layout {
  readonly name: string;
  readonly nodes: number;
  readonly clustered: boolean;
}

const LAYOUTS: readonly Layout[] = [
  { name: '1 node, standalone', nodes: 1, clustered: false },
  { name: '1 node, clustered', nodes: 1, clustered: true },
  { name: '3 nodes, clustered', nodes: 3, clustered: true },
];
const CLIENTS = 60;
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in ms (Linux /proc; CLK_TCK is 100 on every Linux we run on). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function startNodes(layout: Layout, broker: NatsBroker): Promise<Array<{ child: ChildProcess; port: number }>> {
  const cluster = layout.clustered ? ['--cluster', broker.url, '--cluster-name', `bench-${randomBytes(4).toString('hex')}`] : [];
  const args = [...(process.env['BENCH_NODE_PROFILE'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_NODE_PROFILE']] : []), 'bin/tui-chat', 'serve', '--plaintext', '--port', '0', ...UNLIMITED, '--log-level', 'warn', '--max-clients', '1000', '--max-queue-bytes', String(64 << 20), ...cluster];
  const nodes = [];
  for (let i = 0; i < layout.nodes; i++) nodes.push(await startProcess(args, SERVE_READY));
  return nodes;
}

async function benchLayout(layout: Layout, mode: Mode, seconds: number, broker: NatsBroker, identity: Awaited<ReturnType<typeof generateIdentity>>): Promise<ClusterBenchResult> {
  const nodes = await startNodes(layout, broker);
  const tracker = createTracker();
  try {
    const clients: BenchClient[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await joinChatClient(nodes[i % nodes.length]!.port, i, CLIENTS, identity, tracker.onDelivery));
    // Presence crosses the broker in milliseconds; a second leaves every node knowing every client.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const windowDeliveries = mode === 'room' ? Math.max(4000, (CLIENTS - 1) * 8) : 2000;
    const before = { nodes: nodes.map((n) => cpuMs(n.child.pid)), broker: cpuMs(broker.pid), generator: process.cpuUsage() };
    const { deliveries, seconds: elapsed, latencies } = await tracker.run({ clients, mode, seconds, windowDeliveries });
    const nodeCpu = nodes.reduce((sum, n, i) => sum + cpuMs(n.child.pid) - before.nodes[i]!, 0);
    const brokerCpu = layout.clustered ? cpuMs(broker.pid) - before.broker : 0;
    const generator = process.cpuUsage(before.generator);
    const sorted = Float64Array.from(latencies).sort();
    for (const client of clients) client.close();
    const per1k = (ms: number) => (ms / Math.max(1, deliveries)) * 1000;
    return {
      layout: layout.name,
      nodes: layout.nodes,
      clients: CLIENTS,
      mode,
      perSecond: deliveries / elapsed,
      p50ms: percentile(sorted, 50),
      p99ms: percentile(sorted, 99),
      nodeCpuPer1k: per1k(nodeCpu),
      brokerCpuPer1k: per1k(brokerCpu),
      generatorCpuPer1k: per1k((generator.user + generator.system) / 1000),
    };
  } finally {
    for (const node of nodes) await stopProcess(node.child);
  }
}

export async function runClusterBench(seconds: number): Promise<ClusterBenchResult[]> {
  const identity = await generateIdentity();
  const broker = await NatsBroker.start();
  try {
    const results: ClusterBenchResult[] = [];
    for (const mode of ['room', 'dm'] as const) {
      for (const layout of LAYOUTS) results.push(await benchLayout(layout, mode, seconds, broker, identity));
    }
    return results;
  } finally {
    await broker.destroy();
  }
}
