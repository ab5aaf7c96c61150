// Which encoding should video frames travel in? For each candidate: bytes per frame on the wire,
// the server's CPU per frame (beyond decoding and scaling, which ffmpeg does in every case), and
// the client's CPU to get raw RGB back. Frames from the sample clips, decoded by the real ffmpeg.
import { execFileSync } from 'node:child_process';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { resolveFfmpeg } from '../src/server/video/ffmpeg-path.js';
import { JpegSplitter } from '../src/server/video/jpeg-splitter.js';

export interface EncodingResult {
  readonly clip: string;
  readonly size: string;
  readonly encoding: string;
  readonly bytesPerFrame: number;
  readonly serverMsPerFrame: number;
  readonly clientMsPerFrame: number;
}

const CLIPS = [
  { name: 'mandelbrot', file: 'videos/mandelbrot-480x270-24fps.mp4', width: 160, height: 90 },
  { name: 'testsrc2', file: 'videos/testsrc2-320x240-30fps.mp4', width: 128, height: 96 },
] as const;

function ffmpegFrames(file: string, width: number, height: number, output: string[]): Buffer {
  return execFileSync(resolveFfmpeg().path, ['-hide_banner', '-loglevel', 'error', '-i', file, '-vf', `scale=${width}:${height}`, ...output, 'pipe:1'], {
    maxBuffer: 1 << 30,
  });
}

function time<T>(work: () => T): [T, number] {
  const started = process.hrtime.bigint();
  const result = work();
  return [result, Number(process.hrtime.bigint() - started) / 1e6];
}

export async function runEncodingBench(): Promise<EncodingResult[]> {
  const results: EncodingResult[] = [];
  for (const clip of CLIPS) {
    const size = `${clip.width}x${clip.height}`;
    const raw = ffmpegFrames(clip.file, clip.width, clip.height, ['-f', 'rawvideo', '-pix_fmt', 'rgb24']);
    const frameBytes = clip.width * clip.height * 3;
    const frames: Buffer[] = [];
    for (let o = 0; o + frameBytes <= raw.length; o += frameBytes) frames.push(raw.subarray(o, o + frameBytes));
    results.push({ clip: clip.name, size, encoding: 'raw RGB24', bytesPerFrame: frameBytes, serverMsPerFrame: 0, clientMsPerFrame: 0 });

    const [deflated, deflateMs] = time(() => frames.map((f) => deflateRawSync(f, { level: 1 })));
    const [, inflateMs] = time(() => deflated.map((d) => inflateRawSync(d)));
    results.push({
      clip: clip.name,
      size,
      encoding: 'raw + deflate(1)',
      bytesPerFrame: deflated.reduce((n, d) => n + d.length, 0) / frames.length,
      serverMsPerFrame: deflateMs / frames.length,
      clientMsPerFrame: inflateMs / frames.length,
    });

    // JPEG is made by ffmpeg itself (its mjpeg encoder, -q:v 5 as the server uses): no server CPU in Node.
    const mjpeg = ffmpegFrames(clip.file, clip.width, clip.height, ['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe']);
    const jpegs = new JpegSplitter(1 << 24).push(mjpeg);
    const started = process.hrtime.bigint();
    for (const jpeg of jpegs) await sharp(jpeg).raw().toBuffer();
    const decodeMs = Number(process.hrtime.bigint() - started) / 1e6;
    results.push({
      clip: clip.name,
      size,
      encoding: 'JPEG q5 (ffmpeg mjpeg)',
      bytesPerFrame: mjpeg.length / jpegs.length,
      serverMsPerFrame: 0,
      clientMsPerFrame: decodeMs / jpegs.length,
    });
  }
  return results;
}
