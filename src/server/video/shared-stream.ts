// A room watching one video together: one VideoStream (one ffmpeg) whose frames go to every member
// who opened it, at the same moment, from the one pacer. Viewers' panes are grouped into a few
// sizes (MAX_OUTPUTS), each an output of that ffmpeg; a frame is encoded into a media frame once
// per size, and the same bytes go to every viewer of that size. Who may pause, seek and stop it
// for everyone is the room's call (the one who started it, or any member); the room is told.
import { encodeFrame } from '../../core/frame-encoder.js';
import { FrameType } from '../../core/frame-types.js';
import { encodeVideoFrame } from '../../core/media-frame.js';
import type { ServerMessage, StreamEndReason, VideoInfo } from '../../core/messages.js';
import { type FrameSize, MAX_OUTPUTS, VideoStream, fitInside } from './video-stream.js';

/** Who a stream's frames go to: a member's connection here, or a viewer on another node. */
export interface StreamViewer {
  send(message: ServerMessage): unknown;
  /** Sends one encoded MEDIA frame; returns how many frames were dropped for this viewer. */
  sendMedia(frame: Buffer): number;
  /** A viewer on another node: frames reach it in one broadcast per frame for them all (broadcastFrames). */
  readonly onOtherNode?: boolean;
}

/** Frame widths are rounded down to a multiple of this, so panes of nearly one size share frames. */
const SIZE_STEP = 16;
/**
 * A new size restarts the decoder for everyone (a short stall): one viewer may cause that at most
 * this often, so resizing in a loop cannot keep the room's picture stalling. Meanwhile they are
 * sent the nearest size there is.
 */
export const MIN_RESTART_INTERVAL_MS = 2000;

interface Viewer {
  readonly connection: StreamViewer;
  box: FrameSize;
  /** Which of the stream's sizes this viewer is sent. */
  output: number;
  dropped: number;
  /** When this viewer last made the decoder restart (performance.now()). */
  restartedAt: number;
}

export interface SharedStreamOptions {
  readonly id: number;
  readonly room: string;
  readonly startedBy: string;
  readonly info: VideoInfo;
  readonly ffmpegPath: string;
  readonly path: string;
  readonly maxFrameBytes: number;
  /** Called once when the stream is over (finished, stopped, failed): the service forgets it. */
  readonly ended: (stream: SharedStream, reason: StreamEndReason, message: string) => void;
  /**
   * Each frame, when viewers on other nodes watch: the frame at each size they are sent, once for
   * all of them (the broker copies it to each node; cluster-watch.ts).
   */
  readonly broadcastFrames?: (frames: readonly Buffer[], sizes: readonly FrameSize[]) => void;
}

export class SharedStream {
  readonly id: number;
  readonly room: string;
  readonly startedBy: string;
  readonly info: VideoInfo;
  private readonly viewers = new Map<StreamViewer, Viewer>();
  /** The boxes the decoder scales to (one per size in use). */
  private boxes: FrameSize[] = [];
  private readonly stream: VideoStream;
  /**
   * The last frame sent at each size, encoded: a viewer who opens the stream while it is paused is
   * sent it, so their pane shows the paused picture rather than nothing until it resumes.
   */
  private lastFrames: Buffer[] = [];

  constructor(options: SharedStreamOptions, first: StreamViewer, box: FrameSize) {
    this.id = options.id;
    this.room = options.room;
    this.startedBy = options.startedBy;
    this.info = options.info;
    this.viewers.set(first, { connection: first, box, output: 0, dropped: 0, restartedAt: performance.now() });
    this.boxes = [this.sizeFor(box)];
    this.stream = new VideoStream({
      id: options.id,
      ffmpegPath: options.ffmpegPath,
      path: options.path,
      info: options.info,
      boxes: this.boxes,
      encoding: 'png',
      maxFrameBytes: options.maxFrameBytes,
      sink: {
        start: ({ fps, durationMs, sizes }) => {
          this.lastFrames = [];
          for (const viewer of this.viewers.values()) this.sendStart(viewer, sizes, fps, durationMs);
        },
        frame: (frames) => {
          // Encoded once per size; the same bytes go to every viewer of that size.
          const encoded = frames.map((frame) => encodeFrame(FrameType.MEDIA, encodeVideoFrame(frame)));
          this.lastFrames = encoded;
          const elsewhere = new Set<number>();
          for (const viewer of this.viewers.values()) {
            if (viewer.connection.onOtherNode === true) elsewhere.add(viewer.output);
            else viewer.dropped += viewer.connection.sendMedia(encoded[viewer.output]!);
          }
          if (elsewhere.size > 0) {
            const outputs = [...elsewhere].filter((output) => encoded[output] !== undefined);
            const sizes = this.stream.frameSizes;
            options.broadcastFrames?.(
              outputs.map((output) => encoded[output]!),
              outputs.map((output) => sizes[output]!),
            );
          }
          return 0;
        },
        status: (status) => {
          for (const viewer of this.viewers.values()) viewer.connection.send({ type: 'stream-status', stream: this.id, ...status, dropped: viewer.dropped });
        },
        end: (reason, message, counts) => {
          for (const viewer of this.viewers.values()) {
            viewer.connection.send({ type: 'stream-end', stream: this.id, reason, message, sent: counts.sent, dropped: viewer.dropped });
          }
          this.viewers.clear();
          options.ended(this, reason, message);
        },
      },
    });
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  get positionMs(): number {
    return this.stream.positionMs;
  }

  get isPaused(): boolean {
    return this.stream.isPaused;
  }

  get decoderPid(): number | undefined {
    return this.stream.decoderPid;
  }

  /** The sizes frames are made at now (one per group of viewers' panes). */
  get sizes(): readonly FrameSize[] {
    return this.stream.frameSizes;
  }

  has(connection: StreamViewer): boolean {
    return this.viewers.has(connection);
  }

  start(): void {
    this.stream.start();
  }

  /** A member opens it: from the current position, at the size nearest their pane. */
  add(connection: StreamViewer, box: FrameSize): void {
    const viewer: Viewer = { connection, box, output: 0, dropped: 0, restartedAt: Number.NEGATIVE_INFINITY };
    this.viewers.set(connection, viewer);
    if (this.place(viewer)) return;
    const sizes = this.stream.frameSizes;
    this.sendStart(viewer, sizes, this.info.fps, this.info.durationMs);
    const still = this.lastFrames[viewer.output];
    if (this.stream.isPaused && still !== undefined) viewer.dropped += connection.sendMedia(still);
  }

  /** A viewer's pane changed size. */
  resize(connection: StreamViewer, box: FrameSize): void {
    const viewer = this.viewers.get(connection);
    if (viewer === undefined) return;
    viewer.box = box;
    if (this.place(viewer)) return;
    this.sendStart(viewer, this.stream.frameSizes, this.info.fps, this.info.durationMs);
  }

  /** A viewer closes it for themselves; the last one out stops it. */
  leave(connection: StreamViewer): void {
    const viewer = this.viewers.get(connection);
    if (viewer === undefined) return;
    this.viewers.delete(connection);
    connection.send({ type: 'stream-end', stream: this.id, reason: 'stopped', message: 'you stopped watching', sent: 0, dropped: viewer.dropped });
    if (this.viewers.size === 0) this.stream.stop();
  }

  pause(paused: boolean): void {
    this.stream.pause(paused);
  }

  seek(deltaMs: number): void {
    this.stream.seek(deltaMs);
  }

  stop(): void {
    this.stream.stop();
  }

  /**
   * Gives the viewer one of the sizes: its own if there is room for another output (the decoder
   * restarts at the current position, and every viewer is told the sizes again) unless all four
   * are in use or this viewer restarted it less than MIN_RESTART_INTERVAL_MS ago; else the largest
   * one that fits its pane (or the smallest). True when the decoder restarted.
   */
  private place(viewer: Viewer): boolean {
    const wanted = this.sizeFor(viewer.box);
    const found = this.boxes.findIndex((box) => box.width === wanted.width && box.height === wanted.height);
    if (found >= 0) {
      viewer.output = found;
      return false;
    }
    const others = [...this.viewers.values()].filter((other) => other !== viewer);
    const assigned = new Map(others.map((other) => [other, this.boxes[other.output]!]));
    // Sizes nobody else is sent go before a new one is added.
    const kept = this.boxes.filter((box) => others.some((other) => assigned.get(other) === box));
    const now = performance.now();
    if (kept.length < MAX_OUTPUTS && now - viewer.restartedAt >= MIN_RESTART_INTERVAL_MS) {
      viewer.restartedAt = now;
      this.boxes = [...kept, wanted];
      for (const other of others) other.output = this.boxes.indexOf(assigned.get(other)!);
      viewer.output = this.boxes.length - 1;
      this.stream.resize(this.boxes);
      return true;
    }
    const indexed = this.boxes.map((box, index) => ({ box, index }));
    const fitting = indexed.filter(({ box }) => box.width <= wanted.width && box.height <= wanted.height);
    const pick =
      fitting.length > 0 ? fitting.reduce((a, b) => (b.box.width > a.box.width ? b : a)) : indexed.reduce((a, b) => (b.box.width < a.box.width ? b : a));
    viewer.output = pick.index;
    return false;
  }

  /** The size a pane gets: the video fitted inside it, the width rounded down to SIZE_STEP. */
  private sizeFor(box: FrameSize): FrameSize {
    const fitted = fitInside(this.info.width, this.info.height, box.width, box.height);
    const width = Math.max(SIZE_STEP, Math.floor(fitted.width / SIZE_STEP) * SIZE_STEP);
    return width === fitted.width ? fitted : fitInside(this.info.width, this.info.height, width, box.height);
  }

  private sendStart(viewer: Viewer, sizes: readonly FrameSize[], fps: number, durationMs: number): void {
    const size = sizes[viewer.output] ?? sizes[0]!;
    viewer.connection.send({
      type: 'stream-start',
      stream: this.id,
      name: this.info.name,
      width: size.width,
      height: size.height,
      fps,
      durationMs,
      room: this.room,
      startedBy: this.startedBy,
    });
  }
}
