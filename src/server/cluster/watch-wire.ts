// What nodes say to each other about a room watching a video together (docs/SCALING.md). A room's
// stream runs on one node, its host; the others have viewers:
// - an announcement, to every node: the stream started, was paused, ... or ended; each node keeps
//   where the room's stream runs and tells its own members of the room;
// - a request, from a viewer's node to the host: a viewer joins, resizes or leaves; a member
//   pauses, seeks or stops it;
// - a viewer message, from the host to one viewer's node: that viewer's stream-start, status, end;
// - frames, from the host to every node following the stream: one message per frame, holding the
//   frame at each size in use, so the broker carries one copy per node, not one per viewer.
// Validated like everything read from the broker: a malformed message is dropped, never trusted.
import { invalid, integer, type Json, object, string, unknownType } from '../../core/field-readers.js';
import { FRAME_HEADER_BYTES, FrameType } from '../../core/frame-types.js';
import { decodeVideoFrame } from '../../core/media-frame.js';
import { decodeServerMessage } from '../../core/message-codec.js';
import type { ServerMessage, WatchEventMessage } from '../../core/messages.js';
import { isValidName } from '../../core/names.js';
import { isValidRoomName } from '../../core/room-names.js';
import { NODE_ID } from './relay-batches.js';

const MAX_VIDEO_NAME_CHARS = 256;
/** The sizes a stream makes at once (video-stream.ts MAX_OUTPUTS), with room to spare. */
const MAX_SIZES = 8;

export interface WatchAnnouncement {
  /** The host: the node running the stream. */
  readonly node: string;
  readonly room: string;
  readonly stream: number;
  readonly video: string;
  readonly startedBy: string;
  /** What happened, told to the room's members on every node; absent for a silent end (a failure). */
  readonly event?: WatchEventMessage;
  /** False once the stream is over: the nodes forget it. */
  readonly running: boolean;
}

export type WatchRequest =
  | {
      readonly kind: 'join' | 'resize';
      readonly node: string;
      readonly viewer: number;
      readonly room: string;
      readonly stream: number;
      readonly width: number;
      readonly height: number;
      readonly by: string;
    }
  | { readonly kind: 'leave'; readonly node: string; readonly viewer: number; readonly room: string; readonly stream: number; readonly by: string }
  | { readonly kind: 'pause'; readonly node: string; readonly room: string; readonly stream: number; readonly paused: boolean; readonly by: string }
  | { readonly kind: 'seek'; readonly node: string; readonly room: string; readonly stream: number; readonly deltaMs: number; readonly by: string }
  | { readonly kind: 'stop'; readonly node: string; readonly room: string; readonly stream: number; readonly by: string };

/** The messages about a stream one viewer is sent: start (with its size), status, end. */
export type ViewerMessage = Extract<ServerMessage, { type: 'stream-start' | 'stream-status' | 'stream-end' }>;

/** To one viewer: a message, or one encoded MEDIA frame (the paused picture, for a viewer who just opened it). */
export type WatchViewerMessage = { readonly viewer: number; readonly message: ViewerMessage } | { readonly viewer: number; readonly media: Buffer };

/** One frame of a stream at each size in use: encoded MEDIA frames, as a client receives them. */
export interface WatchFrames {
  readonly node: string;
  readonly stream: number;
  readonly sizes: readonly { readonly width: number; readonly height: number }[];
  readonly frames: readonly Buffer[];
}

const encoder = new TextEncoder();

export function encodeWatchJson(message: WatchAnnouncement | WatchRequest): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** [u32 viewer][u8 0: message JSON | 1: MEDIA frame][body] */
export function encodeViewerMessage(message: WatchViewerMessage): Uint8Array {
  const media = 'media' in message;
  const body = media ? message.media : Buffer.from(JSON.stringify(message.message));
  const out = Buffer.allocUnsafe(5 + body.length);
  out.writeUInt32BE(message.viewer, 0);
  out.writeUInt8(media ? 1 : 0, 4);
  body.copy(out, 5);
  return out;
}

/** [u32 header length][header JSON][u32 frame length][frame]... */
export function encodeWatchFrames(tick: WatchFrames): Uint8Array {
  const header = Buffer.from(JSON.stringify({ node: tick.node, stream: tick.stream, sizes: tick.sizes }));
  const parts: Buffer[] = [u32(header.length), header];
  for (const frame of tick.frames) parts.push(u32(frame.length), frame);
  return Buffer.concat(parts);
}

export function decodeWatchAnnouncement(data: Uint8Array): WatchAnnouncement {
  const obj = parse(data);
  const room = roomName(obj);
  const video = string(obj, 'video', MAX_VIDEO_NAME_CHARS);
  const stream = integer(obj, 'stream');
  const startedBy = userName(obj, 'startedBy');
  const running = obj['running'] === true;
  if (obj['event'] === undefined) return { node: nodeId(obj), room, stream, video, startedBy, running };
  const event = decodeServerMessage(Buffer.from(JSON.stringify(obj['event'])));
  if (event.type !== 'watch' || event.stream !== stream || event.room.toLowerCase() !== room.toLowerCase())
    throw invalid('event', 'must be a watch event of this stream');
  return { node: nodeId(obj), room, stream, video, startedBy, event, running };
}

export function decodeWatchRequest(data: Uint8Array): WatchRequest {
  const obj = parse(data);
  const base = { node: nodeId(obj), room: roomName(obj), stream: integer(obj, 'stream'), by: userName(obj, 'by') };
  switch (obj['kind']) {
    case 'join':
    case 'resize':
      return { kind: obj['kind'], ...base, viewer: integer(obj, 'viewer'), width: integer(obj, 'width'), height: integer(obj, 'height') };
    case 'leave':
      return { kind: 'leave', ...base, viewer: integer(obj, 'viewer') };
    case 'pause':
      if (typeof obj['paused'] !== 'boolean') throw invalid('paused', 'must be true or false');
      return { kind: 'pause', ...base, paused: obj['paused'] };
    case 'seek':
      if (!Number.isSafeInteger(obj['deltaMs'])) throw invalid('deltaMs', 'must be an integer');
      return { kind: 'seek', ...base, deltaMs: obj['deltaMs'] as number };
    case 'stop':
      return { kind: 'stop', ...base };
    default:
      throw unknownType(obj['kind']);
  }
}

export function decodeViewerMessage(data: Uint8Array): WatchViewerMessage {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < 5) throw invalid('viewer', 'missing');
  const viewer = bytes.readUInt32BE(0);
  if (bytes[4] === 1) return { viewer, media: mediaFrame(bytes.subarray(5)) };
  const message = decodeServerMessage(bytes.subarray(5));
  if (message.type !== 'stream-start' && message.type !== 'stream-status' && message.type !== 'stream-end') throw invalid('message', 'must be about a stream');
  return { viewer, message };
}

export function decodeWatchFrames(data: Uint8Array): WatchFrames {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const headerLength = readLength(bytes, 0);
  const header = object(JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')), 'header');
  const sizes = header['sizes'];
  if (!Array.isArray(sizes) || sizes.length === 0 || sizes.length > MAX_SIZES) throw invalid('sizes', `must list 1 to ${MAX_SIZES} sizes`);
  const frames: Buffer[] = [];
  let at = 4 + headerLength;
  while (at < bytes.length) {
    const length = readLength(bytes, at);
    frames.push(mediaFrame(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  if (frames.length !== sizes.length) throw invalid('frames', 'must be one per size');
  return {
    node: nodeId(header),
    stream: integer(header, 'stream'),
    sizes: sizes.map((size) => {
      const box = object(size, 'size');
      return { width: integer(box, 'width'), height: integer(box, 'height') };
    }),
    frames,
  };
}

/**
 * A frame goes to clients as it is, so it must be one whole MEDIA frame that decodes: a bad one
 * would desynchronize every viewer's frame reader, not just spoil a picture.
 */
function mediaFrame(frame: Buffer): Buffer {
  if (frame.length < FRAME_HEADER_BYTES || frame.readUInt32BE(0) !== frame.length - FRAME_HEADER_BYTES || frame[4] !== FrameType.MEDIA) {
    throw invalid('frame', 'must be one whole media frame');
  }
  decodeVideoFrame(frame.subarray(FRAME_HEADER_BYTES));
  return frame;
}

function readLength(bytes: Buffer, at: number): number {
  if (at + 4 > bytes.length) throw invalid('frames', 'truncated');
  const length = bytes.readUInt32BE(at);
  if (at + 4 + length > bytes.length) throw invalid('frames', 'truncated');
  return length;
}

function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

function parse(data: Uint8Array): Json {
  return object(JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')), 'message');
}

function nodeId(obj: Json): string {
  const node = string(obj, 'node', 64);
  if (!NODE_ID.test(node)) throw invalid('node', 'must be a node id');
  return node;
}

function roomName(obj: Json): string {
  const room = string(obj, 'room', 64);
  if (!isValidRoomName(room)) throw invalid('room', 'must be a room name');
  return room;
}

function userName(obj: Json, field: string): string {
  const name = string(obj, field, 64);
  if (!isValidName(name)) throw invalid(field, 'must be a name');
  return name;
}
