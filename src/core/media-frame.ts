// The binary layout of a MEDIA frame body (docs/PROTOCOL.md, "Video"): a fixed 18-byte header,
// then the encoded picture. Server to client only.
import { ErrorCode, ProtocolError } from './errors.js';

export const MediaEncoding = {
  /** A baseline JPEG (what ffmpeg's mjpeg encoder writes): small, lossy; for ffplay's larger frames. */
  JPEG: 0x01,
  /** A lossless PNG, RGB: the pane-size frames the terminal player draws (docs/VIDEO.md). */
  PNG: 0x02,
} as const;
export type MediaEncoding = (typeof MediaEncoding)[keyof typeof MediaEncoding];

const MEDIA_KIND_VIDEO = 0x01;
export const MEDIA_HEADER_BYTES = 18;

export interface VideoFrame {
  readonly stream: number;
  /** 0, 1, 2, ... in presentation order; a gap means frames were dropped on the way. */
  readonly seq: number;
  /** Presentation time from the start of the video, ms. */
  readonly ptsMs: number;
  readonly width: number;
  readonly height: number;
  readonly encoding: MediaEncoding;
  readonly payload: Buffer;
}

export function encodeVideoFrame(frame: VideoFrame): Buffer {
  const body = Buffer.allocUnsafe(MEDIA_HEADER_BYTES + frame.payload.length);
  body.writeUInt8(MEDIA_KIND_VIDEO, 0);
  body.writeUInt32BE(frame.stream, 1);
  body.writeUInt32BE(frame.seq, 5);
  body.writeUInt32BE(Math.max(0, Math.round(frame.ptsMs)), 9);
  body.writeUInt16BE(frame.width, 13);
  body.writeUInt16BE(frame.height, 15);
  body.writeUInt8(frame.encoding, 17);
  frame.payload.copy(body, MEDIA_HEADER_BYTES);
  return body;
}

export function decodeVideoFrame(body: Buffer): VideoFrame {
  if (body.length < MEDIA_HEADER_BYTES) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'media frame shorter than its header');
  if (body.readUInt8(0) !== MEDIA_KIND_VIDEO) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'unknown media kind');
  const encoding = body.readUInt8(17);
  if (encoding !== MediaEncoding.JPEG && encoding !== MediaEncoding.PNG)
    throw new ProtocolError(ErrorCode.INVALID_MESSAGE, `unknown media encoding ${encoding}`);
  return {
    stream: body.readUInt32BE(1),
    seq: body.readUInt32BE(5),
    ptsMs: body.readUInt32BE(9),
    width: body.readUInt16BE(13),
    height: body.readUInt16BE(15),
    encoding: encoding as MediaEncoding,
    payload: body.subarray(MEDIA_HEADER_BYTES),
  };
}
