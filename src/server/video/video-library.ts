// The server's videos folder: lists what can be played and resolves a client's request to a file
// inside the folder, refusing anything else (../, absolute paths, symlinks pointing out, non-videos).
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { VideoInfo } from '../../core/messages.js';
import { type VideoProbe, probeVideo } from './video-probe.js';

/** Extensions offered in listings; others may still be played if ffmpeg can read them. */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set(['.mp4', '.mkv', '.webm', '.mov', '.avi', '.m4v', '.mpg', '.mpeg', '.ogv']);

export interface ResolvedVideo {
  readonly path: string;
  readonly info: VideoInfo;
}

export class VideoLibrary {
  private readonly probes = new Map<string, { readonly key: string; readonly probe: Promise<VideoProbe> }>();

  constructor(
    private readonly dir: string,
    private readonly ffmpegPath: string,
  ) {}

  async list(): Promise<VideoInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const videos: VideoInfo[] = [];
    for (const name of names.sort()) {
      if (!VIDEO_EXTENSIONS.has(extname(name).toLowerCase())) continue;
      try {
        videos.push((await this.resolve(name)).info);
      } catch {
        // Unreadable or not a video: not offered.
      }
    }
    return videos;
  }

  /** Throws ChatError VIDEO_PATH, VIDEO_NOT_FOUND or NOT_A_VIDEO. */
  async resolve(name: string): Promise<ResolvedVideo> {
    // A plain file name only: no separators, no dot-dirs, no NUL, nothing absolute.
    if (name === '' || name === '.' || name === '..' || /[/\\\u0000]/.test(name)) {
      throw new ChatError(ErrorCode.VIDEO_PATH, 'give a file name from :videos, not a path');
    }
    let root: string;
    let real: string;
    try {
      root = await realpath(this.dir);
      real = await realpath(join(this.dir, name));
    } catch {
      // Not a file of that name: a unique start of one will do (`:play bars`), several are listed.
      const matches = (await readdir(this.dir).catch(() => [] as string[])).filter((file) => file.toLowerCase().startsWith(name.toLowerCase())).sort();
      if (matches.length === 1) return this.resolve(matches[0]!);
      if (matches.length > 1) {
        throw new ChatError(
          ErrorCode.VIDEO_NOT_FOUND,
          `several videos start with ${JSON.stringify(name)}: ${matches.slice(0, 8).join(', ')}${matches.length > 8 ? ', …' : ''}`,
        );
      }
      throw new ChatError(ErrorCode.VIDEO_NOT_FOUND, `no video called ${JSON.stringify(name)} (see :videos)`);
    }
    // A symlink inside the folder must not lead outside it.
    if (!real.startsWith(root + sep)) throw new ChatError(ErrorCode.VIDEO_PATH, 'that file is outside the videos folder');
    const info = await stat(real);
    if (!info.isFile()) throw new ChatError(ErrorCode.NOT_A_VIDEO, `${name} is not a file`);
    const probe = await this.probe(real, `${info.size}:${info.mtimeMs}`);
    return { path: real, info: { name, bytes: info.size, ...probe } };
  }

  /** Probes are cached per file until its size or mtime changes. */
  private probe(path: string, key: string): Promise<VideoProbe> {
    const cached = this.probes.get(path);
    if (cached !== undefined && cached.key === key) return cached.probe;
    const probe = probeVideo(this.ffmpegPath, path);
    this.probes.set(path, { key, probe });
    probe.catch(() => this.probes.delete(path));
    return probe;
  }
}
