// The remote control for the server's videos, shared by the TUI and the --json line mode: it sends
// the requests (list, poster, play, stop, pause, seek, resize) and keeps the one place that knows
// the current stream's state (which stream, its position, paused or not, frames dropped and
// received). Views draw frames; this only counts them.
import { ChatError, ErrorCode } from '../core/errors.js';
import type { VideoFrame } from '../core/media-frame.js';
import type { ClientMessage, FrameEncoding, StreamEndMessage, StreamStartMessage, StreamStatusMessage } from '../core/messages.js';
import type { TypedEmitter } from '../core/typed-emitter.js';
import { MAX_VIDEO_DIMENSION } from '../core/message-codec.js';

/** The requests a client sends about video. */
export type VideoRequest = Extract<ClientMessage, { type: 'list-videos' | 'poster' | 'play' | 'stop-video' | 'pause-video' | 'seek-video' | 'resize-video' }>;

/** The session events a remote follows. */
export interface VideoEvents {
  'stream-start': StreamStartMessage;
  'stream-status': StreamStatusMessage;
  'stream-end': StreamEndMessage;
  'video-frame': VideoFrame;
  error: { readonly code: string };
}

/** The server's refusals of a `play`: the stream asked for never starts. */
const PLAY_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.VIDEO_NOT_FOUND,
  ErrorCode.VIDEO_PATH,
  ErrorCode.NOT_A_VIDEO,
  ErrorCode.VIDEO_DECODE,
  ErrorCode.VIDEO_BUSY,
]);

export interface CurrentStream {
  /** The video asked for. */
  readonly name: string;
  /** The server's answer; undefined until the stream starts. */
  readonly start: StreamStartMessage | undefined;
  readonly positionMs: number;
  readonly paused: boolean;
  /** Frames the server dropped for us (we were behind). */
  readonly serverDropped: number;
  /** Frames received for this stream. */
  readonly received: number;
}

/** The server wants 2..MAX_VIDEO_DIMENSION even pixels per side. */
export function evenPixels(n: number): number {
  return Math.min(MAX_VIDEO_DIMENSION, Math.max(2, Math.floor(n / 2) * 2));
}

export class VideoRemote {
  private stream: { -readonly [K in keyof CurrentStream]: CurrentStream[K] } | undefined;

  /**
   * @param send writes a request to the server now (throws NOT_CONNECTED when offline)
   * @param events the session (or client) whose stream events this remote follows
   */
  constructor(
    private readonly send: (request: VideoRequest) => void,
    events: TypedEmitter<VideoEvents>,
  ) {
    events.on('stream-start', (start) => {
      // The answer to play(), or the same stream again at a new size after resize().
      const sameStream = this.stream !== undefined && (this.stream.start === undefined || this.stream.start.stream === start.stream);
      if (!sameStream) this.stream = this.fresh(start.name);
      this.stream!.start = start;
    });
    events.on('stream-status', (status) => {
      if (this.stream?.start?.stream !== status.stream) return;
      this.stream.positionMs = status.positionMs;
      this.stream.paused = status.paused;
      this.stream.serverDropped = status.dropped;
    });
    events.on('video-frame', (frame) => {
      if (this.stream?.start?.stream === frame.stream) this.stream.received++;
    });
    events.on('error', (error) => {
      // A play the server refused: nothing is playing (views listening after this one see none).
      if (this.stream !== undefined && this.stream.start === undefined && PLAY_REFUSALS.has(error.code)) this.stream = undefined;
    });
    events.on('stream-end', (end) => {
      // Forgotten once every listener of this event has read the final counts.
      const ended = this.stream;
      if (ended?.start?.stream !== end.stream) return;
      queueMicrotask(() => {
        if (this.stream === ended) this.stream = undefined;
      });
    });
  }

  /** The stream asked for or playing; undefined when none. */
  get current(): CurrentStream | undefined {
    return this.stream;
  }

  /** True when an event for `streamId` belongs to the current stream. */
  isCurrent(streamId: number): boolean {
    return this.stream?.start?.stream === streamId;
  }

  list(): void {
    this.send({ type: 'list-videos' });
  }

  /** Asks for a still of a video (answered by a 'poster' event); the server caps it at 160 px a side. */
  poster(name: string, width: number, height: number): void {
    this.send({ type: 'poster', name, width: evenPixels(width), height: evenPixels(height) });
  }

  /**
   * Starts a stream fitted inside width x height pixels; answered by 'stream-start' or 'error'.
   * `encoding`: 'png' for frames drawn at pane size (lossless), 'jpeg' (default) for ffplay's.
   */
  play(name: string, width: number, height: number, encoding?: FrameEncoding, room?: string): void {
    this.send({
      type: 'play',
      name,
      width: evenPixels(width),
      height: evenPixels(height),
      ...(encoding === undefined ? {} : { encoding }),
      ...(room === undefined ? {} : { room }),
    });
    this.stream = this.fresh(name);
  }

  stop(): void {
    this.send({ type: 'stop-video', stream: this.requirePlaying() });
  }

  togglePause(): void {
    const id = this.requirePlaying();
    this.send({ type: 'pause-video', stream: id, paused: !this.stream!.paused });
  }

  seek(deltaMs: number): void {
    this.send({ type: 'seek-video', stream: this.requirePlaying(), deltaMs: Math.round(deltaMs) });
  }

  resize(width: number, height: number): void {
    this.send({ type: 'resize-video', stream: this.requirePlaying(), width: evenPixels(width), height: evenPixels(height) });
  }

  /** The connection went away, and the server's stream with it. */
  reset(): void {
    this.stream = undefined;
  }

  private requirePlaying(): number {
    const id = this.stream?.start?.stream;
    if (id === undefined) throw new ChatError(ErrorCode.NO_SUCH_STREAM, 'no video is playing');
    return id;
  }

  private fresh(name: string): NonNullable<VideoRemote['stream']> {
    return { name, start: undefined, positionMs: 0, paused: false, serverDropped: 0, received: 0 };
  }
}
