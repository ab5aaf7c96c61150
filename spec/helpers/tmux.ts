// Drives a real terminal: tmux runs the program in a detached session of a fixed size; tests type
// with send-keys and read the screen with capture-pane (-e keeps colors and attributes).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { waitUntil } from './events.js';
import { BIN, CliProcess } from './cli-process.js';
import { writeTestIdentity } from './identities.js';

let counter = 0;

export class TmuxSession {
  private constructor(
    private readonly socket: string,
    readonly name: string,
  ) {}

  /** Starts `command` (a shell command line) in a new detached session of width x height. */
  static start(t: TestContext, dir: string, command: string, width = 100, height = 30, env: Record<string, string> = {}): TmuxSession {
    const socket = `tui-chat-spec-${process.pid}-${counter}`;
    const name = `s${counter++}`;
    const script = join(dir, `${name}.sh`);
    const exports = Object.entries({ LANG: 'C.UTF-8', ...env })
      .map(([k, v]) => `export ${k}='${v}'`)
      .join('\n');
    writeFileSync(script, `#!/bin/sh\n${exports}\n${command}\n`, { mode: 0o755 });
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), script]);
    // Keep the pane (and its last screen) after the program exits, so tests can read it.
    execFileSync('tmux', ['-L', socket, 'set-option', '-g', 'remain-on-exit', 'on']);
    const session = new TmuxSession(socket, name);
    t.after(() => session.kill());
    return session;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Named keys (Enter, Tab, Escape, F1, M-2, C-c ...). */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Literal text, typed as is. */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** The visible screen; with escapes: true, including SGR color codes. */
  capture(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.name);
  }

  async waitForScreen(pattern: RegExp, what: string, timeoutMs = 15_000): Promise<string> {
    let screen = '';
    try {
      await waitUntil(
        () => {
          screen = this.capture();
          return pattern.test(screen);
        },
        what,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; the screen was:\n${screen}`);
    }
    return screen;
  }

  /** The pid of the program in the pane (the script exec's it, so it is the pane's own pid). */
  pid(): number {
    return Number(this.tmux('display-message', '-p', '-t', this.name, '#{pane_pid}').trim());
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', this.name, '-x', String(width), '-y', String(height));
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

/** The real `tui-chat connect` in tmux, joined as `name` with the index-th test identity. */
export async function openTuiInTmux(
  t: TestContext,
  dir: string,
  port: number,
  name: string,
  index: number,
  width = 100,
  height = 30,
  env: Record<string, string> = {},
  { reportExit = false }: { reportExit?: boolean } = {},
): Promise<TmuxSession> {
  const identity = await writeTestIdentity(dir, index);
  const connect = `'${process.execPath}' '${BIN}' connect 127.0.0.1:${port} --name ${name} --identity '${identity}' --known-peers '${dir}/${name}-known.json' 2>'${dir}/${name}.err'`;
  // reportExit: a shell waits for the client and writes its exit code to DIR/NAME.exit (see
  // exitCodeOf). Not tmux's "Pane is dead" line: tmux 3.3 was seen to leave an exited pane process
  // unreaped, and the line unwritten, for many seconds on a loaded machine.
  const command = reportExit ? `${connect}; echo $? > '${dir}/${name}.exit'` : `exec ${connect}`;
  const tui = TmuxSession.start(t, dir, command, width, height, { XDG_CONFIG_HOME: dir, XDG_DATA_HOME: `${dir}/data`, ...env });
  await tui.waitForScreen(new RegExp(`joined as ${name}`), `${name} to join`);
  return tui;
}

/** The exit code a client opened with `reportExit` wrote, once it has exited. */
export async function exitCodeOf(dir: string, name: string, timeoutMs = 15_000): Promise<number> {
  const file = join(dir, `${name}.exit`);
  await waitUntil(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'), `${name} to exit`, timeoutMs);
  return Number(readFileSync(file, 'utf8').trim());
}

/** A `connect --json` peer beside a TUI in tmux (its own config and data dirs), once it has joined. */
export async function joinJsonPeer(t: TestContext, dir: string, port: number, name: string, index: number): Promise<CliProcess> {
  const identity = await writeTestIdentity(dir, index);
  const peer = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', name, '--identity', identity], {
    XDG_CONFIG_HOME: join(dir, `${name}-config`),
    XDG_DATA_HOME: join(dir, `${name}-data`),
  });
  await peer.waitForEvent((e) => e['type'] === 'ready', `${name} to join`);
  return peer;
}
