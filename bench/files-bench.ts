// Files through one server beside the same bytes through the bare relay, in the same run (issue
// "[5 of 6]"): a file of 50 MiB and one of 500 MiB to a peer online. tui-chat: the real client
// code (two ChatSessions in this process: alice hashes, seals and uploads; bob fetches, checks
// and keeps each chunk) and a real `tui-chat serve` child process (it stores the file on disk and
// serves it back); the time is from `send` to bob's `file` event (every chunk checked, the hash
// matched). The bare relay: the same bytes in 64 KiB frames from one socket to another, no
// storage, no crypto. The server's memory is sampled (VmRSS) through the run: it must not grow
// with the file's size (chunks are streamed to and from disk, never held whole).
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Socket, connect } from 'node:net';
import { ChatSession } from '../src/client/chat-session.js';
import { FileShelf } from '../src/client/files/file-shelf.js';
import { generateIdentity } from '../src/core/identity.js';
import { startProcess, stopProcess } from './bench-process.js';
import { BENCH_DIR } from './bench-clips.js';
import { benchServeArgs } from './relay-bench.js';

export interface FilesResult {
  readonly target: 'bare relay' | 'tui-chat';
  readonly mib: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  /** tui-chat: the server's resident memory at its peak during the transfer, above where it started (MiB). */
  readonly serverGrowthMiB?: number;
}

const FRAME_PAYLOAD = 64 * 1024;

function makeFile(mib: number): string {
  const path = join(BENCH_DIR, `files-bench-${mib}mib.bin`);
  const fd = openSync(path, 'w');
  try {
    const piece = randomBytes(8 * 1024 * 1024);
    for (let written = 0; written < mib * 1024 * 1024; written += piece.length) writeSync(fd, piece, 0, Math.min(piece.length, mib * 1024 * 1024 - written));
  } finally {
    closeSync(fd);
  }
  return path;
}

function residentMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]) / 1024;
}

async function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function bareRelay(mib: number): Promise<FilesResult> {
  const { child, port } = await startProcess(['dist/bench/bare-relay.js'], /listening (\d+)/);
  try {
    const [sender, receiver] = [await openSocket(port), await openSocket(port)];
    for (const [index, socket] of [sender, receiver].entries()) {
      const hello = Buffer.alloc(6);
      hello.writeUInt32BE(2, 0);
      hello.writeUInt16BE(index, 4);
      socket.write(hello);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const total = mib * 1024 * 1024;
    let received = 0;
    const done = new Promise<void>((resolve) =>
      receiver.on('data', (chunk: Buffer) => {
        received += chunk.length;
        // Each frame carries 4 bytes of length ahead of its payload.
        if (received >= total + (total / FRAME_PAYLOAD) * 4) resolve();
      }),
    );
    const started = performance.now();
    const frame = Buffer.alloc(4 + 2 + FRAME_PAYLOAD);
    frame.writeUInt32BE(2 + FRAME_PAYLOAD, 0);
    frame.writeUInt16BE(1, 4);
    for (let sent = 0; sent < total; sent += FRAME_PAYLOAD) {
      randomBytes(64).copy(frame, 6);
      if (!sender.write(Buffer.from(frame))) await new Promise((resolve) => sender.once('drain', resolve));
    }
    await done;
    const seconds = (performance.now() - started) / 1000;
    sender.destroy();
    receiver.destroy();
    return { target: 'bare relay', mib, seconds, mibPerSecond: mib / seconds };
  } finally {
    await stopProcess(child);
  }
}

async function tuiChat(mib: number, path: string): Promise<FilesResult> {
  // The file limits raised to fit the 500 MiB case, and the per-connection file rate lifted (as
  // the relay bench lifts flood control): what is measured is the path, not the policy.
  const limits = [
    ...['--max-file-bytes', String(1024 * 1024 * 1024), '--max-file-store-bytes', String(4 * 1024 * 1024 * 1024)],
    ...['--file-rate-bytes', String(64 * 1024 * 1024 * 1024), '--file-burst-bytes', String(1024 * 1024 * 1024)],
  ];
  const perSender = [
    '--max-file-store-bytes-per-sender',
    String(2 * 1024 * 1024 * 1024),
    '--max-file-store-bytes-per-newcomer',
    String(2 * 1024 * 1024 * 1024),
  ];
  const perAddress = ['--max-file-store-bytes-per-address', String(2 * 1024 * 1024 * 1024)];
  const { child, port } = await startProcess(benchServeArgs(...limits, ...perSender, ...perAddress));
  const shelves = [mkdtempSync(join(tmpdir(), 'tui-chat-files-bench-')), mkdtempSync(join(tmpdir(), 'tui-chat-files-bench-'))];
  const sessions: ChatSession[] = [];
  try {
    const [aliceId, bobId] = [await generateIdentity(), await generateIdentity()];
    for (const [index, [name, identity]] of (
      [
        ['alice', aliceId],
        ['bob', bobId],
      ] as const
    ).entries()) {
      const session = new ChatSession({ host: '127.0.0.1', port, name, identity, files: FileShelf.open(join(shelves[index]!, name), identity) });
      await session.connect();
      sessions.push(session);
    }
    const [alice, bob] = sessions as [ChatSession, ChatSession];
    while (alice.peer('bob') === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    const baseline = residentMiB(child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(child.pid!))), 50);
    const arrived = new Promise<void>((resolve, reject) => {
      bob.files.on('file', () => resolve());
      bob.files.on('error', (error) => reject(new Error(error.message)));
      alice.files.on('error', (error) => reject(new Error(error.message)));
    });
    const started = performance.now();
    await alice.files.send('bob', path);
    await arrived;
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    return { target: 'tui-chat', mib, seconds, mibPerSecond: mib / seconds, serverGrowthMiB: peak - baseline };
  } finally {
    for (const session of sessions) await session.close();
    await stopProcess(child);
    for (const dir of shelves) rmSync(dir, { recursive: true, force: true });
  }
}

export async function runFilesBench(sizes: readonly number[] = [50, 500]): Promise<FilesResult[]> {
  const results: FilesResult[] = [];
  for (const mib of sizes) {
    const path = makeFile(mib);
    try {
      results.push(await bareRelay(mib));
      results.push(await tuiChat(mib, path));
    } finally {
      rmSync(path, { force: true });
    }
  }
  return results;
}
