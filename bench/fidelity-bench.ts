// Picture fidelity, side by side in one run (issue "[5 of 7]"): the same clip, a slow pan over a
// real photograph, drawn at the same cell geometry by tui-chat (through the server's real ffmpeg
// pipeline, PNG or JPEG transport, each tolerance level of the quality governor), timg and mpv
// (from Debian: `apt-get install timg mpv`). Each renderer's bytes are replayed in a small screen
// model (screen-model.ts) to get back every frame it drew, which is compared with the source frame
// scaled (area averaging) to the same pixels: bytes per frame, frames shown, PSNR and SSIM.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { HalfBlockRenderer } from '../src/client/video/half-block-renderer.js';
import { QUALITY_LADDER } from '../src/client/video/quality-governor.js';
import type { VideoFrame } from '../src/core/media-frame.js';
import type { FrameEncoding } from '../src/core/messages.js';
import { resolveFfmpeg } from '../src/server/video/ffmpeg-path.js';
import { probeVideo } from '../src/server/video/video-probe.js';
import { VideoStream } from '../src/server/video/video-stream.js';
import { BENCH_DIR } from './bench-clips.js';
import { ScreenModel, crop, mse, psnrOf, ssim } from './screen-model.js';

export const FIDELITY_COLS = 116;
export const FIDELITY_ROWS = 32;
/** The photograph: a real one that ships in the locked dependency tree (exif-parser's test image, 1278x720). */
const PHOTO = 'node_modules/exif-parser/test/starfish.jpg';

export interface FidelityResult {
  readonly renderer: string;
  readonly framesShown: number;
  readonly bytesPerFrame: number;
  /** Over the whole run's mean squared error; Infinity when every frame matched exactly. */
  readonly psnr: number;
  readonly ssim: number;
  /** Share of the picture's cells that changed from one drawn frame to the next. */
  readonly changedCells: number;
  readonly picture: string;
  /** Bytes per frame per cell of the picture: renderers fit the clip to slightly different widths. */
  readonly bytesPerCell: number;
}

/** A slow pan (640x360, 30 fps, 300 frames: ~2 pixels a frame) across the photograph. */
export function makePanClip(): string {
  const clip = join(BENCH_DIR, 'pan-starfish-640x360-30fps.mp4');
  if (existsSync(clip)) return clip;
  mkdirSync(BENCH_DIR, { recursive: true });
  execFileSync(resolveFfmpeg().path, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-i', PHOTO],
    ...['-vf', "crop=640:360:x='min(638,t*60)':y=180,format=yuv420p", '-r', '30', '-frames:v', '300'],
    ...['-c:v', 'libx264', '-crf', '18', clip],
  ]);
  return clip;
}

function referenceFrames(clip: string, width: number, height: number): Uint8Array[] {
  const raw = execFileSync(
    resolveFfmpeg().path,
    ['-hide_banner', '-loglevel', 'error', '-i', clip, '-vf', `scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    { maxBuffer: 1 << 30 },
  );
  const size = width * height * 3;
  const frames: Uint8Array[] = [];
  for (let at = 0; at + size <= raw.length; at += size) frames.push(raw.subarray(at, at + size));
  return frames;
}

/** Every frame the real server pipeline sends for a pane of FIDELITY_COLS x FIDELITY_ROWS cells. */
async function serverFrames(clip: string, encoding: FrameEncoding): Promise<VideoFrame[]> {
  const probe = await probeVideo(resolveFfmpeg().path, clip);
  const frames: VideoFrame[] = [];
  await new Promise<void>((done) => {
    const stream = new VideoStream({
      id: 1,
      ffmpegPath: resolveFfmpeg().path,
      path: resolve(clip),
      info: { name: 'pan', bytes: 0, ...probe },
      boxes: [{ width: FIDELITY_COLS, height: FIDELITY_ROWS * 2 }],
      maxFrameBytes: 1 << 20,
      encoding,
      sink: {
        start: () => {},
        frame: ([frame]) => {
          frames.push(frame!);
          return 0;
        },
        status: () => {},
        end: () => done(),
      },
    });
    stream.start();
  });
  return frames;
}

/** What tui-chat's terminal player writes for those frames at one tolerance. */
async function tuiChatBytes(frames: readonly VideoFrame[], tolerance: number): Promise<Buffer[]> {
  const renderer = new HalfBlockRenderer({ top: 1, left: 1, cols: FIDELITY_COLS, rows: FIDELITY_ROWS, colorMode: 'truecolor', tolerance });
  const out: Buffer[] = [];
  for (const frame of frames) {
    const { data, info } = await sharp(frame.payload).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    out.push(Buffer.from(renderer.render(data, info.width, info.height)));
  }
  return out;
}

function externalBytes(command: string, args: readonly string[]): Buffer | undefined {
  const run = spawnSync(command, args, { maxBuffer: 1 << 30, env: { ...process.env, TERM: 'xterm-256color', COLORTERM: 'truecolor' } });
  return run.status === 0 && run.stdout.length > 0 ? run.stdout : undefined;
}

/**
 * Replays a renderer's bytes and scores each frame it drew against the reference. The reference
 * size is the drawn picture's; where a renderer lost rows (mpv draws its first row over with its
 * second), the best vertical alignment of 0-2 pixel rows is used, in its favour.
 */
function score(renderer: string, clip: string, written: Buffer | readonly Buffer[], picture?: { width: number; height: number }): FidelityResult {
  const model = new ScreenModel(FIDELITY_COLS + 4, FIDELITY_ROWS + 4);
  // Our own frames come one write each: a frame that changed nothing is still a frame shown.
  if (Buffer.isBuffer(written)) model.feed(written);
  else for (const frame of written) model.feed(frame, true);
  const bytes = Buffer.isBuffer(written) ? written : Buffer.concat(written);
  // tui-chat centres the picture in the pane (the cells around it are painted black once).
  const box =
    picture === undefined
      ? model.bounds()
      : {
          left: (FIDELITY_COLS - picture.width) >> 1,
          top: (FIDELITY_ROWS - Math.ceil(picture.height / 2)) >> 1,
          cols: picture.width,
          rows: Math.ceil(picture.height / 2),
        };
  const width = box.cols;
  const shownHeight = box.rows * 2;
  const shots = model.snapshots.map((shot) => crop(shot, model.cols, box.left, box.top, width, shownHeight));
  let best: { height: number; dy: number; reference: Uint8Array[]; error: number } | undefined;
  for (const height of [shownHeight, shownHeight + 2]) {
    const reference = referenceFrames(clip, width, height);
    for (let dy = 0; dy <= height - shownHeight; dy++) {
      const sample = shots.slice(0, 20).map((shot, i) => mse(shot, rows(reference[Math.min(i, reference.length - 1)]!, width, dy, shownHeight)));
      const error = sample.reduce((a, b) => a + b, 0);
      if (best === undefined || error < best.error) best = { height, dy, reference, error };
    }
  }
  let squared = 0;
  let similarity = 0;
  let changed = 0;
  let next = 0;
  for (const [k, shot] of shots.entries()) {
    // Each drawn frame is matched with the source frame it is closest to, in order (renderers drop
    // frames; none shows them out of order).
    let match = { index: next, error: Number.POSITIVE_INFINITY };
    for (let j = next; j < Math.min(best!.reference.length, next + 12); j++) {
      const error = mse(shot, rows(best!.reference[j]!, width, best!.dy, shownHeight));
      if (error < match.error) match = { index: j, error };
    }
    next = match.index;
    squared += match.error;
    similarity += ssim(shot, rows(best!.reference[match.index]!, width, best!.dy, shownHeight), width, shownHeight);
    if (k > 0) changed += changedCellShare(shots[k - 1]!, shot, width, shownHeight);
  }
  return {
    renderer,
    framesShown: shots.length,
    bytesPerFrame: bytes.length / Math.max(1, shots.length),
    psnr: psnrOf(squared / Math.max(1, shots.length)),
    ssim: similarity / Math.max(1, shots.length),
    changedCells: changed / Math.max(1, shots.length - 1),
    picture: `${width}x${shownHeight}`,
    bytesPerCell: bytes.length / Math.max(1, shots.length) / (width * box.rows),
  };
}

function rows(frame: Uint8Array, width: number, dy: number, height: number): Uint8Array {
  return frame.subarray(dy * width * 3, (dy + height) * width * 3);
}

function changedCellShare(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  let changed = 0;
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const j = i + width * 3;
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[j] !== b[j] || a[j + 1] !== b[j + 1] || a[j + 2] !== b[j + 2]) changed++;
    }
  }
  return changed / ((width * height) / 2);
}

export async function runFidelityBench(): Promise<{ results: FidelityResult[]; missing: string[] }> {
  const clip = makePanClip();
  const results: FidelityResult[] = [];
  const missing: string[] = [];
  const png = await serverFrames(clip, 'png');
  const picture = { width: png[0]!.width, height: png[0]!.height };
  // The rate-distortion curve: each truecolor rung of the governor's ladder, and a few tolerances between.
  const ladder = new Map(
    QUALITY_LADDER.map((level, index) => [level, index] as const)
      .filter(([level]) => level.colorMode === 'truecolor')
      .map(([level, index]) => [level.tolerance, index]),
  );
  const tolerances = [...new Set([0, 2, 4, 8, ...ladder.keys()])].sort((a, b) => a - b);
  for (const tolerance of tolerances) {
    const level = ladder.get(tolerance);
    const label = `tui-chat PNG, tolerance ${tolerance}${level === undefined ? '' : ` (level ${level})`}`;
    results.push(score(label, clip, await tuiChatBytes(png, tolerance), picture));
  }
  const jpeg = await serverFrames(clip, 'jpeg');
  results.push(score('tui-chat JPEG q5, tolerance 0 (before)', clip, await tuiChatBytes(jpeg, 0), picture));
  const timg = externalBytes('timg', [`-g${FIDELITY_COLS}x${FIDELITY_ROWS}`, '-ph', clip]);
  if (timg === undefined) missing.push('timg');
  else results.push(score('timg -ph', clip, timg));
  const mpvArgs = ['--no-config', '--vo=tct', '--vo-tct-algo=half-blocks', `--vo-tct-width=${FIDELITY_COLS}`, `--vo-tct-height=${FIDELITY_ROWS}`];
  const mpv = externalBytes('mpv', [...mpvArgs, '--really-quiet', '--no-audio', clip]);
  if (mpv === undefined) missing.push('mpv');
  else results.push(score('mpv --vo=tct half-blocks', clip, mpv));
  return { results, missing };
}
