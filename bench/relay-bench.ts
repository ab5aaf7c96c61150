// Deliveries per second and delivery latency through one tui-chat server, beside a bare
// length-prefixed relay on the same machine as the ceiling. Both run as child processes; this
// process is the load generator for both, with the same window and the same bookkeeping.
//
// A "delivery" is one message arriving at one recipient: a room message among N clients is N-1
// deliveries, a DM is one. Latency is from the sender's write to the recipient's read.
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { FrameDecoder } from '../src/core/frame-decoder.js';
import { encodeTextFrame } from '../src/core/frame-encoder.js';
import { FrameType } from '../src/core/frame-types.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import { decodeServerMessage } from '../src/core/message-codec.js';
import { answerChallenge, sendHello } from './bench-join.js';
import { SERVE_READY, startProcess, stopProcess } from './bench-process.js';

/** The load generator is one process on one address and floods on purpose: lift flood control. */
const UNLIMITED = [
  '--max-clients-per-address',
  '100000',
  '--rate-messages',
  '100000000',
  '--rate-burst',
  '100000000',
  '--rate-bytes',
  '100000000000',
  '--rate-burst-bytes',
  '100000000000',
  // Every bench client comes from 127.0.0.1, most with one key: the shares of names are lifted.
  '--max-names-per-key',
  '100000000',
  '--max-names-per-address',
  '100000000',
];
/** `tui-chat serve` as every benchmark starts it: plain TCP, any port, flood control lifted, warnings only. */
export function benchServeArgs(...extra: string[]): string[] {
  return ['bin/tui-chat', 'serve', '--plaintext', '--port', '0', ...UNLIMITED, '--log-level', 'warn', ...extra];
}
const BROADCAST = 0xffff;
/** Payload bytes per message in the bare relay, as in the reference figure (100-byte frames). */
const BARE_PAYLOAD_BYTES = 100;
/** Chat text per message: the ciphertext of a ~100-character line. */
const CHAT_CIPHERTEXT_BYTES = 116;
/** A DM's ratchet header: the session id and an X25519 public key (32 bytes each, base64) and two counters. */
const RATCHET_DH = randomBytes(32).toString('base64');

/**
 * room: to everyone; dm: to a random other client; dm-local / dm-cross: with clients spread
 * round-robin over two nodes, to a client on the sender's own node / on the other node.
 */
export type Mode = 'room' | 'dm' | 'dm-local' | 'dm-cross';

export interface BenchResult {
  readonly target: 'tui-chat' | 'bare relay';
  readonly clients: number;
  readonly mode: Mode;
  readonly deliveries: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

export interface BenchClient {
  send(messageId: number, target: number | null): void;
  close(): void;
}

export type OnDelivery = (messageId: number) => void;

// ---- processes -----------------------------------------------------------------------------------

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

// ---- tui-chat clients ----------------------------------------------------------------------------

export async function joinChatClient(port: number, index: number, identity: Identity, onDelivery: OnDelivery): Promise<BenchClient> {
  const socket = await openSocket(port);
  const name = `c${index}`;
  const decoder = new FrameDecoder({ [FrameType.CONTROL]: 16 << 20 });
  let joined: () => void;
  const welcomed = new Promise<void>((resolve) => (joined = resolve));
  let ready = false;
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (ready) {
        // Hot path: find the id without parsing the whole JSON (the bare relay parses nothing).
        const text = frame.body.toString('latin1');
        if (!text.startsWith('{"type":"message"')) continue;
        const at = text.indexOf('"id":"m') + 7;
        onDelivery(Number(text.slice(at, text.indexOf('"', at))));
        continue;
      }
      const message = decodeServerMessage(frame.body);
      if (message.type === 'challenge') {
        answerChallenge(socket, identity, name, message.nonce);
      } else if (message.type === 'welcome') {
        ready = true;
        joined!();
      }
    }
  });
  sendHello(socket, identity, name);
  await welcomed;
  const ct = randomBytes(CHAT_CIPHERTEXT_BYTES).toString('base64');
  const sig = randomBytes(384).toString('base64');
  return {
    send(messageId, target) {
      const header =
        target === null ? `"senderKey":{"id":"bench","n":${messageId}}` : `"ratchet":{"sid":"${RATCHET_DH}","dh":"${RATCHET_DH}","pn":0,"n":${messageId}}`;
      const envelope = `{"id":"m${messageId}","ts":${Date.now()},"chain":"bench","seq":${messageId},${header},"iv":"AAAAAAAAAAAAAAAA","ct":"${ct}","sig":"${sig}"}`;
      // Protocol v4: a room message names nobody; the server fans it out to the members.
      socket.write(encodeTextFrame(FrameType.CONTROL, `{"type":"send","to":${target === null ? 'null' : `"c${target}"`},"envelope":${envelope}}`));
    },
    close: () => socket.destroy(),
  };
}

// ---- bare relay clients --------------------------------------------------------------------------

async function joinBareClient(port: number, index: number, onDelivery: OnDelivery): Promise<BenchClient> {
  const socket = await openSocket(port);
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32BE(offset);
      if (pending.length - offset - 4 < length) break;
      onDelivery(pending.readUInt32BE(offset + 4));
      offset += 4 + length;
    }
    pending = pending.subarray(offset);
  });
  const hello = Buffer.alloc(6);
  hello.writeUInt32BE(2, 0);
  hello.writeUInt16BE(index, 4);
  socket.write(hello);
  return {
    send(messageId, target) {
      const frame = Buffer.alloc(4 + 2 + BARE_PAYLOAD_BYTES);
      frame.writeUInt32BE(2 + BARE_PAYLOAD_BYTES, 0);
      frame.writeUInt16BE(target ?? BROADCAST, 4);
      frame.writeUInt32BE(messageId, 6);
      socket.write(frame);
    },
    close: () => socket.destroy(),
  };
}

// ---- the load loop -------------------------------------------------------------------------------

export interface RunOptions {
  readonly clients: BenchClient[];
  readonly mode: Mode;
  readonly seconds: number;
  /** Deliveries allowed in flight at once: enough to keep the pipe full, not so many that queues explode. */
  readonly windowDeliveries: number;
}

export interface Tracker {
  onDelivery: OnDelivery;
  run(options: RunOptions): Promise<{ deliveries: number; seconds: number; latencies: Float64Array }>;
}

export function createTracker(): Tracker {
  const sentAt = new Map<number, number>();
  const remaining = new Map<number, number>();
  let latencies = new Float64Array(1 << 20);
  let recorded = 0;
  let deliveries = 0;
  let inFlight = 0;
  let pump: () => void = () => {};
  return {
    onDelivery(messageId) {
      const start = sentAt.get(messageId);
      if (start === undefined) return;
      const now = performance.now();
      if (recorded === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[recorded++] = now - start;
      deliveries++;
      inFlight--;
      const left = remaining.get(messageId)! - 1;
      if (left === 0) {
        remaining.delete(messageId);
        sentAt.delete(messageId);
      } else {
        remaining.set(messageId, left);
      }
      pump();
    },
    async run({ clients, mode, seconds, windowDeliveries }) {
      const perMessage = mode === 'room' ? clients.length - 1 : 1;
      let nextId = 1;
      let stopping = false;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      let scheduled = false;
      pump = () => {
        if (scheduled || stopping) return;
        scheduled = true;
        // Batch refills per tick: many deliveries arrive per read, one refill serves them all.
        setImmediate(() => {
          scheduled = false;
          if (performance.now() > deadline) {
            stopping = true;
            return;
          }
          while (inFlight + perMessage <= windowDeliveries) {
            const id = nextId++;
            const from = id % clients.length;
            const to = recipientFor(mode, from, id, clients.length);
            sentAt.set(id, performance.now());
            remaining.set(id, perMessage);
            inFlight += perMessage;
            clients[from]!.send(id, to);
          }
        });
      };
      pump();
      while (performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      stopping = true;
      const elapsed = (performance.now() - started) / 1000;
      // Let what is in flight land so the next run starts clean (not counted).
      const drainDeadline = performance.now() + 5000;
      while (inFlight > 0 && performance.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return { deliveries, seconds: elapsed, latencies: latencies.subarray(0, recorded) };
    },
  };
}

/** Who client `from` sends message `id` to (see Mode); null for the room. */
function recipientFor(mode: Mode, from: number, id: number, count: number): number | null {
  const half = Math.floor(count / 2);
  switch (mode) {
    case 'room':
      return null;
    case 'dm':
      return (from + 1 + (id % (count - 1))) % count;
    // Even offsets keep the parity of the index (the node, round-robin over two), odd ones flip it.
    case 'dm-local':
      return (from + 2 * (1 + (id % (half - 1)))) % count;
    case 'dm-cross':
      return (from + 1 + 2 * (id % half)) % count;
  }
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchTarget(target: BenchResult['target'], clientCount: number, mode: Mode, seconds: number, identity: Identity): Promise<BenchResult> {
  const tracker = createTracker();
  const { child, port } =
    target === 'tui-chat'
      ? await startProcess(benchServeArgs('--max-clients', '1000', '--max-queue-bytes', String(64 << 20)), SERVE_READY)
      : await startProcess(['dist/bench/bare-relay.js'], /listening (\d+)/);
  try {
    const clients: BenchClient[] = [];
    for (let i = 0; i < clientCount; i++) {
      clients.push(target === 'tui-chat' ? await joinChatClient(port, i, identity, tracker.onDelivery) : await joinBareClient(port, i, tracker.onDelivery));
    }
    // The bare relay learns who is who from each hello; give it a moment to read them all.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Room: a few messages in flight at once; DM: many small ones. Both keep a few thousand deliveries queued.
    const windowDeliveries = mode === 'room' ? Math.max(4000, (clientCount - 1) * 8) : 2000;
    const { deliveries, seconds: elapsed, latencies } = await tracker.run({ clients, mode, seconds, windowDeliveries });
    const sorted = Float64Array.from(latencies).sort();
    for (const client of clients) client.close();
    return {
      target,
      clients: clientCount,
      mode,
      deliveries,
      seconds: elapsed,
      perSecond: deliveries / elapsed,
      p50ms: percentile(sorted, 50),
      p99ms: percentile(sorted, 99),
    };
  } finally {
    await stopProcess(child);
  }
}

export async function runRelayBench(seconds: number): Promise<BenchResult[]> {
  const identity = await generateIdentity();
  const results: BenchResult[] = [];
  for (const clients of [10, 200]) {
    for (const mode of ['room', 'dm'] as const) {
      for (const target of ['bare relay', 'tui-chat'] as const) {
        results.push(await benchTarget(target, clients, mode, seconds, identity));
      }
    }
  }
  return results;
}
