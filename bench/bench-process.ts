// Child processes for the benchmarks: started from the project root, considered ready when a line
// like "listening ... PORT" appears on stdout, stopped with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The line `tui-chat serve` prints once it listens; the first group is the port. */
export const SERVE_READY = /listening on [\d.]+:(\d+)/;

/** Runs `node ARGS` and resolves with the port once `ready` (whose first group is the port) matches stdout. */
export async function startProcess(args: readonly string[], ready: RegExp = SERVE_READY): Promise<{ child: ChildProcess; port: number }> {
  // Each process gets its own data folder (a server's store), never the user's, gone when it exits.
  const data = mkdtempSync(join(tmpdir(), 'tui-chat-bench-data-'));
  // BENCH_CPU_PROF=DIR: each process writes a V8 CPU profile there when it exits (open it in Chrome's DevTools).
  const profile = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : [];
  const child = spawn(process.execPath, [...profile, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, XDG_DATA_HOME: data },
  });
  child.once('exit', () => rmSync(data, { recursive: true, force: true }));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`process exited early (${code})`)));
  });
  return { child, port };
}

/**
 * `tui-chat serve` over plain TCP on a free port, logging warnings only, with room for `users`
 * clients and names from one address (every bench client connects from 127.0.0.1); `extra`: more flags.
 */
export function startBenchServer(users: number, extra: readonly string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const limit = String(users);
  return startProcess([
    'bin/tui-chat',
    'serve',
    '--plaintext',
    '--port',
    '0',
    '--log-level',
    'warn',
    '--max-clients-per-address',
    limit,
    '--max-names-per-key',
    limit,
    '--max-names-per-address',
    limit,
    ...extra,
  ]);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
