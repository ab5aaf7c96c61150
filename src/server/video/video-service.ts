// Video on the server: lists the videos folder and runs one stream per viewer, each with its own
// ffmpeg. Streams are tied to their connection: they end when it closes.
import { ChatError, ErrorCode } from '../../core/errors.js';
import { encodeFrame } from '../../core/frame-encoder.js';
import { FrameType } from '../../core/frame-types.js';
import type { Logger } from '../../core/logger.js';
import { encodeVideoFrame } from '../../core/media-frame.js';
import type { PlayMessage, PosterRequestMessage } from '../../core/messages.js';
import { resolveFfmpeg } from './ffmpeg-path.js';
import { VideoLibrary } from './video-library.js';
import { grabPoster } from './video-poster.js';
import { VideoStream } from './video-stream.js';
import type { ClientConnection } from '../client-connection.js';
import { DEFAULT_POSTER_QUEUE, PosterQueue } from './poster-queue.js';

export interface VideoServiceOptions {
  readonly videosDir: string;
  /** --ffmpeg; else resolved as in src/server/video/ffmpeg-path.ts. */
  readonly ffmpegPath?: string;
  /** Streams running at once on this server; more are refused (VIDEO_BUSY). */
  readonly maxStreams: number;
  readonly maxMediaFrameBytes: number;
  readonly logger: Logger;
}

/** Posters are thumbnails: at most 160 pixels a side whatever the client asks. */
const MAX_POSTER_SIDE = 160;

/** Frame header plus a bit of slack: a JPEG must fit in a media frame with its header. */
const MEDIA_FRAME_OVERHEAD = 64;

export class VideoService {
  private library: VideoLibrary | undefined;
  private ffmpegPath: string | undefined;
  private nextStreamId = 1;
  /** One stream per connection: a new :play replaces the old one. */
  private readonly streams = new Map<ClientConnection, VideoStream>();
  /** Posters share the --max-streams ffmpeg budget with the streams. */
  private readonly posters: PosterQueue;

  private options: VideoServiceOptions;

  constructor(options: VideoServiceOptions) {
    this.options = options;
    this.posters = new PosterQueue({ ...DEFAULT_POSTER_QUEUE, hasFfmpegPlace: () => this.ffmpegProcesses < this.options.maxStreams });
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /** Posters made by ffmpeg since start (cached and shared ones are not counted). */
  get postersMade(): number {
    return this.posters.madeCount;
  }

  /**
   * New limits or a new videos folder (SIGHUP). Running streams go on; a new folder is read from
   * the next listing or :play on.
   */
  reconfigure(changes: Partial<Pick<VideoServiceOptions, 'videosDir' | 'maxStreams' | 'maxMediaFrameBytes'>>): void {
    if (changes.videosDir !== undefined && changes.videosDir !== this.options.videosDir) this.library = undefined;
    this.options = { ...this.options, ...changes };
    this.posters.wake();
  }

  /** ffmpeg processes this service runs right now: one per stream, one per poster being made. */
  get ffmpegProcesses(): number {
    return this.streams.size + this.posters.runningCount;
  }

  /** The ffmpeg pids of running streams (tests check none outlives its stream). */
  decoderPids(): number[] {
    return [...this.streams.values()].map((s) => s.decoderPid).filter((pid): pid is number => pid !== undefined);
  }

  async list(connection: ClientConnection): Promise<void> {
    const videos = await this.requireLibrary().list();
    connection.send({ type: 'videos', videos });
  }

  async poster(connection: ClientConnection, request: PosterRequestMessage): Promise<void> {
    const library = this.requireLibrary();
    const video = await library.resolve(request.name);
    const box = { width: Math.min(request.width, MAX_POSTER_SIDE), height: Math.min(request.height, MAX_POSTER_SIDE) };
    const key = `${video.info.name}\u0000${video.info.bytes}\u0000${box.width}x${box.height}`;
    const jpeg = await this.posters.get(key, () => grabPoster(this.ffmpegPath!, video.path, video.info, box));
    if (!connection.isOpen) return;
    connection.send({ type: 'poster', name: video.info.name, jpeg: jpeg.toString('base64') });
  }

  async play(connection: ClientConnection, request: PlayMessage): Promise<void> {
    const library = this.requireLibrary();
    const video = await library.resolve(request.name);
    this.stopFor(connection);
    if (this.ffmpegProcesses >= this.options.maxStreams) {
      throw new ChatError(ErrorCode.VIDEO_BUSY, `the server is already running ${this.options.maxStreams} video streams and posters; try again later`);
    }
    if (!connection.isJoined) return;
    const id = this.nextStreamId++;
    const logger = this.options.logger;
    const stream = new VideoStream({
      id,
      ffmpegPath: this.ffmpegPath!,
      path: video.path,
      info: video.info,
      box: { width: request.width, height: request.height },
      ...(request.encoding === undefined ? {} : { encoding: request.encoding }),
      maxFrameBytes: this.options.maxMediaFrameBytes - MEDIA_FRAME_OVERHEAD,
      sink: {
        start: (size) => connection.send({ type: 'stream-start', stream: id, name: video.info.name, ...size }),
        frame: (frame) => connection.sendMedia(encodeFrame(FrameType.MEDIA, encodeVideoFrame(frame))),
        status: (status) => connection.send({ type: 'stream-status', stream: id, ...status }),
        end: (reason, message, counts) => {
          if (this.streams.get(connection) === stream) this.streams.delete(connection);
          this.posters.wake();
          logger.log('info', 'video.end', { stream: id, reason, sent: counts.sent, dropped: counts.dropped });
          connection.send({ type: 'stream-end', stream: id, reason, message, ...counts });
        },
      },
    });
    this.streams.set(connection, stream);
    logger.log('info', 'video.start', { stream: id, name: video.info.name, viewer: connection.peer?.name ?? null });
    stream.start();
  }

  /** Finds this connection's stream with that id, or throws NO_SUCH_STREAM. */
  streamOf(connection: ClientConnection, id: number): VideoStream {
    const stream = this.streams.get(connection);
    if (stream === undefined || stream.id !== id) throw new ChatError(ErrorCode.NO_SUCH_STREAM, `no stream ${id} is playing for you`);
    return stream;
  }

  stopFor(connection: ClientConnection): void {
    const stream = this.streams.get(connection);
    if (stream === undefined) return;
    this.streams.delete(connection);
    stream.stop();
    this.posters.wake();
  }

  stopAll(): void {
    for (const connection of [...this.streams.keys()]) this.stopFor(connection);
  }

  private requireLibrary(): VideoLibrary {
    if (this.library === undefined) {
      // Resolved on first use, so a server without ffmpeg still serves chat.
      this.ffmpegPath = resolveFfmpeg(this.options.ffmpegPath === undefined ? {} : { explicitPath: this.options.ffmpegPath }).path;
      this.library = new VideoLibrary(this.options.videosDir, this.ffmpegPath);
    }
    return this.library;
  }
}
