// Picture fidelity, side by side in one run: each clip of fidelity-clips.ts (photographs panned,
// zoomed, a subject moving over a still, and an animation) drawn at the same cell geometry by
// tui-chat (through the server's real ffmpeg pipeline and PNG transport: its default, the quality
// governor choosing the tolerance from its byte budget, and fixed tolerances), timg and mpv
// (from Debian: `apt-get install timg mpv`). Each renderer's bytes are replayed in a small screen
// model (screen-model.ts) to get back every frame it drew, which is compared with the source frame
// scaled (area averaging) to the same pixels: bytes per frame, frames shown, PSNR and SSIM.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { HalfBlockRenderer } from '../src/client/video/half-block-renderer.js';
import { QUALITY_LADDER, QualityGovernor } from '../src/client/video/quality-governor.js';
import type { VideoFrame } from '../src/core/media-frame.js';
import type { FrameEncoding } from '../src/core/messages.js';
import { resolveFfmpeg } from '../src/server/video/ffmpeg-path.js';
import { probeVideo } from '../src/server/video/video-probe.js';
import { VideoStream } from '../src/server/video/video-stream.js';
import { FIDELITY_CLIPS, type FidelityClip, makeFidelityClip } from './fidelity-clips.js';
import { ScreenModel, crop, mse, psnrOf, ssim } from './screen-model.js';

export const FIDELITY_COLS = 116;
export const FIDELITY_ROWS = 32;
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

const references = new Map<string, Uint8Array[]>();

/** The clip's frames scaled by area averaging to width x height (kept: every renderer is scored on them). */
function referenceFrames(clip: string, width: number, height: number): Uint8Array[] {
  const key = `${clip} ${width}x${height}`;
  const known = references.get(key);
  if (known !== undefined) return known;
  const raw = execFileSync(
    resolveFfmpeg().path,
    ['-hide_banner', '-loglevel', 'error', '-i', clip, '-vf', `scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    { maxBuffer: 1 << 30 },
  );
  const size = width * height * 3;
  const frames: Uint8Array[] = [];
  for (let at = 0; at + size <= raw.length; at += size) frames.push(raw.subarray(at, at + size));
  references.set(key, frames);
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

async function rgbFrames(frames: readonly VideoFrame[]): Promise<{ data: Buffer; width: number; height: number }[]> {
  const out = [];
  for (const frame of frames) {
    const { data, info } = await sharp(frame.payload).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    out.push({ data, width: info.width, height: info.height });
  }
  return out;
}

/**
 * What tui-chat's terminal player writes for those frames: at a fixed tolerance, or (undefined) as
 * the player does by default, the governor choosing the rung from each frame's bytes (the terminal
 * here is a file, so time never runs out). Returns the bytes per frame and the rungs used.
 */
function tuiChatBytes(
  frames: readonly { data: Buffer; width: number; height: number }[],
  tolerance?: number,
): { written: Buffer[]; levels: Map<number, number> } {
  const governor = new QualityGovernor();
  const renderer = new HalfBlockRenderer({
    top: 1,
    left: 1,
    cols: FIDELITY_COLS,
    rows: FIDELITY_ROWS,
    colorMode: 'truecolor',
    tolerance: tolerance ?? governor.current.tolerance,
    // A fixed tolerance is the old renderer: its stale cells stay.
    repaintEvery: tolerance === undefined ? undefined : Number.MAX_SAFE_INTEGER,
  });
  const written: Buffer[] = [];
  const levels = new Map<number, number>();
  for (const frame of frames) {
    written.push(Buffer.from(renderer.render(frame.data, frame.width, frame.height)));
    levels.set(governor.levelIndex, (levels.get(governor.levelIndex) ?? 0) + 1);
    if (tolerance !== undefined) continue;
    const drawn = { costMs: 0, frameIntervalMs: 1000 / 30, ...renderer.lastCost, cells: frame.width * Math.ceil(frame.height / 2) };
    if (governor.record(drawn)) renderer.setTolerance(governor.current.tolerance);
  }
  return { written, levels };
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

export interface ClipFidelity {
  readonly clip: FidelityClip;
  readonly results: FidelityResult[];
  /** Frames the default drew at each rung of the ladder. */
  readonly defaultLevels: Map<number, number>;
}

/** One clip, every renderer, in the same run. */
export async function runClipFidelity(clip: FidelityClip, missing: Set<string>): Promise<ClipFidelity> {
  const file = makeFidelityClip(clip);
  const results: FidelityResult[] = [];
  const png = await serverFrames(file, 'png');
  const rgb = await rgbFrames(png);
  const picture = { width: png[0]!.width, height: png[0]!.height };
  const byDefault = tuiChatBytes(rgb);
  results.push(score('tui-chat default (budget)', file, byDefault.written, picture));
  const truecolorTolerances = QUALITY_LADDER.filter((level) => level.colorMode === 'truecolor').map((level) => level.tolerance);
  for (const tolerance of [0, 2, 6].filter((t) => truecolorTolerances.includes(t))) {
    results.push(score(`tui-chat fixed tolerance ${tolerance}`, file, tuiChatBytes(rgb, tolerance).written, picture));
  }
  const timg = externalBytes('timg', [`-g${FIDELITY_COLS}x${FIDELITY_ROWS}`, '-ph', file]);
  if (timg === undefined) missing.add('timg');
  else results.push(score('timg -ph', file, timg));
  const mpvArgs = ['--no-config', '--vo=tct', '--vo-tct-algo=half-blocks', `--vo-tct-width=${FIDELITY_COLS}`, `--vo-tct-height=${FIDELITY_ROWS}`];
  const mpv = externalBytes('mpv', [...mpvArgs, '--really-quiet', '--no-audio', file]);
  if (mpv === undefined) missing.add('mpv');
  else results.push(score('mpv --vo=tct half-blocks', file, mpv));
  references.clear();
  return { clip, results, defaultLevels: byDefault.levels };
}

/** Every clip (or those named in `only`), one after another. */
export async function* runFidelityBench(only?: readonly string[]): AsyncGenerator<ClipFidelity, string[]> {
  const missing = new Set<string>();
  for (const clip of FIDELITY_CLIPS) {
    if (only !== undefined && !only.includes(clip.name)) continue;
    yield await runClipFidelity(clip, missing);
  }
  return [...missing];
}
