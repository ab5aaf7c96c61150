// One still from a video, for listings: a JPEG taken a second in (or halfway, if shorter).
import { execFile } from 'node:child_process';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { VideoInfo } from '../../core/messages.js';
import { fitInside } from './video-stream.js';

const POSTER_TIMEOUT_MS = 10_000;

export function grabPoster(ffmpegPath: string, file: string, info: VideoInfo, box: { width: number; height: number }): Promise<Buffer> {
  const { width, height } = fitInside(info.width, info.height, box.width, box.height);
  const at = Math.min(1000, info.durationMs / 2) / 1000;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-threads',
    '1',
    '-ss',
    at.toFixed(3),
    '-i',
    file,
    '-frames:v',
    '1',
    '-vf',
    `scale=${width}:${height}`,
    '-pix_fmt',
    'yuvj420p',
    '-c:v',
    'mjpeg',
    '-q:v',
    '4',
    '-f',
    'image2pipe',
    'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    execFile(ffmpegPath, args, { encoding: 'buffer', timeout: POSTER_TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error !== null || stdout.length === 0) reject(new ChatError(ErrorCode.VIDEO_DECODE, 'could not take a still from that video'));
      else resolve(stdout);
    });
  });
}
