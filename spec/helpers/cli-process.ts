// Runs the real bin/tui-chat as a child process and reads its output line by line.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { waitFor, withTimeout } from './events.js';

export const BIN = fileURLToPath(new URL('../../../bin/tui-chat', import.meta.url));
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export class CliProcess {
  readonly stdoutLines: string[] = [];
  stderr = '';
  exitCode: number | null = null;
  readonly exited: Promise<number>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      pending += text;
      const parts = pending.split('\n');
      pending = parts.pop()!;
      this.stdoutLines.push(...parts);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (this.stderr += text));
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        this.exitCode = code ?? (signal === null ? -1 : 128);
        resolve(this.exitCode);
      }),
    );
  }

  static spawn(t: TestContext, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    // Each process gets its own config folder (identity, pins, the server's TLS key), never ~/.config.
    const configHome = mkdtempSync(join(tmpdir(), 'tui-chat-config-'));
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, XDG_CONFIG_HOME: configHome, XDG_DATA_HOME: join(configHome, 'data'), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc = new CliProcess(child);
    // The process goes first, then its folders: a client still writing its state file would race the removal.
    t.after(async () => {
      if (proc.exitCode === null) {
        child.kill('SIGKILL');
        await proc.exited;
      }
      rmSync(configHome, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    });
    return proc;
  }

  /** stdout lines parsed as JSON (the --json mode's events). */
  get events(): Array<Record<string, unknown>> {
    return this.stdoutLines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async waitForEvent(predicate: (event: Record<string, unknown>) => boolean, what: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return waitFor(() => this.events.find(predicate), `${what} (stderr: ${this.stderr.slice(-300)})`, timeoutMs);
  }

  async waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    return waitFor(
      () => this.stdoutLines.map((line) => pattern.exec(line)).find((match) => match !== null) ?? undefined,
      `a line matching ${pattern}`,
      timeoutMs,
    );
  }

  writeLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  waitExit(timeoutMs = 15_000): Promise<number> {
    return withTimeout(this.exited, 'the process to exit', timeoutMs);
  }
}

/** Starts `tui-chat serve` on a free port and waits for its listening line. */
export async function startServeProcess(t: TestContext, args: readonly string[] = []): Promise<{ server: CliProcess; port: number }> {
  const server = CliProcess.spawn(t, ['serve', '--host', '127.0.0.1', '--port', '0', ...args]);
  const match = await server.waitForLine(/^tui-chat listening on 127\.0\.0\.1:(\d+) \((?:TLS|PLAINTEXT, no TLS)\)$/);
  return { server, port: Number(match[1]) };
}
