// Incremental frame decoder: bytes in any chunking -> whole frames, with limits checked on the header.
//
// Incoming chunks are kept in a list with a byte count and sliced without copying when a frame lies
// inside one chunk. The announced length is checked against the limit for its type the moment the
// 5-byte header is complete, before a single body byte is buffered, so a peer cannot make us
// allocate by announcing a huge frame. After the first error the decoder is poisoned: the stream has
// lost its framing and nothing after the bad header can be trusted.
import { ErrorCode, FrameError } from './errors.js';
import { FRAME_HEADER_BYTES, type Frame, type FrameLimits, type FrameType, frameTypeName } from './frame-types.js';

type DecoderState = 'header' | 'body' | 'errored';

export class FrameDecoder {
  private limits: FrameLimits;
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private state: DecoderState = 'header';
  private pendingType: FrameType = 0x01;
  private pendingLength = 0;

  constructor(limits: FrameLimits) {
    this.limits = limits;
  }

  /** New limits for every header read from now on (a client adopts what its server announces). */
  setLimits(limits: FrameLimits): void {
    this.limits = limits;
  }

  /** Bytes received but not yet part of a returned frame. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /**
   * Feeds one chunk and returns every frame it completes, in order.
   * Throws FrameError on an oversize length or an unaccepted type; the decoder then refuses all input.
   */
  push(chunk: Buffer): Frame[] {
    if (this.state === 'errored') throw new FrameError(ErrorCode.TRUNCATED_FRAME, 'decoder already failed');
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.state === 'header') {
        if (this.bufferedBytes < FRAME_HEADER_BYTES) break;
        this.readHeader();
      } else {
        if (this.bufferedBytes < this.pendingLength) break;
        frames.push({ type: this.pendingType, body: this.take(this.pendingLength) });
        this.state = 'header';
      }
    }
    return frames;
  }

  /** Call when the stream ends: leftover bytes mean the peer hung up mid-frame. */
  finish(): void {
    if (this.state !== 'errored' && this.bufferedBytes > 0) {
      this.state = 'errored';
      throw new FrameError(ErrorCode.TRUNCATED_FRAME, `stream ended inside a frame (${this.bufferedBytes} bytes left over)`);
    }
  }

  private readHeader(): void {
    const header = this.take(FRAME_HEADER_BYTES);
    const length = header.readUInt32BE(0);
    const type = header.readUInt8(4);
    const limit = this.limits[type as FrameType];
    if (limit === undefined) {
      throw this.fail(new FrameError(ErrorCode.UNKNOWN_FRAME_TYPE, `frame type ${frameTypeName(type)} is not accepted here`));
    }
    if (length > limit) {
      throw this.fail(new FrameError(ErrorCode.FRAME_TOO_LARGE, `${frameTypeName(type)} frame announces ${length} bytes, over the limit of ${limit}`));
    }
    this.pendingType = type as FrameType;
    this.pendingLength = length;
    this.state = 'body';
  }

  private fail(error: FrameError): FrameError {
    this.state = 'errored';
    this.chunks.length = 0;
    this.bufferedBytes = 0;
    return error;
  }

  /** Removes exactly n buffered bytes; copies only when they span more than one chunk. */
  private take(n: number): Buffer {
    this.bufferedBytes -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[0]!;
      const wanted = n - written;
      if (chunk.length <= wanted) {
        chunk.copy(out, written);
        written += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(out, written, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
        written += wanted;
      }
    }
    return out;
  }
}
