// Video on the server: lists the videos folder and runs one stream per viewer, each with its own
// ffmpeg, or one per room watching together (shared-stream.ts). Streams are tied to their
// connections: a private one ends when its viewer goes, a shared one when its last viewer does.
import { ChatError, ErrorCode } from '../../core/errors.js';
import { encodeFrame } from '../../core/frame-encoder.js';
import { FrameType } from '../../core/frame-types.js';
import type { Logger } from '../../core/logger.js';
import { encodeVideoFrame } from '../../core/media-frame.js';
import type {
  PauseVideoMessage,
  PlayMessage,
  PosterRequestMessage,
  ResizeVideoMessage,
  SeekVideoMessage,
  StopVideoMessage,
  WatchEventMessage,
} from '../../core/messages.js';
import { roomKey } from '../../core/room-names.js';
import { SharedStream } from './shared-stream.js';
import { ClusterWatch, type RemoteControl, type RemoteStream } from './cluster-watch.js';
import type { WatchChannel } from '../cluster/cluster-bus.js';
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
  /** The rooms, for watching together; without them every stream is private. */
  readonly rooms?: WatchRooms;
}

/** What watching together needs of the rooms. */
export interface WatchRooms {
  /** The room's name as created, if `user` is in it. */
  roomOf(room: string, user: string): string | undefined;
  /** Whether any member may pause, seek, stop or replace the room's stream (else only who started it). */
  membersControl(room: string): boolean;
  /** Tells the room's members on this server. */
  tell(room: string, message: WatchEventMessage): void;
}

/** The stream controls a viewer sends. */
export type StreamControl = StopVideoMessage | PauseVideoMessage | SeekVideoMessage | ResizeVideoMessage;

/** Posters are thumbnails: at most 160 pixels a side whatever the client asks. */
const MAX_POSTER_SIDE = 160;

/** Frame header plus a bit of slack: a JPEG must fit in a media frame with its header. */
const MEDIA_FRAME_OVERHEAD = 64;

export class VideoService {
  private library: VideoLibrary | undefined;
  private ffmpegPath: string | undefined;
  private nextStreamId = 1;
  /** One private stream per connection: a new :play replaces the old one. */
  private readonly streams = new Map<ClientConnection, VideoStream>();
  /** Rooms watching together, by room key, and which one each viewer is in. */
  private readonly shared = new Map<string, SharedStream>();
  private readonly watching = new Map<ClientConnection, SharedStream>();
  /** Posters share the --max-streams ffmpeg budget with the streams. */
  private readonly posters: PosterQueue;

  private options: VideoServiceOptions;
  /** Watching together across nodes, once the server has joined a cluster whose bus carries it. */
  private cluster: ClusterWatch | undefined;

  constructor(options: VideoServiceOptions) {
    this.options = options;
    this.posters = new PosterQueue({ ...DEFAULT_POSTER_QUEUE, hasFfmpegPlace: () => this.ffmpegProcesses < this.options.maxStreams });
  }

  /** A clustered node: rooms' streams run once in the cluster and are watched from any node. */
  joinCluster(channel: WatchChannel, nodeId: string): void {
    this.cluster = new ClusterWatch(channel, nodeId, {
      logger: this.options.logger,
      localStream: (room, stream) => {
        const shared = this.shared.get(roomKey(room));
        return shared?.id === stream ? shared : undefined;
      },
      control: (shared, by, control) => {
        this.requireControl(shared.room, shared.startedBy, shared.info.name, by, 'everyone watching sees the same moment');
        this.apply(shared, by, control);
      },
      tellRoom: (room, event) => this.options.rooms?.tell(room, event),
    });
  }

  /** Another node is gone: viewers here of a stream it ran are told, its viewers leave streams here. */
  nodeGone(node: string): void {
    this.cluster?.nodeGone(node);
  }

  /** Streams running: private ones and rooms' shared ones (one ffmpeg each). */
  get activeStreams(): number {
    return this.streams.size + this.shared.size;
  }

  /** Rooms' shared streams running now. */
  get sharedStreams(): number {
    return this.shared.size;
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
    return this.activeStreams + this.posters.runningCount;
  }

  /** The ffmpeg pids of running streams (tests check none outlives its stream). */
  decoderPids(): number[] {
    return [...this.streams.values(), ...this.shared.values()].map((s) => s.decoderPid).filter((pid): pid is number => pid !== undefined);
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
    if (request.room !== undefined) return this.watch(connection, request, video);
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
      boxes: [{ width: request.width, height: request.height }],
      ...(request.encoding === undefined ? {} : { encoding: request.encoding }),
      maxFrameBytes: this.options.maxMediaFrameBytes - MEDIA_FRAME_OVERHEAD,
      sink: {
        start: (size) => connection.send({ type: 'stream-start', stream: id, name: video.info.name, ...size }),
        frame: ([frame]) => connection.sendMedia(encodeFrame(FrameType.MEDIA, encodeVideoFrame(frame!))),
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

  /**
   * `:play NAME` in a room: joins the room's stream of that video at its current position, or
   * starts one (replacing another video, for whoever may control it). One ffmpeg per room.
   */
  private watch(connection: ClientConnection, request: PlayMessage, video: Awaited<ReturnType<VideoLibrary['resolve']>>): void {
    const me = connection.peer?.name ?? '';
    const room = this.options.rooms?.roomOf(request.room!, me);
    if (room === undefined) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${request.room}: :join it to watch with it`);
    const box = { width: request.width, height: request.height };
    const existing = this.shared.get(roomKey(room));
    const remote = existing === undefined ? this.cluster?.remoteStream(room) : undefined;
    if (remote !== undefined && this.watchRemote(connection, remote, video.info.name, box)) return;
    if (existing !== undefined && existing.info.name === video.info.name) {
      if (existing.has(connection)) return existing.resize(connection, box);
      this.stopFor(connection);
      this.watching.set(connection, existing);
      existing.add(connection, box);
      return;
    }
    if (existing !== undefined) {
      this.requireControl(existing.room, existing.startedBy, existing.info.name, me, `${room} is watching ${existing.info.name}: :watch to join it`);
      this.tell(existing, 'stopped', me);
      existing.stop();
    }
    this.stopFor(connection);
    if (this.ffmpegProcesses >= this.options.maxStreams) {
      throw new ChatError(ErrorCode.VIDEO_BUSY, `the server is already running ${this.options.maxStreams} video streams and posters; try again later`);
    }
    if (!connection.isJoined) return;
    const shared = new SharedStream(
      {
        id: this.nextStreamId++,
        room,
        startedBy: me,
        info: video.info,
        ffmpegPath: this.ffmpegPath!,
        path: video.path,
        maxFrameBytes: this.options.maxMediaFrameBytes - MEDIA_FRAME_OVERHEAD,
        broadcastFrames: (frames, sizes) => this.cluster?.broadcast(shared, frames, sizes),
        ended: (stream, reason) => {
          if (this.shared.get(roomKey(stream.room)) === stream) this.shared.delete(roomKey(stream.room));
          for (const [viewer, watched] of this.watching) if (watched === stream) this.watching.delete(viewer);
          this.posters.wake();
          if (reason === 'finished') this.tell(stream, 'finished');
          this.cluster?.announce(stream, undefined, false);
          this.options.logger.log('info', 'video.shared_end', { stream: stream.id, reason });
        },
      },
      connection,
      box,
    );
    this.shared.set(roomKey(room), shared);
    this.watching.set(connection, shared);
    this.options.logger.log('info', 'video.shared_start', { stream: shared.id, name: video.info.name });
    shared.start();
    this.tell(shared, 'started', me);
  }

  /**
   * The room's stream runs on another node: watch it there if it is this video (true), else stop
   * it there for whoever may (false: the caller starts this one here).
   */
  private watchRemote(connection: ClientConnection, remote: RemoteStream, video: string, box: { width: number; height: number }): boolean {
    const me = connection.peer?.name ?? '';
    if (remote.video === video) {
      if (this.cluster!.watched(connection, remote.stream) !== undefined) {
        this.cluster!.resize(connection, box);
        return true;
      }
      this.stopFor(connection);
      if (connection.isJoined) this.cluster!.join(connection, remote, box);
      return true;
    }
    this.requireControl(remote.room, remote.startedBy, remote.video, me, `${remote.room} is watching ${remote.video}: :watch to join it`);
    this.cluster!.control(remote, me, { kind: 'stop' });
    return false;
  }

  /** Stop, pause, seek or resize, for the connection's stream with that id; NO_SUCH_STREAM otherwise. */
  control(connection: ClientConnection, request: StreamControl): void {
    const remote = this.cluster?.watched(connection, request.stream);
    if (remote !== undefined) return this.controlRemote(connection, remote, request);
    const shared = this.watching.get(connection);
    if (shared !== undefined && shared.id === request.stream) return this.controlShared(connection, shared, request);
    const stream = this.streams.get(connection);
    if (stream === undefined || stream.id !== request.stream) throw new ChatError(ErrorCode.NO_SUCH_STREAM, `no stream ${request.stream} is playing for you`);
    switch (request.type) {
      case 'stop-video':
        return this.stopFor(connection);
      case 'pause-video':
        return stream.pause(request.paused);
      case 'seek-video':
        return stream.seek(request.deltaMs);
      case 'resize-video':
        return stream.resize([{ width: request.width, height: request.height }]);
    }
  }

  /**
   * A room's stream: a resize is the viewer's own; stopping is for everyone when they may control
   * it, else it only closes it for them; pausing and seeking need control. The room is told.
   */
  private controlShared(connection: ClientConnection, shared: SharedStream, request: StreamControl): void {
    const me = connection.peer?.name ?? '';
    if (request.type === 'resize-video') return shared.resize(connection, { width: request.width, height: request.height });
    if (request.type === 'stop-video' && !this.mayControl(shared.room, shared.startedBy, me)) return this.leaveShared(connection);
    this.requireControl(shared.room, shared.startedBy, shared.info.name, me, 'everyone watching sees the same moment');
    this.apply(shared, me, toRemoteControl(request));
  }

  /** The same for a stream another node runs: the host is asked, and tells every node. */
  private controlRemote(connection: ClientConnection, remote: RemoteStream, request: StreamControl): void {
    const me = connection.peer?.name ?? '';
    if (request.type === 'resize-video') return this.cluster!.resize(connection, { width: request.width, height: request.height });
    if (request.type === 'stop-video' && !this.mayControl(remote.room, remote.startedBy, me)) return this.cluster!.leave(connection);
    this.requireControl(remote.room, remote.startedBy, remote.video, me, 'everyone watching sees the same moment');
    this.cluster!.control(remote, me, toRemoteControl(request));
  }

  /** Pause, seek or stop a stream running here, for everyone, and tell the room (on every node). */
  private apply(shared: SharedStream, by: string, control: RemoteControl): void {
    switch (control.kind) {
      case 'stop':
        this.tell(shared, 'stopped', by);
        return shared.stop();
      case 'pause':
        if (shared.isPaused === control.paused) return;
        shared.pause(control.paused);
        return this.tell(shared, control.paused ? 'paused' : 'resumed', by);
      case 'seek':
        shared.seek(control.deltaMs);
        return this.tell(shared, 'seeked', by);
    }
  }

  private mayControl(room: string, startedBy: string, name: string): boolean {
    return name.toLowerCase() === startedBy.toLowerCase() || this.options.rooms?.membersControl(room) === true;
  }

  private requireControl(room: string, startedBy: string, video: string, name: string, why: string): void {
    if (this.mayControl(room, startedBy, name)) return;
    throw new ChatError(
      ErrorCode.NOT_ROOM_OPERATOR,
      `only ${startedBy}, who started it, controls ${video} in ${room} (${why}; an operator can let every member: :mode +c)`,
    );
  }

  private tell(shared: SharedStream, kind: WatchEventMessage['kind'], by?: string): void {
    const event: WatchEventMessage = {
      type: 'watch',
      room: shared.room,
      stream: shared.id,
      video: shared.info.name,
      kind,
      ...(by === undefined ? {} : { by }),
      positionMs: shared.positionMs,
    };
    this.options.rooms?.tell(shared.room, event);
    this.cluster?.announce(shared, event, kind !== 'stopped' && kind !== 'finished');
  }

  private leaveShared(connection: ClientConnection): void {
    const shared = this.watching.get(connection);
    if (shared === undefined) return;
    this.watching.delete(connection);
    shared.leave(connection);
  }

  /** The member left `room` (or was kicked): they stop watching its video. */
  leftRoom(connection: ClientConnection, room: string): void {
    if (this.watching.get(connection)?.room.toLowerCase() === room.toLowerCase()) this.leaveShared(connection);
    if (this.cluster?.watched(connection)?.room.toLowerCase() === room.toLowerCase()) this.cluster?.leave(connection);
  }

  /** Ends the connection's private stream, and takes it out of a room's shared one. */
  stopFor(connection: ClientConnection): void {
    this.leaveShared(connection);
    this.cluster?.leave(connection);
    const stream = this.streams.get(connection);
    if (stream === undefined) return;
    this.streams.delete(connection);
    stream.stop();
    this.posters.wake();
  }

  stopAll(): void {
    for (const connection of [...this.streams.keys()]) this.stopFor(connection);
    for (const shared of [...this.shared.values()]) shared.stop();
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

function toRemoteControl(request: StopVideoMessage | PauseVideoMessage | SeekVideoMessage): RemoteControl {
  switch (request.type) {
    case 'stop-video':
      return { kind: 'stop' };
    case 'pause-video':
      return { kind: 'pause', paused: request.paused };
    case 'seek-video':
      return { kind: 'seek', deltaMs: request.deltaMs };
  }
}
