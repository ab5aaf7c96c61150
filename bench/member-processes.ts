// The parent's side of bench-members.ts: a few child processes, each running some of a bench's
// members, told over IPC whom to connect (and which room to join) and telling back what each
// member read. Members are dealt out to the processes in turn.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type MemberCommand =
  | { readonly type: 'join'; readonly port: number; readonly names: readonly string[]; readonly room?: string }
  /** Until every member lists `peer` (with `room`: has it in that room's roster). */
  | { readonly type: 'wait-listing'; readonly peer: string; readonly room?: string; readonly token: number }
  | { readonly type: 'part'; readonly name: string; readonly room: string }
  | { readonly type: 'close' };

export type MemberReport =
  | { readonly type: 'ready' }
  | { readonly type: 'joined'; readonly name: string }
  | { readonly type: 'failed'; readonly name: string; readonly error: string }
  | { readonly type: 'read'; readonly name: string; readonly text: string }
  | { readonly type: 'unreadable'; readonly name: string }
  | { readonly type: 'listed'; readonly token: number };

const CHILD = fileURLToPath(new URL('./bench-members.js', import.meta.url));

export class MemberProcesses {
  /** Who read each line, by its text. */
  readonly read = new Map<string, Set<string>>();
  /** Lines each member gave up on (no key came within its wait). */
  unreadable = 0;
  private readonly joined = new Set<string>();
  private readonly failed: string[] = [];
  private readonly placed = new Map<string, ChildProcess>();
  private readonly listings = new Map<number, number>();
  private nextToken = 0;
  private dealt = 0;

  private constructor(private readonly children: readonly ChildProcess[]) {
    // Reports come a turn's worth at a time (bench-members.ts).
    for (const child of children) {
      child.on('message', (reports: readonly MemberReport[]) => {
        for (const report of reports) this.take(report);
      });
    }
  }

  /** Starts `count` member processes, each with identities of its own. */
  static async start(count: number): Promise<MemberProcesses> {
    const children = await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<ChildProcess>((resolve, reject) => {
            // A heap large enough for a few hundred clients each listing a thousand peers.
            const child = fork(CHILD, [], { execArgv: ['--max-old-space-size=8192', ...cpuProfile()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            child.once('message', () => resolve(child));
            child.once('exit', (code) => reject(new Error(`a member process exited early (${code})`)));
          }),
      ),
    );
    return new MemberProcesses(children);
  }

  /** Connects these members (dealt out in turn), each joining `room` if given; resolves once all did. */
  async join(port: number, names: readonly string[], room?: string): Promise<void> {
    const byChild = new Map<ChildProcess, string[]>();
    for (const name of names) {
      const child = this.children[this.dealt++ % this.children.length]!;
      this.placed.set(name, child);
      byChild.set(child, [...(byChild.get(child) ?? []), name]);
    }
    for (const [child, list] of byChild) child.send({ type: 'join', port, names: list, ...(room === undefined ? {} : { room }) } satisfies MemberCommand);
    await until(
      () => names.every((name) => this.joined.has(name)) || this.failed.length > 0,
      () => `${names.filter((n) => !this.joined.has(n)).length} members to join`,
    );
    if (this.failed.length > 0) throw new Error(`members failed to join: ${this.failed.slice(0, 3).join('; ')}`);
  }

  /**
   * Resolves once every member lists `peer` (has taken in everything before its join); with
   * `room`, once every member has `peer` in that room's roster (a big room's members are not
   * listed before a session with them is needed).
   */
  async everyoneLists(peer: string, room?: string): Promise<void> {
    const token = this.nextToken++;
    this.listings.set(token, 0);
    for (const child of this.children) child.send({ type: 'wait-listing', peer, token, ...(room === undefined ? {} : { room }) } satisfies MemberCommand);
    await until(
      () => this.listings.get(token) === this.children.length,
      () => `members to list ${peer}`,
    );
  }

  part(name: string, room: string): void {
    this.placed.get(name)?.send({ type: 'part', name, room } satisfies MemberCommand);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.send({ type: 'close' } satisfies MemberCommand);
            setTimeout(() => child.kill(), 10_000).unref();
          }),
      ),
    );
  }

  private take(report: MemberReport): void {
    switch (report.type) {
      case 'joined':
        this.joined.add(report.name);
        return;
      case 'failed':
        this.failed.push(`${report.name}: ${report.error}`);
        return;
      case 'read':
        this.read.set(report.text, (this.read.get(report.text) ?? new Set()).add(report.name));
        return;
      case 'unreadable':
        this.unreadable++;
        return;
      case 'listed':
        this.listings.set(report.token, (this.listings.get(report.token) ?? 0) + 1);
        return;
      case 'ready':
        return;
    }
  }
}

/** A bench that waits forever tells nothing: past this, it says what it was waiting for. */
const GIVE_UP_MS = 300_000;

export async function until(done: () => boolean, waitingFor: () => string, everyMs = 10): Promise<void> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > GIVE_UP_MS) throw new Error(`bench: gave up after ${GIVE_UP_MS / 1000} s waiting for ${waitingFor()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** BENCH_CPU_PROF=DIR: each member process writes a V8 CPU profile there when it exits, as the server does (bench-process.ts). */
function cpuProfile(): string[] {
  const dir = process.env['BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}
