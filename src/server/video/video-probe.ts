// Reads a video's duration, size and frame rate from what `ffmpeg -i FILE` prints. The npm-shipped
// ffmpeg comes without ffprobe, so this parses ffmpeg's own summary (stable for a decade).
import { execFile } from 'node:child_process';
import { ChatError, ErrorCode } from '../../core/errors.js';

export interface VideoProbe {
  readonly durationMs: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
}

/** ffmpeg's summary of a bad file comes quickly; anything slower is not worth waiting for. */
const PROBE_TIMEOUT_MS = 10_000;

export function parseProbeOutput(text: string): VideoProbe | undefined {
  const video = /Stream #\d+:\d+[^:\n]*: Video: ([^\n]*)/.exec(text);
  if (video === null) return undefined;
  const size = /(?:^|[ ,])(\d{1,5})x(\d{1,5})(?:[ ,]|$)/.exec(video[1]!);
  const fps = /(\d+(?:\.\d+)?) fps/.exec(video[1]!) ?? /(\d+(?:\.\d+)?) tbr/.exec(video[1]!);
  const duration = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(text);
  if (size === null || fps === null) return undefined;
  const durationMs = duration === null ? 0 : Math.round(((Number(duration[1]) * 60 + Number(duration[2])) * 60 + Number(duration[3])) * 1000);
  const probe = { durationMs, width: Number(size[1]), height: Number(size[2]), fps: Number(fps[1]) };
  return probe.width > 0 && probe.height > 0 && probe.fps > 0 ? probe : undefined;
}

export function probeVideo(ffmpegPath: string, file: string): Promise<VideoProbe> {
  return new Promise((resolve, reject) => {
    // "-i FILE" with no output: ffmpeg prints the summary and exits 1 ("no output file"); that is expected.
    execFile(ffmpegPath, ['-hide_banner', '-nostdin', '-i', file], { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (_error, _stdout, stderr) => {
      const probe = parseProbeOutput(String(stderr));
      if (probe === undefined) reject(new ChatError(ErrorCode.NOT_A_VIDEO, 'not a playable video'));
      else resolve(probe);
    });
  });
}
