// The end-to-end encryption of a file: a fresh AES-256 key per file, and each chunk sealed with
// AES-256-GCM under it, its nonce the chunk's index (unique under a key used for one file only)
// and its associated data the file's id, the index and the number of chunks. So a chunk opens only
// as itself: in another file, at another place, or in a file cut short or padded out, it fails,
// and the server (which has neither key nor plaintext) can only deliver it or not.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ErrorCode, ChatError } from '../../core/errors.js';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES } from '../../core/file-messages.js';

const NONCE_BYTES = 12;
const CONTEXT = Buffer.from('tui-chat file chunk v1');

export function newFileKey(): Buffer {
  return randomBytes(32);
}

/** 16 random bytes, base64url: the file's id on the server and in the message. */
export function newFileId(): string {
  return randomBytes(16).toString('base64url');
}

/** How many chunks `size` plaintext bytes make (an empty file is one empty chunk). */
export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES));
}

/** Ciphertext bytes of a file of `size` plaintext bytes. */
export function sealedSize(size: number): number {
  return size + chunkCount(size) * FILE_CHUNK_TAG_BYTES;
}

export function sealChunk(key: Buffer, file: string, index: number, chunks: number, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(index));
  cipher.setAAD(associatedData(file, index, chunks));
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Throws FILE_INVALID when the chunk is not this file's chunk `index` of `chunks`, untouched. */
export function openChunk(key: Buffer, file: string, index: number, chunks: number, sealed: Buffer): Buffer {
  if (sealed.length < FILE_CHUNK_TAG_BYTES) throw new ChatError(ErrorCode.FILE_INVALID, `chunk ${index} is too short`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(index));
    decipher.setAAD(associatedData(file, index, chunks));
    decipher.setAuthTag(sealed.subarray(sealed.length - FILE_CHUNK_TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - FILE_CHUNK_TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ChatError(ErrorCode.FILE_INVALID, `chunk ${index} does not check out`);
  }
}

function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeUInt32BE(index, NONCE_BYTES - 4);
  return nonce;
}

function associatedData(file: string, index: number, chunks: number): Buffer {
  const numbers = Buffer.alloc(8);
  numbers.writeUInt32BE(index, 0);
  numbers.writeUInt32BE(chunks, 4);
  return Buffer.concat([CONTEXT, Buffer.from(file, 'base64url'), numbers]);
}
