// Decoding the file part of the protocol (core/file-messages.ts) and its binary FILE frames. A
// FILE frame's body is [16-byte file id][u32 chunk index][ciphertext]; the id is the offer's, in
// raw bytes.
import { type Json, integer, invalid, string } from './field-readers.js';
import type { ClientMessage, ServerMessage } from './messages.js';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES } from './file-messages.js';
import { MAX_NAME_CHARS } from './field-readers.js';
import { FRAME_HEADER_BYTES, FrameType } from './frame-types.js';

/** 16 bytes in base64url: 22 characters, the last carrying 2 bits (so one spelling per id: A, Q, g or w). */
const FILE_ID = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const FILE_ID_BYTES = 16;
const CHUNK_HEADER_BYTES = FILE_ID_BYTES + 4;
/** The most a FILE frame's body may be: a whole chunk and its header. */
export const MAX_FILE_FRAME_BODY = CHUNK_HEADER_BYTES + FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES;

export interface FileChunk {
  readonly file: string;
  readonly index: number;
  readonly data: Buffer;
}

export function decodeFileRequest(obj: Json): ClientMessage | undefined {
  switch (obj['type']) {
    case 'file-offer':
      return { type: 'file-offer', file: fileId(obj), to: string(obj, 'to', MAX_NAME_CHARS + 1), bytes: integer(obj, 'bytes'), chunks: integer(obj, 'chunks') };
    case 'file-get':
      return { type: 'file-get', file: fileId(obj), from: integer(obj, 'from') };
    case 'file-done':
      return { type: 'file-done', file: fileId(obj) };
    case 'file-withdraw':
      return { type: 'file-withdraw', file: fileId(obj) };
    default:
      return undefined;
  }
}

export function decodeFileNews(obj: Json): ServerMessage | undefined {
  switch (obj['type']) {
    case 'file-accepted':
      return { type: 'file-accepted', file: fileId(obj), have: integer(obj, 'have') };
    case 'file-stored':
      return { type: 'file-stored', file: fileId(obj) };
    default:
      return undefined;
  }
}

/**
 * A FILE frame as two buffers: the headers, and the chunk's data as it is (not copied). A
 * server passing a chunk on writes both at once (one writev), where one buffer would copy 64 KiB.
 */
export function encodeFileChunkFrameParts(chunk: FileChunk): [Buffer, Buffer] {
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + CHUNK_HEADER_BYTES);
  head.writeUInt32BE(CHUNK_HEADER_BYTES + chunk.data.length, 0);
  head.writeUInt8(FrameType.FILE, 4);
  writeChunkHeader(head.subarray(FRAME_HEADER_BYTES), chunk);
  return [head, chunk.data];
}

function writeChunkHeader(target: Buffer, chunk: FileChunk): void {
  target.write(chunk.file, 0, FILE_ID_BYTES, 'base64url');
  target.writeUInt32BE(chunk.index, FILE_ID_BYTES);
}

export function decodeFileChunk(body: Buffer): FileChunk {
  if (body.length <= CHUNK_HEADER_BYTES) throw invalid('chunk', 'shorter than its header');
  return {
    file: body.subarray(0, FILE_ID_BYTES).toString('base64url'),
    index: body.readUInt32BE(FILE_ID_BYTES),
    data: body.subarray(CHUNK_HEADER_BYTES),
  };
}

export function isFileId(value: unknown): value is string {
  return typeof value === 'string' && FILE_ID.test(value);
}

function fileId(obj: Json): string {
  const id = obj['file'];
  if (!isFileId(id)) throw invalid('file', 'must be 16 bytes, base64url');
  return id;
}
