// A real nats-server (Debian's package) on a free 127.0.0.1 port, with JetStream and its own store
// folder, for the cluster specs and the cluster benchmark. stop() kills it; start() again brings it
// back on the same port with the same store, as a restarted broker would.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitUntil } from './events.js';

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/bin'];

/** nats-server from PATH or where Debian puts it; a clear failure when it is not installed. */
export function findNatsServer(): string {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter), ...SEARCH_DIRS]) {
    const candidate = join(dir, 'nats-server');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  throw new Error('nats-server is not installed: the cluster tests need the real broker (apt-get install nats-server; bash .ci/run does it)');
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A broker that insists on TLS (with this certificate) and on a user and password. */
export interface SecureBrokerOptions {
  readonly certPath: string;
  readonly keyPath: string;
  readonly user: string;
  readonly pass: string;
}

export class NatsBroker {
  private child: ChildProcess | undefined;
  private log = '';
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'tui-chat-nats-'));

  private constructor(
    readonly port: number,
    private readonly secure?: SecureBrokerOptions,
  ) {}

  static async start(secure?: SecureBrokerOptions): Promise<NatsBroker> {
    const broker = new NatsBroker(await freePort(), secure);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    this.log = '';
    const secure =
      this.secure === undefined
        ? []
        : ['--tls', '--tlscert', this.secure.certPath, '--tlskey', this.secure.keyPath, '--user', this.secure.user, '--pass', this.secure.pass];
    const child = spawn(findNatsServer(), ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...secure], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitUntil(() => exited || this.log.includes('Server is ready'), 'nats-server to be ready');
    if (exited) throw new Error(`nats-server did not start:\n${this.log}`);
  }

  /** Kills the broker at once (SIGKILL): the nodes see their link drop, not a goodbye. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
