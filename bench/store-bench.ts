// The store path against the live path, in one run on one server (protocol v4):
// - live: one sender streams DMs to a recipient who is online and confirms them (`received`);
// - store: the same stream to a recipient who is away: each ack says "stored" once the write is on
//   disk (LMDB, synced; writes of one event-loop turn share one sync);
// - drain: the recipient comes back and takes everything stored, confirming in batches.
// And join scale: N clients join one server; time per join for the last hundred, bytes of the
// welcome, and the server's resident memory per joined connection.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { FrameDecoder } from '../src/core/frame-decoder.js';
import { encodeTextFrame } from '../src/core/frame-encoder.js';
import { FrameType } from '../src/core/frame-types.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import { decodeServerMessage, encodeMessage } from '../src/core/message-codec.js';
import { answerChallenge, sendHello } from './bench-join.js';
import { SERVE_READY, startProcess, stopProcess } from './bench-process.js';
import { benchServeArgs, openSocket } from './relay-bench.js';

/** Sends in flight at once: enough to keep the server busy, as a pasting client would. */
const WINDOW = 500;

interface Conn {
  readonly socket: Socket;
  /** Calls `on` for every control frame after the welcome. */
  on(handler: (text: string) => void): void;
  readonly welcomeBytes: number;
}

async function join(port: number, name: string, identity: Identity): Promise<Conn> {
  const socket = await openSocket(port);
  const decoder = new FrameDecoder({ [FrameType.CONTROL]: 64 << 20 });
  // Frames after the welcome wait here until a handler is set: stored messages follow the welcome at once.
  const early: string[] = [];
  let handler: ((text: string) => void) | undefined;
  let welcomeBytes = 0;
  await new Promise<void>((resolve, reject) => {
    let ready = false;
    // A join the server refuses or drops fails the run, with the server's reason, rather than
    // leaving it waiting for a welcome that never comes.
    let refusal = 'the server closed the connection';
    socket.on('close', () => {
      if (!ready) reject(new Error(`${name} could not join: ${refusal}`));
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (ready) {
          if (handler === undefined) early.push(frame.body.toString('latin1'));
          else handler(frame.body.toString('latin1'));
          continue;
        }
        const message = decodeServerMessage(frame.body);
        if (message.type === 'challenge') answerChallenge(socket, identity, name, message.nonce);
        else if (message.type === 'error') refusal = `${message.code}: ${message.message}`;
        else if (message.type === 'welcome') {
          welcomeBytes = frame.body.length;
          ready = true;
          resolve();
        }
      }
    });
    sendHello(socket, identity, name);
  });
  return {
    socket,
    welcomeBytes,
    on: (next) => {
      handler = next;
      for (const text of early.splice(0)) next(text);
    },
  };
}

const ct = randomBytes(116).toString('base64');
const sig = randomBytes(384).toString('base64');
const dh = randomBytes(32).toString('base64');
function dm(to: string, n: number): Buffer {
  const envelope = `{"id":"s${n}","ts":${Date.now()},"chain":"bench","seq":${n},"ratchet":{"sid":"${dh}","dh":"${dh}","pn":0,"n":${n}},"iv":"AAAAAAAAAAAAAAAA","ct":"${ct}","sig":"${sig}"}`;
  return encodeTextFrame(FrameType.CONTROL, `{"type":"send","to":"${to}","envelope":${envelope}}`);
}

/** Streams DMs to `to` for `seconds`, WINDOW in flight; returns acks per second with each kind counted. */
async function stream(sender: Conn, to: string, seconds: number, first: number): Promise<{ perSecond: number; sent: number; stored: number; next: number }> {
  let n = first;
  let acked = 0;
  let stored = 0;
  let sentLive = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    sender.on((text) => {
      if (!text.startsWith('{"type":"ack"')) return;
      acked++;
      if (text.includes('"stored":["')) stored++;
      else if (text.includes('"sent":["')) sentLive++;
      if (performance.now() < deadline) sender.socket.write(dm(to, n++));
      else if (acked === n - first) resolve();
    });
    for (let i = 0; i < WINDOW; i++) sender.socket.write(dm(to, n++));
  });
  return { perSecond: acked / ((performance.now() - started) / 1000), sent: sentLive, stored, next: n };
}

/** The recipient confirms what it is sent, in batches of up to 200 ids, as the client does once a turn. */
function confirming(recipient: Conn, onMessage: () => void): void {
  let ids: string[] = [];
  let scheduled = false;
  recipient.on((text) => {
    if (!text.startsWith('{"type":"message"')) return;
    const at = text.indexOf('"id":"') + 6;
    ids.push(text.slice(at, text.indexOf('"', at)));
    onMessage();
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      for (let i = 0; i < ids.length; i += 200) recipient.socket.write(encodeMessage({ type: 'received', ids: ids.slice(i, i + 200) }));
      ids = [];
    });
  });
}

export interface StoreBenchResult {
  readonly livePerSecond: number;
  readonly storedPerSecond: number;
  readonly drainedPerSecond: number;
  readonly drained: number;
}

export async function runStoreBench(seconds: number): Promise<StoreBenchResult> {
  const identity = await generateIdentity();
  const { child, port } = await startProcess(
    benchServeArgs(
      '--max-stored-per-user',
      '100000000',
      '--max-stored-bytes-per-user',
      String(8 * 2 ** 30),
      '--max-store-bytes',
      String(8 * 2 ** 30),
      // The shares are checked on every store, as by default; lifted so one sender's stream fits.
      '--max-stored-per-sender',
      '100000000',
      '--max-stored-from-stranger',
      '100000000',
      '--max-stored-bytes-per-sender',
      String(8 * 2 ** 30),
      '--max-stored-bytes-per-newcomer',
      String(8 * 2 ** 30),
      '--max-stored-bytes-per-address',
      String(8 * 2 ** 30),
      '--max-queue-bytes',
      String(256 << 20),
    ),
    SERVE_READY,
  );
  try {
    const sender = await join(port, 'sender', identity);
    let recipient = await join(port, 'reader', identity);
    confirming(recipient, () => {});
    const live = await stream(sender, 'reader', seconds, 0);
    recipient.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stored = await stream(sender, 'reader', seconds, live.next);
    let drained = 0;
    const started = performance.now();
    recipient = await join(port, 'reader', identity);
    await new Promise<void>((resolve) =>
      confirming(recipient, () => {
        if (++drained >= stored.stored) resolve();
      }),
    );
    const drainedPerSecond = drained / ((performance.now() - started) / 1000);
    sender.socket.destroy();
    recipient.socket.destroy();
    return { livePerSecond: live.perSecond, storedPerSecond: stored.perSecond, drainedPerSecond, drained };
  } finally {
    await stopProcess(child);
  }
}

/**
 * Joins timed at the end of each run. 500, not 100 (until 2026-11-26's third run): on two shared
 * cores one garbage collection or scheduler hiccup moved a mean over 100 joins by 2x between runs.
 */
const JOINS_MEASURED = 500;

export interface JoinScaleResult {
  readonly clients: number;
  /** How presence was told: 'default' (everyone up to --full-presence-max-users, then followers), or 'everyone' for all. */
  readonly presence: 'default' | 'everyone';
  /** Mean time of the last JOINS_MEASURED joins (each a full handshake with an RSA signature), ms. */
  readonly msPerJoinAtEnd: number;
  readonly welcomeBytesAtEnd: number;
  /** Bytes the server sent per join over the last JOINS_MEASURED: the welcome, and the join announced to those who hear of it. */
  readonly bytesPerJoinAtEnd: number;
  /** Server resident memory growth per joined connection, KiB. */
  readonly kibPerConnection: number;
}

function rssKib(pid: number): number {
  // /proc/PID/status: VmRSS in kB. Linux only, like the rest of the benchmark machinery.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/**
 * Runs each size in its own server; `each` hears of every result as soon as it is measured.
 * `presence` 'everyone' lifts --full-presence-max-users past the size: every user told of every
 * user, as before the limit existed (the reference the default is measured against).
 */
export async function runJoinScaleBench(
  sizes: readonly number[],
  each: (result: JoinScaleResult) => void = () => {},
  presence: JoinScaleResult['presence'] = 'default',
): Promise<JoinScaleResult[]> {
  const identity = await generateIdentity();
  const results: JoinScaleResult[] = [];
  for (const size of sizes) {
    // The clients send nothing once joined: without a long idle timeout the server would drop the
    // first of them after 120 s and announce each departure to everyone, mid-measurement.
    const everyone = presence === 'everyone' ? ['--full-presence-max-users', String(size + 10)] : [];
    const { child, port } = await startProcess(benchServeArgs('--max-clients', String(size + 10), '--idle-timeout-ms', '3600000', ...everyone), SERVE_READY);
    const conns: Conn[] = [];
    const measured = Math.min(JOINS_MEASURED, size);
    try {
      const before = rssKib(child.pid!);
      let lastStart = 0;
      // Bytes the server sent during the measured joins: their welcomes, and each join announced.
      let counting = false;
      let bytesAtEnd = 0;
      for (let i = 0; i < size; i++) {
        if (i === size - measured) {
          lastStart = performance.now();
          counting = true;
        }
        const conn = await join(port, `j${i}`, identity);
        if (counting) bytesAtEnd += conn.welcomeBytes;
        // Read and let go of what follows (every later join is announced to everyone): kept, it
        // grew with the square of the clients and the load generator's GC, not the server, set
        // the pace (the figures before 2026-11-26's second run include that).
        conn.on((text) => {
          if (counting) bytesAtEnd += text.length;
        });
        conns.push(conn);
      }
      const msPerJoinAtEnd = (performance.now() - lastStart) / measured;
      const after = rssKib(child.pid!);
      results.push({
        clients: size,
        presence,
        msPerJoinAtEnd,
        welcomeBytesAtEnd: conns.at(-1)!.welcomeBytes,
        bytesPerJoinAtEnd: bytesAtEnd / measured,
        kibPerConnection: (after - before) / size,
      });
      each(results.at(-1)!);
    } finally {
      // The server goes first: hanging up 10,000 clients one by one would have it announce each
      // departure to everyone left (minutes of work that measures nothing).
      await stopProcess(child);
      for (const conn of conns) conn.socket.destroy();
    }
  }
  return results;
}
