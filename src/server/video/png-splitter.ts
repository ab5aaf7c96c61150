// Splits ffmpeg's PNG output (image after image, no container) into single PNG files. A PNG is its
// 8-byte signature, then chunks (u32 length, 4-byte type, data, CRC) up to the IEND chunk, so each
// image's end is found by walking the chunk lengths, never by searching the compressed data.
import { ChatError, ErrorCode } from '../../core/errors.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Length, type and CRC around a chunk's data. */
const CHUNK_OVERHEAD = 12;

export class PngSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Where the next chunk of the image being read starts (after the signature). */
  private chunkAt = SIGNATURE.length;

  /** maxFrameBytes bounds memory if the input is not PNG at all. */
  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const seen = Math.min(this.pending.length, SIGNATURE.length);
      if (!this.pending.subarray(0, seen).equals(SIGNATURE.subarray(0, seen))) {
        throw new ChatError(ErrorCode.VIDEO_DECODE, 'decoder output is not a PNG stream');
      }
      const end = this.imageEnd();
      if (end === -1) {
        if (this.pending.length > this.maxFrameBytes) throw this.tooLarge();
        return frames;
      }
      frames.push(this.pending.subarray(0, end));
      this.pending = this.pending.subarray(end);
      this.chunkAt = SIGNATURE.length;
    }
  }

  /** The end of the image being read once its IEND chunk is in, else -1 (walks on from where it left off). */
  private imageEnd(): number {
    // The length is checked against the bound as soon as it is read, before the chunk is buffered.
    while (this.chunkAt + 8 <= this.pending.length) {
      const next = this.chunkAt + CHUNK_OVERHEAD + this.pending.readUInt32BE(this.chunkAt);
      if (next > this.maxFrameBytes) throw this.tooLarge();
      if (next > this.pending.length) return -1;
      const type = this.pending.toString('latin1', this.chunkAt + 4, this.chunkAt + 8);
      this.chunkAt = next;
      if (type === 'IEND') return next;
    }
    return -1;
  }

  private tooLarge(): ChatError {
    return new ChatError(ErrorCode.VIDEO_DECODE, `a decoded frame is larger than ${this.maxFrameBytes} bytes`);
  }
}
