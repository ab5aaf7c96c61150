// Half-block renderer: milliseconds and bytes per frame at three terminal sizes, on a clip where
// every pixel changes a little each frame (a slow Mandelbrot zoom) and on a mostly still one
// (SMPTE bars with a small moving box). Frames are decoded once with the real ffmpeg beforehand;
// only rendering is timed, on this one core. The photographic clip is made by bench-clips.ts.
import { execFileSync } from 'node:child_process';
import { BENCH_DIR, makeZoomClip } from './bench-clips.js';
import { HalfBlockRenderer } from '../src/client/video/half-block-renderer.js';
import { resolveFfmpeg } from '../src/server/video/ffmpeg-path.js';
import { fitInside } from '../src/server/video/video-stream.js';

export interface RendererResult {
  readonly clip: string;
  readonly cols: number;
  readonly rows: number;
  readonly msPerFrame: number;
  readonly bytesPerFrame: number;
  readonly bytesPerCell: number;
}

function clips() {
  return [
    { name: 'photographic (zoom over picture)', file: makeZoomClip(BENCH_DIR, 'zoom-480x270-30fps-3s.mp4', 90, 0.002), srcWidth: 480, srcHeight: 270 },
    { name: 'mandelbrot zoom (sample video)', file: 'videos/mandelbrot-480x270-24fps.mp4', srcWidth: 480, srcHeight: 270 },
    { name: 'mostly still (bars)', file: 'videos/bars-640x360-25fps.mp4', srcWidth: 640, srcHeight: 360 },
  ] as const;
}
export const SIZES = [
  [80, 24],
  [160, 48],
  [240, 67],
] as const;

function decodeFrames(file: string, width: number, height: number): Buffer[] {
  const ffmpeg = resolveFfmpeg().path;
  const raw = execFileSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-i', file, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { maxBuffer: 1 << 30 },
  );
  const size = width * height * 3;
  const frames: Buffer[] = [];
  for (let offset = 0; offset + size <= raw.length; offset += size) frames.push(raw.subarray(offset, offset + size));
  return frames;
}

export function runRendererBench(): RendererResult[] {
  const results: RendererResult[] = [];
  for (const clip of clips()) {
    for (const [cols, rows] of SIZES) {
      const { width, height } = fitInside(clip.srcWidth, clip.srcHeight, cols, rows * 2);
      const frames = decodeFrames(clip.file, width, height);
      const renderer = new HalfBlockRenderer({ cols, rows, top: 1, left: 1, colorMode: 'truecolor' });
      // Warm up the JIT on the first pass, then time three passes (the first frame of each pass
      // is a full repaint, as after a resize).
      for (const frame of frames) renderer.render(frame, width, height);
      let bytes = 0;
      let rendered = 0;
      const started = process.hrtime.bigint();
      for (let pass = 0; pass < 3; pass++) {
        renderer.invalidate();
        for (const frame of frames) {
          bytes += renderer.render(frame, width, height).length;
          rendered++;
        }
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      results.push({ clip: clip.name, cols, rows, msPerFrame: ms / rendered, bytesPerFrame: bytes / rendered, bytesPerCell: bytes / rendered / (cols * rows) });
    }
  }
  return results;
}
