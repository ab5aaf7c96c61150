// Clips the benchmarks make for themselves with ffmpeg, kept in the temp dir between runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '../src/server/video/ffmpeg-path.js';

const QUIET = ['-hide_banner', '-loglevel', 'error', '-y'];

/**
 * The photographic case: a slow zoom (480x270, 30 fps) over a noisy picture (a smooth-shaded
 * Mandelbrot with grain), so every pixel changes a little every frame. Returns the file's path.
 */
export function makeZoomClip(dir: string, name: string, frames: number, zoomPerFrame: number): string {
  const clip = join(dir, name);
  if (existsSync(clip)) return clip;
  mkdirSync(dir, { recursive: true });
  const ffmpeg = resolveFfmpeg().path;
  const picture = join(dir, `${name}.png`);
  execFileSync(ffmpeg, [
    ...QUIET,
    '-f',
    'lavfi',
    '-i',
    'mandelbrot=size=960x540:start_scale=0.5:outer=normalized_iteration_count,noise=alls=25:allf=u',
    '-frames:v',
    '1',
    picture,
  ]);
  const zoom = `zoompan=z='1+${zoomPerFrame}*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=480x270:fps=30`;
  execFileSync(ffmpeg, [
    ...QUIET,
    '-loop',
    '1',
    '-i',
    picture,
    '-vf',
    zoom,
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);
  rmSync(picture);
  return clip;
}

/** ffmpeg's moving test pattern (320x240, 30 fps) of the given length. */
export function makeTestPatternClip(dir: string, name: string, seconds: number): string {
  const clip = join(dir, name);
  if (existsSync(clip)) return clip;
  mkdirSync(dir, { recursive: true });
  execFileSync(resolveFfmpeg().path, [
    ...QUIET,
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=30:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);
  return clip;
}

export const BENCH_DIR = join(tmpdir(), 'tui-chat-bench');
