// Decoding the video part of the protocol (core/video-messages.ts): what a client may ask for
// (bounded boxes, known encodings) and what the server streams back. message-codec.ts hands each
// message type it does not know itself to these, and refuses what neither knows.
import type { ClientMessage, ServerMessage } from './messages.js';
import { roomName } from './room-codec.js';
import { MAX_TEXT_CHARS, type Json, base64, boolean, integer, invalid, nameList, number, object, signedInteger, string } from './field-readers.js';

const MAX_VIDEO_NAME_CHARS = 255;
/** Largest video box a client may ask for, per side, in pixels (a 4K terminal at 1 px per cell is ~1000). */
export const MAX_VIDEO_DIMENSION = 2048;
/** A poster is at most 160x96 pixels; its JPEG is a few KB. */
const MAX_POSTER_CHARS = 128 * 1024;
const WATCH_KINDS = new Set(['started', 'paused', 'resumed', 'seeked', 'stopped', 'finished']);

/** A video request from a client, or undefined when `obj` is not one. */
export function decodeVideoRequest(obj: Json): ClientMessage | undefined {
  switch (obj['type']) {
    case 'list-videos':
      return { type: 'list-videos' };
    case 'poster':
      return { type: 'poster', name: string(obj, 'name', MAX_VIDEO_NAME_CHARS), width: dimension(obj, 'width'), height: dimension(obj, 'height') };
    case 'play':
      return {
        type: 'play',
        name: string(obj, 'name', MAX_VIDEO_NAME_CHARS),
        width: dimension(obj, 'width'),
        height: dimension(obj, 'height'),
        ...(obj['encoding'] === undefined ? {} : { encoding: frameEncoding(obj) }),
        ...(obj['room'] === undefined ? {} : { room: roomName(obj) }),
      };
    case 'stop-video':
      return { type: 'stop-video', stream: integer(obj, 'stream') };
    case 'pause-video':
      return { type: 'pause-video', stream: integer(obj, 'stream'), paused: boolean(obj, 'paused') };
    case 'seek-video':
      return { type: 'seek-video', stream: integer(obj, 'stream'), deltaMs: signedInteger(obj, 'deltaMs') };
    case 'resize-video':
      return { type: 'resize-video', stream: integer(obj, 'stream'), width: dimension(obj, 'width'), height: dimension(obj, 'height') };
    default:
      return undefined;
  }
}

/** Video news from the server, or undefined when `obj` is not one. */
export function decodeVideoNews(obj: Json): ServerMessage | undefined {
  switch (obj['type']) {
    case 'poster':
      return { type: 'poster', name: string(obj, 'name', MAX_VIDEO_NAME_CHARS), jpeg: base64(obj, 'jpeg', MAX_POSTER_CHARS) };
    case 'videos': {
      const list = obj['videos'];
      if (!Array.isArray(list)) throw invalid('videos', 'must be a list');
      return {
        type: 'videos',
        videos: list.map((item: unknown) => {
          const video = object(item, 'video');
          return {
            name: string(video, 'name', MAX_VIDEO_NAME_CHARS),
            durationMs: integer(video, 'durationMs'),
            width: integer(video, 'width'),
            height: integer(video, 'height'),
            fps: number(video, 'fps'),
            bytes: integer(video, 'bytes'),
          };
        }),
      };
    }
    case 'stream-start':
      return {
        type: 'stream-start',
        stream: integer(obj, 'stream'),
        name: string(obj, 'name', MAX_VIDEO_NAME_CHARS),
        width: integer(obj, 'width'),
        height: integer(obj, 'height'),
        fps: number(obj, 'fps'),
        durationMs: integer(obj, 'durationMs'),
        ...(obj['room'] === undefined ? {} : { room: roomName(obj) }),
        ...(obj['startedBy'] === undefined ? {} : { startedBy: nameList([obj['startedBy']], 'startedBy')[0]! }),
      };
    case 'watch': {
      const kind = obj['kind'];
      if (typeof kind !== 'string' || !WATCH_KINDS.has(kind)) throw invalid('kind', 'is not a watch event');
      return {
        type: 'watch',
        room: roomName(obj),
        stream: integer(obj, 'stream'),
        video: string(obj, 'video', MAX_VIDEO_NAME_CHARS),
        kind: kind as 'started',
        ...(obj['by'] === undefined ? {} : { by: nameList([obj['by']], 'by')[0]! }),
        positionMs: integer(obj, 'positionMs'),
      };
    }
    case 'stream-status':
      return {
        type: 'stream-status',
        stream: integer(obj, 'stream'),
        positionMs: integer(obj, 'positionMs'),
        paused: boolean(obj, 'paused'),
        sent: integer(obj, 'sent'),
        dropped: integer(obj, 'dropped'),
      };
    case 'stream-end': {
      const reason = obj['reason'];
      if (reason !== 'finished' && reason !== 'stopped' && reason !== 'error') throw invalid('reason', 'must be finished, stopped or error');
      return {
        type: 'stream-end',
        stream: integer(obj, 'stream'),
        reason,
        message: string(obj, 'message', MAX_TEXT_CHARS),
        sent: integer(obj, 'sent'),
        dropped: integer(obj, 'dropped'),
      };
    }
    default:
      return undefined;
  }
}

function frameEncoding(obj: Json): 'jpeg' | 'png' {
  const value = obj['encoding'];
  if (value !== 'jpeg' && value !== 'png') throw invalid('encoding', 'must be jpeg or png');
  return value;
}

function dimension(obj: Json, field: string): number {
  const value = integer(obj, field);
  if (value < 2 || value > MAX_VIDEO_DIMENSION) throw invalid(field, `must be 2-${MAX_VIDEO_DIMENSION} pixels`);
  return value;
}
