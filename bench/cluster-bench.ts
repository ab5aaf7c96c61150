// Deliveries per second and latency through one node vs three clustered nodes, with the same
// clients (spread round-robin over the nodes) and the same load as the relay bench, plus the CPU
// each kind of process spent per 1,000 deliveries.
//
// To say how throughput grows when each node has a machine of its own, on a machine that has only
// two cores, the node processes are pinned to one core and everything else (load generator,
// broker) to the other: one node gets a whole core; three nodes share one. Three nodes' throughput
// on one core, times three, is then what three nodes on three such cores would carry.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { generateIdentity } from '../src/core/identity.js';
import { connect } from '@nats-io/transport-node';
import { decodeDirectBatch, encodeDirectBatch } from '../src/server/cluster/cluster-wire.js';
import { NatsBroker } from '../spec/helpers/nats-broker.js';
import { SERVE_READY, startProcess, stopProcess } from './bench-process.js';
import { type BenchClient, type Mode, benchServeArgs, createTracker, joinChatClient, percentile } from './relay-bench.js';

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
  /** Context switches of the node processes per 1,000 deliveries (voluntary and forced). */
  readonly nodeSwitchesPer1k: number;
  /** CPU ms per 1,000 deliveries of each node process, in start order. */
  readonly eachNodeCpuPer1k: readonly number[];
}

/** What a cross-node DM costs the nodes against a local one, on the same two nodes in one run. */
export interface CrossCostResult {
  readonly local: ClusterBenchResult;
  readonly cross: ClusterBenchResult;
  /** Per node, cross CPU per delivery / local CPU per delivery; and for both nodes together. */
  readonly cPerNode: readonly number[];
  readonly c: number;
}

export interface RelayPathResult {
  readonly batch: number;
  readonly relaysPerSecond: number;
  readonly cpuMicrosPerRelay: number;
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
const TASKSET = '/usr/bin/taskset';

/** Whether processes can be pinned to cores here (Linux taskset and at least two cores). */
export function canPin(): boolean {
  return existsSync(TASKSET) && cpus().length >= 2;
}

/** Pins every thread of a process to one core. */
function pin(pid: number | undefined, core: number): void {
  if (pid !== undefined && canPin()) execFileSync(TASKSET, ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

const NODE_CORE = () => cpus().length - 1;
const OTHER_CORE = 0;
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in ms (Linux /proc; CLK_TCK is 100 on every Linux we run on). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Context switches so far (voluntary + involuntary), from /proc/PID/status. */
function contextSwitches(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return [...status.matchAll(/_ctxt_switches:\s+(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

async function startNodes(layout: Layout, broker: NatsBroker): Promise<Array<{ child: ChildProcess; port: number }>> {
  const cluster = layout.clustered ? ['--cluster', broker.url, '--cluster-name', `bench-${randomBytes(4).toString('hex')}`] : [];
  const args = [
    ...(process.env['BENCH_NODE_PROFILE'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_NODE_PROFILE']] : []),
    ...benchServeArgs('--max-clients', '1000', '--max-queue-bytes', String(64 << 20), ...cluster),
  ];
  const nodes = [];
  for (let i = 0; i < layout.nodes; i++) nodes.push(await startProcess(args, SERVE_READY));
  for (const node of nodes) pin(node.child.pid, NODE_CORE());
  return nodes;
}

async function benchLayout(
  layout: Layout,
  mode: Mode,
  seconds: number,
  broker: NatsBroker,
  identity: Awaited<ReturnType<typeof generateIdentity>>,
): Promise<ClusterBenchResult> {
  const nodes = await startNodes(layout, broker);
  const tracker = createTracker();
  try {
    const clients: BenchClient[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await joinChatClient(nodes[i % nodes.length]!.port, i, identity, tracker.onDelivery));
    // Presence crosses the broker in milliseconds; a second leaves every node knowing every client.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const windowDeliveries = mode === 'room' ? Math.max(4000, (CLIENTS - 1) * 8) : 2000;
    if (mode === 'dm-local' || mode === 'dm-cross') await warmUp(tracker, clients, mode);
    const before = {
      nodes: nodes.map((n) => cpuMs(n.child.pid)),
      switches: nodes.map((n) => contextSwitches(n.child.pid)),
      broker: cpuMs(broker.pid),
      generator: process.cpuUsage(),
    };
    const { deliveries, seconds: elapsed, latencies } = await tracker.run({ clients, mode, seconds, windowDeliveries });
    const eachNodeCpu = nodes.map((n, i) => cpuMs(n.child.pid) - before.nodes[i]!);
    const nodeCpu = eachNodeCpu.reduce((sum, ms) => sum + ms, 0);
    const nodeSwitches = nodes.reduce((sum, n, i) => sum + contextSwitches(n.child.pid) - before.switches[i]!, 0);
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
      nodeSwitchesPer1k: per1k(nodeSwitches),
      eachNodeCpuPer1k: eachNodeCpu.map(per1k),
    };
  } finally {
    for (const node of nodes) await stopProcess(node.child);
  }
}

/**
 * The relay path alone, in one process with nothing else running: encode a batch of DM relays,
 * publish it through the broker, receive, decode and validate it, serialize each envelope for
 * delivery. CPU per relay at several batch sizes: what a cross-node DM adds, free of contention.
 */
export async function runRelayPathBench(): Promise<RelayPathResult[]> {
  const broker = await NatsBroker.start();
  const sender = await connect({ servers: broker.url, noAsyncTraces: true });
  const receiver = await connect({ servers: broker.url, noAsyncTraces: true });
  const envelope = {
    id: 'm1',
    ts: Date.now(),
    chain: 'bench',
    seq: 1,
    ratchet: { sid: randomBytes(32).toString('base64'), dh: randomBytes(32).toString('base64'), pn: 0, n: 1 },
    iv: 'AAAAAAAAAAAAAAAA',
    ct: randomBytes(116).toString('base64'),
    sig: randomBytes(384).toString('base64'),
  };
  const results: RelayPathResult[] = [];
  try {
    for (const batch of [1, 10, 100]) {
      const total = 60_000;
      let received = 0;
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const subscription = receiver.subscribe(`path.${batch}`, {
        callback: (_error, msg) => {
          // What the receiving node does: read the batch, splice each envelope into a delivery frame.
          for (const relay of decodeDirectBatch(msg.data).relays)
            Buffer.from(`{"type":"message","from":"${relay.from}","to":"${relay.to}","envelope":${relay.envelopeJson}}`);
          received += batch;
          if (received >= total) finish();
        },
      });
      await receiver.flush();
      // What the sending node does: serialize each validated envelope once, then the binary batch.
      const relays = () => Array.from({ length: batch }, (_, n) => ({ n, from: 'c1', to: 'c2', id: envelope.id, envelopeJson: JSON.stringify(envelope) }));
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      for (let sent = 0; sent < total; sent += batch) {
        sender.publish(`path.${batch}`, encodeDirectBatch('benchnode', relays()));
        // Let the receiving side run now and then, as two busy nodes would.
        if (sent % 2000 < batch) await new Promise((resolve) => setImmediate(resolve));
      }
      await finished;
      const cpu = process.cpuUsage(cpuBefore);
      results.push({ batch, relaysPerSecond: (total / (performance.now() - started)) * 1000, cpuMicrosPerRelay: (cpu.user + cpu.system) / total });
      subscription.unsubscribe();
    }
    return results;
  } finally {
    await sender.close();
    await receiver.close();
    await broker.destroy();
  }
}

/** A short unmeasured run: sessions, JIT and batches warmed before the counters are read. */
async function warmUp(tracker: ReturnType<typeof createTracker>, clients: BenchClient[], mode: Mode): Promise<void> {
  await tracker.run({ clients, mode, seconds: 1, windowDeliveries: 2000 });
}

/**
 * c, the cost of a cross-node DM against a local one: two clustered nodes (pinned to one core), 60
 * clients round-robin over them; first every DM goes to a client on the sender's node, then every
 * DM to a client on the other node. Node CPU per 1,000 deliveries in each, and their ratio.
 */
export async function runCrossCostBench(seconds: number, rounds = 5): Promise<CrossCostResult[]> {
  const identity = await generateIdentity();
  const broker = await NatsBroker.start();
  pin(process.pid, OTHER_CORE);
  pin(broker.pid, OTHER_CORE);
  const layout: Layout = { name: '2 nodes, clustered', nodes: 2, clustered: true };
  try {
    const results: CrossCostResult[] = [];
    for (let round = 0; round < rounds; round++) {
      const local = await benchLayout(layout, 'dm-local', seconds, broker, identity);
      const cross = await benchLayout(layout, 'dm-cross', seconds, broker, identity);
      results.push({
        local,
        cross,
        cPerNode: local.eachNodeCpuPer1k.map((ms, i) => cross.eachNodeCpuPer1k[i]! / ms),
        c: cross.nodeCpuPer1k / local.nodeCpuPer1k,
      });
    }
    return results;
  } finally {
    await broker.destroy();
  }
}

export async function runClusterBench(seconds: number): Promise<ClusterBenchResult[]> {
  const identity = await generateIdentity();
  const broker = await NatsBroker.start();
  pin(process.pid, OTHER_CORE);
  pin(broker.pid, OTHER_CORE);
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
