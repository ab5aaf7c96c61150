// Turns a typed body into one length-prefixed frame (see docs/PROTOCOL.md, "Frames").
import { FRAME_HEADER_BYTES, type FrameType } from './frame-types.js';

/** Highest length the 32-bit header can carry; real limits are far lower and enforced by the decoder. */
const MAX_ENCODABLE_BODY = 0xffff_ffff;

export function encodeFrame(type: FrameType, body: Buffer): Buffer {
  if (body.length > MAX_ENCODABLE_BODY) throw new RangeError(`frame body of ${body.length} bytes cannot be encoded`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt8(type, 4);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function encodeJsonFrame(type: FrameType, value: unknown): Buffer {
  return encodeTextFrame(type, JSON.stringify(value));
}

/** Encodes text straight into the frame buffer: one allocation, no intermediate body Buffer. */
export function encodeTextFrame(type: FrameType, text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.writeUInt8(type, 4);
  frame.write(text, FRAME_HEADER_BYTES, 'utf8');
  return frame;
}
