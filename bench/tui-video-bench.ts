// End to end: a 30 fps video at 160x48 cells through a real server into the real TUI inside tmux,
// in truecolor. tmux is the terminal here (it parses every byte, as a real terminal would); the
// TUI reports at the end what it drew and skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, makeZoomClip } from './bench-clips.js';
import { PROJECT_ROOT, startProcess, stopProcess } from './bench-process.js';

const CLIP = 'zoom-480x270-30fps-10s.mp4';
const SECONDS = 10;
/** A 216x80 terminal gives the video pane 160 columns and 45 rows (160x90 pixels, 16:9). */
const TERMINAL = { width: 216, height: 80 };

export interface TuiVideoResult {
  readonly sent: number;
  readonly serverDropped: number;
  readonly skipped: number;
  readonly drawn: number;
  readonly fps: number;
  readonly kbPerFrame: number;
  readonly qualityLevel: number;
  readonly dropShare: number;
}

function makeClip(): string {
  const dir = join(BENCH_DIR, 'tui-videos');
  makeZoomClip(dir, CLIP, SECONDS * 30, 0.001);
  return dir;
}

function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

export async function runTuiVideoBench(): Promise<TuiVideoResult> {
  const videos = makeClip();
  const work = mkdtempSync(join(tmpdir(), 'tui-chat-bench-'));
  const { child: server, port } = await startProcess(['bin/tui-chat', 'serve', '--port', '0', '--videos', videos]);
  const socket = `tui-chat-bench-${process.pid}`;
  try {
    const script = join(work, 'tui.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nexport LANG=C.UTF-8 COLORTERM=truecolor XDG_CONFIG_HOME='${work}' XDG_DATA_HOME='${work}/data'\nexec '${process.execPath}' '${join(PROJECT_ROOT, 'bin/tui-chat')}' connect 127.0.0.1:${port} --name bench 2>'${work}/tui.err'\n`,
      { mode: 0o755 },
    );
    tmux(socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'bench', '-x', String(TERMINAL.width), '-y', String(TERMINAL.height), script);
    const screen = () => tmux(socket, 'capture-pane', '-p', '-J', '-t', 'bench');
    const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(screen().replace(/\s*\n\s*/g, ' '));
        if (match !== null) return match;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await waitFor(/joined as bench/, 30_000);
    tmux(socket, 'send-keys', '-t', 'bench', '-l', `:play ${CLIP}`);
    tmux(socket, 'send-keys', '-t', 'bench', 'Enter');
    const match = await waitFor(
      /finished \S+: (\d+) frames sent, (\d+) dropped by the server, (\d+) skipped here; drew (\d+), (\d+) KB a frame, quality level (\d+)/,
      (SECONDS + 30) * 1000,
    );
    const [sent, serverDropped, skipped, drawn, kb, level] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    const due = SECONDS * 30;
    return { sent, serverDropped, skipped, drawn, fps: drawn / SECONDS, kbPerFrame: kb, qualityLevel: level, dropShare: (due - drawn) / due };
  } finally {
    try {
      tmux(socket, 'kill-server');
    } catch {
      // already gone
    }
    await stopProcess(server);
    rmSync(work, { recursive: true, force: true });
  }
}
