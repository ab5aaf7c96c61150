// The fidelity bench's clips, made here with ffmpeg from photographs that ship in the locked
// dependency tree, so every run scores the same pictures. A setting tuned on one clip can lose on
// another, so they differ in what moves: a pan (every cell shifts a little), a zoom (every cell
// changes a little, more at the edges), a still with a moving subject (most cells never change),
// a smooth picture panned slowly (small steps a fixed tolerance leaves stale for ever), and an
// animation (flat colors, hard edges, ffmpeg's test pattern).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveFfmpeg } from '../src/server/video/ffmpeg-path.js';
import { BENCH_DIR } from './bench-clips.js';

export interface FidelityClip {
  readonly name: string;
  readonly description: string;
  /** Photographic clips carry the aim (PSNR >= timg's, bytes <= 0.8x timg's); animation is shown beside them. */
  readonly photographic: boolean;
  /** ffmpeg input and filter arguments that make 640x360, 30 fps frames. */
  readonly source: readonly string[];
  readonly frames: number;
}

/** exif-parser's test image (1278x720): a hand over a crate of starfish on a net. */
const STARFISH = 'node_modules/exif-parser/test/starfish.jpg';
/** gifwrap's fixture (640x800): a hairstreak butterfly on a leaf, soft background. */
const HAIRSTREAK = 'node_modules/gifwrap/test/fixtures/hairstreak.jpg';
/** gifwrap's fixture (512x512): the standard Lenna test photograph, smooth skin and hat. */
const LENNA = 'node_modules/gifwrap/test/fixtures/lenna.png';

export const FIDELITY_CLIPS: readonly FidelityClip[] = [
  {
    name: 'pan',
    description: 'pan over a photograph (starfish, ~2 px a frame)',
    photographic: true,
    source: ['-loop', '1', '-i', STARFISH, '-vf', "crop=640:360:x='min(638,t*60)':y=180"],
    frames: 300,
  },
  {
    name: 'zoom',
    description: 'slow zoom into a photograph (hairstreak)',
    photographic: true,
    source: ['-loop', '1', '-i', HAIRSTREAK, '-vf', "scale=1280:1600,zoompan=z='1+0.004*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=640x360:fps=30"],
    frames: 200,
  },
  {
    name: 'subject',
    description: 'still photograph, a subject moving over it',
    photographic: true,
    source: [
      ...['-loop', '1', '-i', STARFISH, '-loop', '1', '-i', HAIRSTREAK],
      '-filter_complex',
      "[0]scale=640:360[bg];[1]scale=120:150[fg];[bg][fg]overlay=x='40+t*80':y='100+40*sin(t*2)'",
    ],
    frames: 200,
  },
  {
    name: 'smooth',
    description: 'slow pan over a smooth photograph (Lenna, ~1 px a frame)',
    photographic: true,
    source: ['-loop', '1', '-i', LENNA, '-vf', "scale=1024:1024,crop=640:360:x='min(384,t*30)':y=300"],
    frames: 200,
  },
  {
    name: 'animation',
    description: "animation: ffmpeg's moving test pattern (testsrc2)",
    photographic: false,
    source: ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30'],
    frames: 200,
  },
];

/** The clip's file (H.264 at a high quality, so what the renderers see is the picture, not codec noise). */
export function makeFidelityClip(clip: FidelityClip): string {
  const file = join(BENCH_DIR, `fidelity-${clip.name}-640x360-30fps.mp4`);
  if (existsSync(file)) return file;
  mkdirSync(BENCH_DIR, { recursive: true });
  execFileSync(resolveFfmpeg().path, [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...clip.source,
    ...['-r', '30', '-frames:v', String(clip.frames), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '18', file],
  ]);
  return file;
}
