// Finds an ffmpeg binary. Order (first that exists and is executable wins):
//   1. --ffmpeg PATH, then $TUI_CHAT_FFMPEG   (the user said so)
//   2. ffmpeg-static                          (optional dependency; its install script downloads
//                                              the binary and fails offline, leaving nothing)
//   3. @ffmpeg-installer/ffmpeg               (ships the binary inside the npm package)
//   4. ffmpeg on $PATH
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';

export type FfmpegSource = 'flag' | 'env' | 'ffmpeg-static' | '@ffmpeg-installer/ffmpeg' | 'PATH';

export interface ResolvedFfmpeg {
  readonly path: string;
  readonly source: FfmpegSource;
}

export interface ResolveFfmpegOptions {
  /** --ffmpeg PATH. */
  readonly explicitPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Package lookups; injectable so tests can simulate a package that did not install. */
  readonly loadPackage?: (name: string) => unknown;
}

const require = createRequire(import.meta.url);

export function resolveFfmpeg(options: ResolveFfmpegOptions = {}): ResolvedFfmpeg {
  const env = options.env ?? process.env;
  const load = options.loadPackage ?? ((name: string) => require(name));
  if (options.explicitPath !== undefined) return checked(options.explicitPath, 'flag');
  const fromEnv = env['TUI_CHAT_FFMPEG'];
  if (fromEnv !== undefined && fromEnv !== '') return checked(fromEnv, 'env');

  const candidates: Array<[FfmpegSource, () => unknown]> = [
    ['ffmpeg-static', () => load('ffmpeg-static')],
    ['@ffmpeg-installer/ffmpeg', () => (load('@ffmpeg-installer/ffmpeg') as { path?: unknown }).path],
  ];
  for (const [source, locate] of candidates) {
    let path: unknown;
    try {
      path = locate();
    } catch {
      continue; // not installed, or no binary for this platform
    }
    if (typeof path === 'string' && isExecutableFile(path)) return { path, source };
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, 'ffmpeg');
    if (isExecutableFile(path)) return { path, source: 'PATH' };
  }
  throw new ChatError(
    ErrorCode.FFMPEG_NOT_FOUND,
    'no ffmpeg found: reinstall with npm (it ships @ffmpeg-installer/ffmpeg), install ffmpeg on PATH, or pass --ffmpeg PATH',
  );
}

/** A path the user named must work; failing over silently would hide their mistake. */
function checked(path: string, source: FfmpegSource): ResolvedFfmpeg {
  if (!isExecutableFile(path)) {
    const origin = source === 'flag' ? '--ffmpeg' : 'TUI_CHAT_FFMPEG';
    throw new ChatError(ErrorCode.FFMPEG_NOT_FOUND, `${origin} names ${path}, which is not an executable file`);
  }
  return { path, source };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
