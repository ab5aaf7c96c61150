// The video part of the protocol (docs/PROTOCOL.md, "Video"): what a client asks for and what the
// server streams back. core/messages.ts re-exports them with the rest of the protocol.

// Video (docs/PROTOCOL.md, "Video"). width/height: the pixel box the client can show; the server
// fits the video inside it keeping the aspect ratio.
export interface ListVideosMessage {
  readonly type: 'list-videos';
}
export interface PlayMessage {
  readonly type: 'play';
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /**
   * How frames travel: 'png' (lossless, what the terminal player asks for: the picture as the
   * source has it, scaled to the pane) or 'jpeg' (the default: small, lossy; ffplay's frames).
   */
  readonly encoding?: FrameEncoding;
  /**
   * A named room we are in: watch with the room (one shared stream; the same video already playing
   * there is joined at its current position, another one replaces it). Frames are PNG.
   */
  readonly room?: string;
}
export type FrameEncoding = 'jpeg' | 'png';
export interface StopVideoMessage {
  readonly type: 'stop-video';
  readonly stream: number;
}
export interface PauseVideoMessage {
  readonly type: 'pause-video';
  readonly stream: number;
  readonly paused: boolean;
}
export interface SeekVideoMessage {
  readonly type: 'seek-video';
  readonly stream: number;
  /** Relative jump in ms; negative seeks back. */
  readonly deltaMs: number;
}
export interface ResizeVideoMessage {
  readonly type: 'resize-video';
  readonly stream: number;
  readonly width: number;
  readonly height: number;
}

/** A still from the video for listings; the server caps the size. */
export interface PosterRequestMessage {
  readonly type: 'poster';
  readonly name: string;
  readonly width: number;
  readonly height: number;
}

export interface VideoInfo {
  readonly name: string;
  readonly durationMs: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly bytes: number;
}
export interface VideosMessage {
  readonly type: 'videos';
  readonly videos: readonly VideoInfo[];
}
export interface StreamStartMessage {
  readonly type: 'stream-start';
  readonly stream: number;
  readonly name: string;
  /** Size of the frames that will arrive (fitted inside the requested box). */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly durationMs: number;
  /** A room's shared stream: the room, and who started it. */
  readonly room?: string;
  readonly startedBy?: string;
}
/**
 * Something happened to a room's shared stream, told to the room's members on this server:
 * "alice started x.mp4", "alice paused at 0:42". `positionMs`: where it was.
 */
export interface WatchEventMessage {
  readonly type: 'watch';
  readonly room: string;
  readonly stream: number;
  readonly video: string;
  readonly kind: 'started' | 'paused' | 'resumed' | 'seeked' | 'stopped' | 'finished';
  /** Who did it (absent for 'finished'). */
  readonly by?: string;
  readonly positionMs: number;
}
/** Sent about once a second while a stream runs, and on pause, resume and seek. */
export interface StreamStatusMessage {
  readonly type: 'stream-status';
  readonly stream: number;
  readonly positionMs: number;
  readonly paused: boolean;
  readonly sent: number;
  /** Frames the server dropped because this client was not keeping up (latest frame wins). */
  readonly dropped: number;
}
export type StreamEndReason = 'finished' | 'stopped' | 'error';
export interface StreamEndMessage {
  readonly type: 'stream-end';
  readonly stream: number;
  readonly reason: StreamEndReason;
  readonly message: string;
  readonly sent: number;
  readonly dropped: number;
}

export interface PosterMessage {
  readonly type: 'poster';
  readonly name: string;
  /** A JPEG, base64. */
  readonly jpeg: string;
}
