// Plays a stream in ffplay instead of the terminal: the JPEG frames the client receives are piped
// to ffplay's stdin as an MJPEG stream, so ffplay needs no access to the server or the file.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { VideoFrame } from '../../core/media-frame.js';

export function findFfplay(explicitPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const candidates =
    explicitPath !== undefined
      ? [explicitPath]
      : (env['PATH'] ?? '')
          .split(delimiter)
          .filter((d) => d !== '')
          .map((d) => join(d, 'ffplay'));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new ChatError(
    ErrorCode.FFMPEG_NOT_FOUND,
    explicitPath !== undefined
      ? `--ffplay names ${explicitPath}, which is not executable`
      : "ffplay is not installed: it comes with Debian's ffmpeg package (apt-get install ffmpeg), or pass --ffplay PATH",
  );
}

export class FfplaySink {
  private readonly child: ChildProcess;
  private closed = false;
  written = 0;

  constructor(ffplayPath: string, title: string, fps: number, onExit: (code: number | null) => void) {
    this.child = spawn(
      ffplayPath,
      ['-hide_banner', '-loglevel', 'error', '-autoexit', '-window_title', title, '-f', 'mjpeg', '-framerate', String(fps), '-i', 'pipe:0'],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    this.child.stdin!.on('error', () => {});
    this.child.on('error', () => onExit(null));
    this.child.on('close', (code) => {
      this.closed = true;
      onExit(code);
    });
  }

  onFrame(frame: VideoFrame): void {
    // Latest wins here too: if ffplay is not keeping up its pipe fills and frames are skipped.
    if (this.closed || this.child.stdin!.writableNeedDrain) return;
    this.child.stdin!.write(frame.payload);
    this.written++;
  }

  /** End of stream: ffplay plays what it has and exits (-autoexit). */
  end(): void {
    if (!this.closed) this.child.stdin!.end();
  }

  kill(): void {
    if (!this.closed) this.child.kill('SIGTERM');
  }
}
