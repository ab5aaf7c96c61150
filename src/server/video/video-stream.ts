// One stream: an ffmpeg process decodes the video once and scales it to one or a few sizes (a
// private stream has one; a room's shared stream one per size its viewers' panes need, each on a
// pipe of its own), and a pacer sends frame n of every size at start + n x frame duration on an
// absolute clock. Pausing stops the clock and the decoder; seeking and a change of sizes restart
// the decoder at the current position. The ffmpeg process never outlives the stream: it is killed
// on stop, on error and when the stream ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { ChatError } from '../../core/errors.js';
import { MediaEncoding, type VideoFrame } from '../../core/media-frame.js';
import type { FrameEncoding, StreamEndReason, VideoInfo } from '../../core/messages.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { PngSplitter } from './png-splitter.js';

/** Where a stream's output goes (the server connection, or a test). */
export interface StreamSink {
  /** The decoder (re)starts with these sizes, in the order of `boxes` (one per box). */
  start(info: {
    readonly width: number;
    readonly height: number;
    readonly fps: number;
    readonly durationMs: number;
    readonly sizes: readonly FrameSize[];
  }): void;
  /**
   * Frame n at each size (`frames[i]` for `boxes[i]`), all due now. Returns how many older frames
   * these replaced unsent (viewers behind): counted as dropped.
   */
  frame(frames: readonly VideoFrame[]): number;
  status(status: { readonly positionMs: number; readonly paused: boolean; readonly sent: number; readonly dropped: number }): void;
  end(reason: StreamEndReason, message: string, counts: { readonly sent: number; readonly dropped: number }): void;
}

export interface VideoStreamOptions {
  readonly id: number;
  readonly ffmpegPath: string;
  readonly path: string;
  readonly info: VideoInfo;
  /**
   * The pixel boxes to fit the video inside, keeping its aspect ratio: one for a private stream,
   * the few its viewers need for a shared one. Each is one output of the one ffmpeg.
   */
  readonly boxes: readonly FrameSize[];
  readonly sink: StreamSink;
  /** Largest JPEG accepted from ffmpeg (the media frame limit). */
  readonly maxFrameBytes: number;
  /** JPEG quality, ffmpeg's -q:v (2 best .. 31 worst). Default 5: see docs/VIDEO.md. */
  readonly quality?: number;
  /** How frames travel; default 'jpeg'. */
  readonly encoding?: FrameEncoding;
}

/** Decoded frames waiting for their time; ffmpeg is paused beyond this (bounded memory). */
const MAX_BUFFERED_FRAMES = 8;
/** Frames decoded before the clock starts: a cushion against a decoder that starts slowly. */
const PREBUFFER_FRAMES = 4;
const STATUS_INTERVAL_MS = 1000;
/**
 * How far behind the clock a frame may be and still be shown (or two frame intervals, if longer).
 * Measured: starting an ffmpeg blocks the event loop 13-19 ms (spawn), and a burst of viewers
 * pressing play stalls the other streams for 60-90 ms; players commonly drop only past ~100 ms.
 */
const LATE_ALLOWANCE_MS = 100;

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** Most sizes one ffmpeg scales to at once (a shared stream's viewers are grouped into these). */
export const MAX_OUTPUTS = 4;

export function fitInside(srcWidth: number, srcHeight: number, boxWidth: number, boxHeight: number): { width: number; height: number } {
  const scale = Math.min(boxWidth / srcWidth, boxHeight / srcHeight);
  // JPEG's 4:2:0 chroma needs even sides.
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  return { width: even(srcWidth * scale), height: even(srcHeight * scale) };
}

export class VideoStream {
  readonly id: number;
  private readonly options: VideoStreamOptions;
  private boxes: readonly FrameSize[];
  private sizes: FrameSize[] = [];
  private decoder: ChildProcess | undefined;
  /** Decoded frames per output, in lockstep: frame k of every output is presented together. */
  private buffered: VideoFrame[][] = [[]];
  private decoderDone = false;
  private stderrTail = '';
  /** Frame index (from the start of the video) of the next frame to present. */
  private nextIndex = 0;
  /** Wall-clock time at which frame index 0 would be due; moves on pause and seek. */
  private clockOrigin = 0;
  private clockRunning = false;
  private paused = false;
  private pausedAt = 0;
  private seq = 0;
  private sent = 0;
  private dropped = 0;
  private pacer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private ended = false;

  private get encoding(): FrameEncoding {
    return this.options.encoding ?? 'jpeg';
  }

  constructor(options: VideoStreamOptions) {
    this.options = options;
    this.id = options.id;
    this.boxes = [...options.boxes];
  }

  /** Frames decoded at every size and waiting for their time. */
  private get ready(): number {
    return Math.min(...this.buffered.map((queue) => queue.length));
  }

  /** The current sizes, in the order of the boxes. */
  get frameSizes(): readonly FrameSize[] {
    return this.sizes;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get frameMs(): number {
    return 1000 / this.options.info.fps;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The ffmpeg process id, while one runs (tests check it is gone afterwards). */
  get decoderPid(): number | undefined {
    return this.decoder?.pid;
  }

  get positionMs(): number {
    return Math.round(this.nextIndex * this.frameMs);
  }

  start(): void {
    this.startDecoder(0);
    this.statusTimer = setInterval(() => this.reportStatus(), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
  }

  pause(paused: boolean): void {
    if (this.ended || paused === this.paused) return;
    this.paused = paused;
    if (paused) {
      this.pausedAt = performance.now();
      clearTimeout(this.pacer);
      this.pacer = undefined;
      this.pauseOutputs();
    } else {
      this.clockOrigin += performance.now() - this.pausedAt;
      this.resumeDecoderIfRoom();
      this.schedule();
    }
    this.reportStatus();
  }

  seek(deltaMs: number): void {
    if (this.ended) return;
    const durationMs = this.options.info.durationMs;
    const target = Math.max(0, Math.min(this.positionMs + deltaMs, Math.max(0, durationMs - this.frameMs)));
    this.restartAt(Math.round(target / this.frameMs));
    this.reportStatus();
  }

  /** New boxes (a viewer resized, came or went): the decoder restarts at the current position. */
  resize(boxes: readonly FrameSize[]): void {
    if (this.ended) return;
    this.boxes = boxes.slice(0, MAX_OUTPUTS);
    this.restartAt(this.nextIndex);
  }

  stop(): void {
    this.finish('stopped', 'stopped');
  }

  // ---- decoder -------------------------------------------------------------------------------

  private restartAt(index: number): void {
    this.killDecoder();
    this.startDecoder(index);
  }

  private startDecoder(index: number): void {
    const { info } = this.options;
    this.sizes = this.boxes.map((box) => fitInside(info.width, info.height, box.width, box.height));
    this.buffered = this.sizes.map(() => []);
    this.nextIndex = index;
    this.decoderDone = false;
    this.stderrTail = '';
    // The clock starts once a few frames are decoded, not now: ffmpeg takes a while to start and
    // decodes its first frames slowly, and frames due meanwhile would count as late and be skipped.
    this.clockRunning = false;
    this.options.sink.start({ width: this.sizes[0]!.width, height: this.sizes[0]!.height, fps: info.fps, durationMs: info.durationMs, sizes: this.sizes });
    const codec =
      this.encoding === 'png'
        ? // Compressed in ffmpeg's process, not on the server's event loop; level 1: pane-size
          // frames are small, and speed matters more than the last few bytes.
          ['-pix_fmt', 'rgb24', '-c:v', 'png', '-compression_level', '1']
        : ['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', String(this.options.quality ?? 5)];
    // Area averaging: each output pixel is the mean of the source pixels it covers, the fairest
    // downscale (and the reference docs/VIDEO.md measures against). Several sizes: the decoded
    // picture is split and each copy scaled, so the video is decoded once whatever the sizes.
    const scale = (size: FrameSize) => `scale=${size.width}:${size.height}:flags=area`;
    const graph =
      this.sizes.length === 1
        ? ['-vf', scale(this.sizes[0]!)]
        : [
            '-filter_complex',
            `[0:v]split=${this.sizes.length}${this.sizes.map((_, i) => `[s${i}]`).join('')};${this.sizes.map((size, i) => `[s${i}]${scale(size)}[o${i}]`).join(';')}`,
          ];
    // Output i goes to fd 1 for the first, fd 3, 4, ... for the others.
    const outputs = this.sizes.flatMap((_, i) => [
      ...(this.sizes.length === 1 ? [] : ['-map', `[o${i}]`]),
      // Constant frame rate at the source rate, so frame n is at n x frame duration.
      '-r',
      String(info.fps),
      '-vsync',
      'cfr',
      ...codec,
      '-threads',
      '1',
      '-f',
      'image2pipe',
      i === 0 ? 'pipe:1' : `pipe:${i + 2}`,
    ]);
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      // One thread each: a stream is small work, and dozens of streams must share the cores.
      '-threads',
      '1',
      ...(index > 0 ? ['-ss', ((index * this.frameMs) / 1000).toFixed(3)] : []),
      '-i',
      this.options.path,
      '-an',
      '-sn',
      ...graph,
      ...outputs,
    ];
    const extraPipes = this.sizes.slice(1).map(() => 'pipe' as const);
    const decoder = spawn(this.options.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe', ...extraPipes] });
    this.decoder = decoder;
    const encoding = this.encoding === 'png' ? MediaEncoding.PNG : MediaEncoding.JPEG;
    this.sizes.forEach((size, output) => {
      const pipe = this.outputPipe(decoder, output);
      const splitter = this.encoding === 'png' ? new PngSplitter(this.options.maxFrameBytes) : new JpegSplitter(this.options.maxFrameBytes);
      let frameIndex = index;
      const queue = this.buffered[output]!;
      pipe.on('data', (chunk: Buffer) => {
        if (this.decoder !== decoder) return;
        let payloads: Buffer[];
        try {
          payloads = splitter.push(chunk);
        } catch (error) {
          this.finish('error', error instanceof ChatError ? error.message : 'decode failed');
          return;
        }
        for (const payload of payloads) {
          queue.push({ stream: this.id, seq: 0, ptsMs: frameIndex * this.frameMs, width: size.width, height: size.height, encoding, payload });
          frameIndex++;
        }
        if (this.ready >= PREBUFFER_FRAMES) this.startClock();
        // Backpressure on the decoder: it waits (blocked on its pipes) until frames are presented.
        // Counted on frames complete at every size: pausing one pipe while another lags could
        // stall ffmpeg on the paused one and starve the lagging one for good.
        if (this.ready >= MAX_BUFFERED_FRAMES) this.pauseOutputs();
        this.schedule();
      });
    });
    decoder.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    decoder.on('error', (error) => {
      if (this.decoder === decoder) this.finish('error', `cannot run ffmpeg: ${error.message}`);
    });
    decoder.on('close', (code, signal) => {
      if (this.decoder !== decoder) return;
      this.decoder = undefined;
      this.decoderDone = true;
      this.startClock(); // a video shorter than the prebuffer
      if (code !== 0 && signal === null) {
        const reason = this.stderrTail.trim().split('\n').pop() ?? `ffmpeg exited with ${code}`;
        this.finish('error', `decoding failed: ${reason.slice(0, 200)}`);
        return;
      }
      this.schedule();
    });
  }

  private startClock(): void {
    if (this.clockRunning) return;
    this.clockRunning = true;
    this.clockOrigin = performance.now() - this.nextIndex * this.frameMs;
    if (this.paused) this.pausedAt = performance.now();
  }

  private resumeDecoderIfRoom(): void {
    const decoder = this.decoder;
    if (this.paused || decoder === undefined || this.ready >= MAX_BUFFERED_FRAMES) return;
    for (let output = 0; output < this.sizes.length; output++) this.outputPipe(decoder, output).resume();
  }

  private pauseOutputs(): void {
    const decoder = this.decoder;
    if (decoder === undefined) return;
    for (let output = 0; output < this.sizes.length; output++) this.outputPipe(decoder, output).pause();
  }

  /** Where ffmpeg writes output i: stdout for the first, fd 3, 4, ... for the others. */
  private outputPipe(decoder: ChildProcess, output: number): NodeJS.ReadableStream {
    return (output === 0 ? decoder.stdout : decoder.stdio[output + 2]) as NodeJS.ReadableStream;
  }

  private killDecoder(): void {
    const decoder = this.decoder;
    this.decoder = undefined;
    if (decoder !== undefined && decoder.exitCode === null && decoder.signalCode === null) decoder.kill('SIGKILL');
  }

  // ---- pacing --------------------------------------------------------------------------------

  /** Arms the timer for the next frame's due time, if there is a frame and we are playing. */
  private schedule(): void {
    if (this.ended || this.paused || this.pacer !== undefined || !this.clockRunning) return;
    if (this.ready === 0) {
      if (this.decoderDone) this.finish('finished', 'finished');
      return;
    }
    const due = this.clockOrigin + this.nextIndex * this.frameMs;
    this.pacer = setTimeout(
      () => {
        this.pacer = undefined;
        this.present();
      },
      Math.max(0, due - performance.now()),
    );
  }

  private present(): void {
    if (this.ended || this.paused) return;
    // After a real stall (slow decoder, busy machine) we are behind: skip frames whose time has
    // long passed instead of bursting them, so the viewer jumps to now. A hiccup shorter than the
    // allowance is absorbed by showing frames a little late. Skipped frames count as dropped.
    const now = performance.now();
    const allowance = Math.max(LATE_ALLOWANCE_MS, 2 * this.frameMs);
    while (this.ready > 1 && this.clockOrigin + (this.nextIndex + 1) * this.frameMs + allowance <= now) {
      for (const queue of this.buffered) queue.shift();
      this.nextIndex++;
      this.dropped++;
    }
    if (this.ready > 0) {
      const seq = this.seq++;
      this.dropped += this.options.sink.frame(this.buffered.map((queue) => ({ ...queue.shift()!, seq })));
      this.sent++;
      this.nextIndex++;
    }
    this.resumeDecoderIfRoom();
    this.schedule();
  }

  private reportStatus(): void {
    if (this.ended) return;
    this.options.sink.status({ positionMs: this.positionMs, paused: this.paused, sent: this.sent, dropped: this.dropped });
  }

  private finish(reason: StreamEndReason, message: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.pacer);
    clearInterval(this.statusTimer);
    this.killDecoder();
    this.buffered = [[]];
    this.options.sink.end(reason, message, { sent: this.sent, dropped: this.dropped });
  }
}
