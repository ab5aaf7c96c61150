// Files through one server beside the same bytes through the bare relay, in the same run (issue
// "[5 of 6]"): a file of 50 MiB and one of 500 MiB to a peer online. tui-chat: two real clients,
// `tui-chat connect --json` processes as two users run them (alice hashes, seals and uploads; bob
// fetches, checks and keeps each chunk, following the upload), and a real `tui-chat serve`
// process (it stores the file on disk and streams it on); the time is from alice's `:send` line
// to bob's `file` event (every chunk checked, the hash matched). The bare relay: the same bytes in 64 KiB frames from one socket to another, no
// storage, no crypto. The server's memory is sampled (VmRSS) through the run: it must not grow
// with the file's size (chunks are streamed to and from disk, never held whole).
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import { type Socket, connect } from 'node:net';
import { PROJECT_ROOT, startProcess, stopProcess } from './bench-process.js';
import { BENCH_DIR } from './bench-clips.js';
import { benchServeArgs } from './relay-bench.js';

export interface FilesResult {
  readonly target: 'bare relay' | 'tui-chat';
  readonly mib: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  /** tui-chat: the server's resident memory at its peak during the transfer, above where it started (MiB). */
  readonly serverGrowthMiB?: number;
  /** CPU seconds spent during the transfer: the relay or server, and the two ends (the bare relay's are both in this process). */
  readonly cpu: { readonly server: number; readonly ends: string };
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

/** CPU seconds a process has used so far (user and system), from /proc. */
function cpuSeconds(pid: number): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
    const [relayCpu, ownCpu] = [cpuSeconds(child.pid!), process.cpuUsage()];
    const frame = Buffer.alloc(4 + 2 + FRAME_PAYLOAD);
    frame.writeUInt32BE(2 + FRAME_PAYLOAD, 0);
    frame.writeUInt16BE(1, 4);
    for (let sent = 0; sent < total; sent += FRAME_PAYLOAD) {
      randomBytes(64).copy(frame, 6);
      if (!sender.write(Buffer.from(frame))) await new Promise((resolve) => sender.once('drain', resolve));
    }
    await done;
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownCpu);
    const cpu = { server: cpuSeconds(child.pid!) - relayCpu, ends: `${((own.user + own.system) / 1e6).toFixed(2)} (both)` };
    sender.destroy();
    receiver.destroy();
    return { target: 'bare relay', mib, seconds, mibPerSecond: mib / seconds, cpu };
  } finally {
    await stopProcess(child);
  }
}

/** A real `tui-chat connect --json` process: its events, as they come, and a way to wait for one. */
class JsonClient {
  private readonly events: Array<Record<string, unknown>> = [];
  private readonly waiting: Array<{ match: (event: Record<string, unknown>) => boolean; resolve: (event: Record<string, unknown>) => void }> = [];

  private constructor(readonly child: ChildProcess) {
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) this.onEvent(JSON.parse(line) as Record<string, unknown>);
    });
  }

  /** Joins `port` as `name`, with its own folders under `dir` (a fresh identity is made there). */
  static async start(dir: string, port: number, name: string): Promise<JsonClient> {
    const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), XDG_DOWNLOAD_DIR: join(dir, 'downloads') };
    const profile = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : [];
    const child = spawn(process.execPath, [...profile, 'bin/tui-chat', 'connect', `127.0.0.1:${port}`, '--json', '--plaintext', '--name', name], {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'ignore'],
      env,
    });
    const client = new JsonClient(child);
    await client.next((event) => event['type'] === 'ready');
    return client;
  }

  next(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.waiting.push({ match, resolve });
      this.child.once('exit', (code) => reject(new Error(`the client exited (${code})`)));
    });
  }

  line(text: string): void {
    this.child.stdin!.write(`${text}\n`);
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }

  private onEvent(event: Record<string, unknown>): void {
    if (event['type'] === 'error') process.stderr.write(`files bench: ${JSON.stringify(event)}\n`);
    this.events.push(event);
    for (const waiter of this.waiting.filter((w) => w.match(event))) {
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resolve(event);
    }
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
  const homes = [mkdtempSync(join(tmpdir(), 'tui-chat-files-bench-')), mkdtempSync(join(tmpdir(), 'tui-chat-files-bench-'))];
  const clients: JsonClient[] = [];
  try {
    // Two users on their own machines: each client its own process (its own core when there is one).
    const bob = await JsonClient.start(homes[1]!, port, 'bob');
    clients.push(bob);
    const alice = await JsonClient.start(homes[0]!, port, 'alice');
    clients.push(alice);
    await bob.next((event) => event['type'] === 'join' && event['name'] === 'alice');
    const baseline = residentMiB(child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(child.pid!))), 50);
    const pids = [child.pid!, alice.child.pid!, bob.child.pid!];
    const cpuBefore = pids.map(cpuSeconds);
    const started = performance.now();
    alice.line(`:send bob ${path}`);
    await bob.next((event) => event['type'] === 'file' || event['type'] === 'error');
    const seconds = (performance.now() - started) / 1000;
    const [server, sender, receiver] = pids.map((pid, i) => cpuSeconds(pid) - cpuBefore[i]!) as [number, number, number];
    clearInterval(sampler);
    const arrived = await bob.next((event) => event['type'] === 'file' || event['type'] === 'error');
    if (arrived['type'] !== 'file') throw new Error(`the file did not arrive: ${JSON.stringify(arrived)}`);
    const cpu = { server, ends: `${sender.toFixed(2)} + ${receiver.toFixed(2)}` };
    return { target: 'tui-chat', mib, seconds, mibPerSecond: mib / seconds, serverGrowthMiB: peak - baseline, cpu };
  } finally {
    for (const client of clients) await client.stop();
    await stopProcess(child);
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
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

/** Runs the files bench (BENCH_FILE_MIB, default 50,500) and prints its table. */
export async function printFiles(): Promise<void> {
  const sizes = (process.env['BENCH_FILE_MIB'] ?? '50,500').split(',').map(Number);
  console.log(
    'files: one file to a peer online through one server (upload, stored on disk, download, every chunk checked), beside the same bytes through the bare relay\n',
  );
  console.log(
    [
      'target'.padEnd(11),
      'MiB'.padStart(5),
      'seconds'.padStart(8),
      'MiB/s'.padStart(8),
      'vs bare'.padStart(8),
      'server memory growth'.padStart(21),
      'cpu s: server'.padStart(14),
      'ends'.padStart(12),
    ].join('  '),
  );
  let bare = 0;
  for (const r of await runFilesBench(sizes)) {
    if (r.target === 'bare relay') bare = r.mibPerSecond;
    console.log(
      [
        r.target.padEnd(11),
        String(r.mib).padStart(5),
        r.seconds.toFixed(2).padStart(8),
        r.mibPerSecond.toFixed(0).padStart(8),
        (r.target === 'tui-chat' ? `${Math.round((r.mibPerSecond / bare) * 100)}%` : '').padStart(8),
        (r.serverGrowthMiB === undefined ? '' : `${r.serverGrowthMiB.toFixed(1)} MiB`).padStart(21),
        r.cpu.server.toFixed(2).padStart(14),
        r.cpu.ends.padStart(12),
      ].join('  '),
    );
  }
  console.log('');
}
